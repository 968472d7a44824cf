"""Notebook 06's plots and widget: every control across its whole range gives the numbers a person works
out (AlexNet layer by layer in tests/hand.py, datasheet figures), bad input gives a message.

Speed is a quality bar measured by benchmarks (benchmarks/), not by a timed test."""
import re

import numpy as np
import pytest
from matplotlib.figure import Figure

import course_lib as cl
from hand import ALEXNET_BIASES, ALEXNET_LAYERS, ALEXNET_MACS, ALEXNET_PARAMS, DATASHEETS, alexnet_time_s
from course_lib.widgets.compression import BITS, FC_RANKS, PRUNING, compression_view, _chips

SPARSITIES = [round(0.05 * i, 2) for i in range(20)]   # the slider: 0 .. 0.95 in steps of 0.05
GTX_1080 = DATASHEETS["GTX 1080"]
CONV_PARAMS = sum(ALEXNET_LAYERS[f"conv{i}"][1] for i in range(1, 6))     # 2,334,080
CONV_MACS = sum(ALEXNET_LAYERS[f"conv{i}"][3] for i in range(1, 6))       # 665,784,864
FC_SHAPES = [(9216, 4096), (4096, 4096), (4096, 1000)]                   # (in, out) of fc1, fc2, fc3
WEIGHTS = ALEXNET_PARAMS - ALEXNET_BIASES                                 # 60,954,656


def _check(result):
    text, fig, table = result
    assert isinstance(text, str) and "predicted time" in text
    assert isinstance(fig, Figure)
    assert list(table.index)[0] == "params"
    return result


def _count(table, row, column="compressed"):
    return int(table.loc[row, column].replace(",", ""))


def _megabytes(table, row, column="compressed"):
    value, unit = table.loc[row, column].split()
    return float(value) * {"kB": 1e-3, "MB": 1, "GB": 1e3}[unit]


def _times_ms(text):
    """(compressed, original) from '... predicted time 0.218 ms instead of 0.908 ms.'"""
    return tuple(float(v) for v in re.search(r"predicted time ([\d.]+) ms instead of ([\d.]+) ms", text).groups())


def _low_rank(m, n, r):
    """Weights of fc (m -> n) at rank r: r (m + n) when that is smaller than m n, else the dense layer."""
    return min(r * (m + n), m * n)


@pytest.mark.parametrize("fc_rank", FC_RANKS)
def test_every_rank(fc_rank):
    # rank 128: 2,334,080 conv params + 128 x (13,312 + 8,192 + 5,096) + 9,192 biases = 5,748,072
    _, _, table = _check(compression_view(fc_rank=fc_rank))
    fc = [m * n if fc_rank == "off" else _low_rank(m, n, fc_rank) for m, n in FC_SHAPES]
    assert _count(table, "params") == CONV_PARAMS + sum(fc) + 4096 + 4096 + 1000
    assert _count(table, "MACs (dense kernels)") == CONV_MACS + sum(fc)


@pytest.mark.parametrize("sparsity", SPARSITIES)
def test_every_sparsity_unstructured(sparsity):
    # magnitude pruning zeroes that fraction of the weights; biases stay; a kept fp32 weight carries a
    # 16-bit index (6 B), which makes low sparsities bigger than dense (4 B a weight)
    text, _, table = _check(compression_view(sparsity=sparsity, pruning="unstructured"))
    kept = WEIGHTS * (1 - sparsity)
    assert _count(table, "params") == pytest.approx(kept + ALEXNET_BIASES, abs=8)      # rounding, per layer
    assert _count(table, "MACs (nonzeros only)") == pytest.approx(ALEXNET_MACS * (1 - sparsity), abs=8)
    assert _count(table, "MACs (dense kernels)") == ALEXNET_MACS
    stored = ALEXNET_PARAMS * 4 if sparsity == 0 else kept * (4 + 2) + ALEXNET_BIASES * 4
    assert _megabytes(table, "weight bytes") == pytest.approx(stored / 1e6, rel=5e-4)


@pytest.mark.parametrize("sparsity", SPARSITIES)
def test_every_sparsity_structured(sparsity):
    text, _, table = _check(compression_view(sparsity=sparsity, pruning="structured (channels)"))
    assert _count(table, "MACs (dense kernels)") == _count(table, "MACs (nonzeros only)")   # whole channels go


