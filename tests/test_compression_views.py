"""Notebook 06's plots and widget: every control across its whole range, bad input as a message.

Speed is a quality bar measured by benchmarks (benchmarks/), not by a timed test."""
import numpy as np
import pytest
from matplotlib.figure import Figure

import course_lib as cl
from course_lib.widgets.compression import BITS, FC_RANKS, PRUNING, compression_view, _chips

SPARSITIES = [round(0.05 * i, 2) for i in range(20)]   # the slider: 0 .. 0.95 in steps of 0.05


def _check(result):
    text, fig, table = result
    assert isinstance(text, str) and "predicted time" in text
    assert isinstance(fig, Figure)
    assert list(table.index)[0] == "params"
    return result


@pytest.mark.parametrize("fc_rank", FC_RANKS)
def test_every_rank(fc_rank):
    _check(compression_view(fc_rank=fc_rank))


@pytest.mark.parametrize("sparsity", SPARSITIES)
@pytest.mark.parametrize("pruning", PRUNING)
def test_every_sparsity(sparsity, pruning):
    _check(compression_view(sparsity=sparsity, pruning=pruning))


@pytest.mark.parametrize("bits", BITS)
@pytest.mark.parametrize("batch_size", [1, 8, 64, 256])
def test_every_bits_and_batch(bits, batch_size):
    _check(compression_view(bits=bits, batch_size=batch_size, fc_rank=8, sparsity=0.95))


@pytest.mark.parametrize("device", _chips())
def test_every_device(device):
    _check(compression_view(device=device, fc_rank=64, sparsity=0.5, bits=4))


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