@pytest.mark.parametrize("sparsity, params, macs", [
    # each conv keeps 1 - sparsity of its channels (and the next layer sees only those); FC neurons stay
    (0.5, 11 * 11 * 3 * 48 + 48 + 5 * 5 * 24 * 128 + 128 + 9 * 128 * 192 + 192 + 9 * 96 * 192 + 192
     + 9 * 96 * 128 + 128 + 128 * 36 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000,      # 40,349,352
     55 * 55 * 48 * 3 * 121 + 27 * 27 * 128 * 24 * 25 + 13 * 13 * 192 * 128 * 9 + 13 * 13 * 192 * 96 * 9
     + 13 * 13 * 128 * 96 * 9 + 128 * 36 * 4096 + 4096 * 4096 + 4096 * 1000),                    # 232,547,600
    (0.25, 11 * 11 * 3 * 72 + 72 + 5 * 5 * 36 * 192 + 192 + 9 * 192 * 288 + 288 + 9 * 144 * 288 + 288
     + 9 * 144 * 192 + 192 + 192 * 36 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 1000 + 1000,
     55 * 55 * 72 * 3 * 121 + 27 * 27 * 192 * 36 * 25 + 13 * 13 * 288 * 192 * 9 + 13 * 13 * 288 * 144 * 9
     + 13 * 13 * 192 * 144 * 9 + 192 * 36 * 4096 + 4096 * 4096 + 4096 * 1000),
])
def test_structured_pruning_by_hand(sparsity, params, macs):
    _, _, table = compression_view(sparsity=sparsity, pruning="structured (channels)")
    assert (_count(table, "params"), _count(table, "MACs (dense kernels)")) == (params, macs)


@pytest.mark.parametrize("bits", BITS)
@pytest.mark.parametrize("batch_size", [1, 8, 64, 256])
def test_every_bits_and_batch(bits, batch_size):
    # b-bit weights (biases too) take b/8 bytes each; activations stay fp32; GTX 1080
    text, _, table = _check(compression_view(bits=bits, batch_size=batch_size))
    assert _megabytes(table, "weight bytes") == pytest.approx(ALEXNET_PARAMS * bits / 8 / 1e6, rel=5e-4)
    after, before = _times_ms(text)
    assert before == pytest.approx(alexnet_time_s(*GTX_1080, batch=batch_size) * 1e3, abs=5e-4)
    assert after == pytest.approx(alexnet_time_s(*GTX_1080, batch=batch_size, weight_bytes=bits / 8) * 1e3, abs=5e-4)


def test_every_technique_at_once_is_a_figure_and_a_table():   # smoke test: the three controls together
    _check(compression_view(bits=4, batch_size=64, fc_rank=8, sparsity=0.95))


@pytest.mark.parametrize("device", _chips())
def test_every_device(device):
    # the uncompressed AlexNet's time on each chip, from its datasheet peak and bandwidth (0.908 ms on a GTX 1080)
    text, _, _ = _check(compression_view(device=device, fc_rank=64, sparsity=0.5, bits=4))
    assert _times_ms(text)[1] == pytest.approx(alexnet_time_s(*DATASHEETS[device]) * 1e3, abs=5e-4)


def test_nothing_compressed_is_ratio_one():
    _, _, table = compression_view()
    assert set(table["ratio"]) == {"1.00x"}


def test_bad_controls_raise_value_errors_that_the_widget_shows():
    with pytest.raises(ValueError, match="fc_rank must be one of"):
        compression_view(fc_rank=3)
    with pytest.raises(ValueError, match="unknown device"):
        compression_view(device="GTX 9999")
    with pytest.raises(ValueError, match="no compute peak"):
        compression_view(device="DDR4-2400 channel")
    with pytest.raises(ValueError, match="pruning must be one of"):
        compression_view(pruning="random")


def test_explorer_builds():
    app = cl.widgets.compression_explorer()
    assert app.children


def test_plots_return_figures_and_reject_bad_tables():
    W = cl.synthetic_weights(32, 48)
    assert isinstance(cl.plots.svd_error_plot({"W": cl.svd_error_curve(W)}), Figure)
    assert isinstance(cl.plots.tradeoff_plot({"W": cl.tradeoff_table(W)}), Figure)
    assert isinstance(cl.plots.quantization_levels_plot(W, cl.quantize_uniform(W, 3)[0]), Figure)
    with pytest.raises(TypeError, match="curves must be a non-empty dict"):
        cl.plots.svd_error_plot([])
    with pytest.raises(ValueError, match="missing"):
        cl.plots.tradeoff_plot({"W": cl.svd_error_curve(W)})
    with pytest.raises(ValueError, match="W_hat must have as many entries"):
        cl.plots.quantization_levels_plot(np.ones(3), np.ones(4))


def test_short_structured_name_and_a_narrow_peak_is_said():
    # "structured" is accepted as cl.prune's own word, and gives the same table as the dropdown's label
    assert compression_view(sparsity=0.5, pruning="structured")[2].equals(
        compression_view(sparsity=0.5, pruning="structured (channels)")[2])
    # The TPU v1 quotes an int8 peak only: the fp32 baseline must be flagged as a what-if
    assert "what-if" in compression_view(bits=8, device="TPU v1")[0]
    assert "what-if" not in compression_view(bits=8, device="GTX 1080")[0]
