"""Compression (notebook 06): factorized layers counted by hand, NumPy helpers against NumPy's own SVD
and norms and against hand-worked values, compressed networks through analyze/roofline, bad input."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import course_lib as cl

ALEXNET_MACS = 724_406_816      # what thop and fvcore report for the 2012 AlexNet (conv + FC MACs)
ALEXNET_PARAMS = 60_965_224


def _params(network):
    return int(cl.analyze(network)["params"].sum())


# ------------------------------------------------------------ truncated SVD (Eckart-Young)

@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 40), n=st.integers(1, 40), seed=st.integers(0, 10_000), data=st.data())
def test_svd_error_is_the_discarded_singular_values(m, n, seed, data):
    W = np.random.default_rng(seed).standard_normal((m, n))
    rank = data.draw(st.integers(1, min(m, n)))
    s = np.linalg.svd(W, compute_uv=False)
    expected = math.sqrt(np.sum(s[rank:] ** 2)) / np.linalg.norm(W, "fro")
    assert cl.svd_error(W, rank) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    A, B = cl.truncated_svd(W, rank)
    assert A.shape == (m, rank) and B.shape == (rank, n)
    assert np.linalg.matrix_rank(A @ B) <= rank


def test_full_rank_svd_is_exact_and_errors_fall_with_rank():
    W = np.random.default_rng(1).standard_normal((30, 20))
    assert cl.svd_error(W, 20) < 1e-12
    curve = cl.svd_error_curve(W, ranks=[1, 2, 5, 10, 20])
    assert list(curve["params"]) == [r * 50 for r in (1, 2, 5, 10, 20)]
    assert (np.diff(curve["rel_error"]) < 0).all()


def test_synthetic_weights_have_the_asked_spectrum():
    W = cl.synthetic_weights(40, 60, decay=1.5, seed=3)
    s = np.linalg.svd(W, compute_uv=False)
    assert s == pytest.approx(np.arange(1, 41) ** -1.5)
    assert np.array_equal(W, cl.synthetic_weights(40, 60, decay=1.5, seed=3))  # seeded


def test_relative_error_by_hand():
    assert cl.relative_error([3.0, 4.0], [3.0, 0.0]) == pytest.approx(4 / 5)


# ------------------------------------------------------------ factorized layers counted by hand

def test_svd_linear_params_by_hand():
    first, second = cl.svd_linear((9216, 4096), 256)
    table = cl.analyze(cl.Network("fc1 at rank 256", (9216,), (first, second)))
    assert list(table["params"]) == [9216 * 256, 256 * 4096 + 4096]     # 2,359,296 and 1,052,672
    assert list(table["params"]) == [2_359_296, 1_052_672]
    assert table["macs"].sum() == 256 * (9216 + 4096) == 3_407_872
    assert table["out_shape"].iloc[-1] == (4096,)


def test_svd_linear_from_a_layer_keeps_bias_and_name():
    first, second = cl.svd_linear(cl.Linear(10, bias=False, name="fc9"), 3, in_features=20)
    assert (first.out_features, first.bias, first.name) == (3, False, "fc9_in")
    assert (second.out_features, second.bias, second.name) == (10, False, "fc9_out")
    assert _params(cl.Network("x", (20,), (first, second))) == 3 * (20 + 10)


def test_low_rank_alexnet_by_hand():
    net = cl.low_rank_fc(cl.zoo.alexnet_original(), 256)
    conv_params = 34_944 + 307_456 + 885_120 + 663_936 + 442_624   # the paper's five convs
    fc = (256 * (9216 + 4096) + 4096) + (256 * (4096 + 4096) + 4096) + (256 * (4096 + 1000) + 1000)
    assert _params(net) == conv_params + fc == 9_152_872
    names = list(cl.analyze(net)["name"])
    # dropout follows fc1 and fc2 (their ReLUs), as in the paper
    assert names[-10:] == ["fc1_in", "fc1_out", "relu6", "drop1", "fc2_in", "fc2_out", "relu7", "drop2", "fc3_in", "fc3_out"]


def test_low_rank_skips_layers_where_it_would_not_save():
    net = cl.low_rank_fc(cl.zoo.alexnet_original(), 1000)   # 1000*(4096+1000) > 4096*1000: fc3 stays
    kinds = cl.analyze(net)
    assert "fc3" in set(kinds["name"]) and "fc1_in" in set(kinds["name"])


def test_tucker2_conv_params_and_macs_by_hand():
    # AlexNet's conv3: 256 -> 384 channels, 3x3, padding 1, on a 13x13 map
    layers = cl.tucker2_conv(cl.Conv2d(384, 3, padding=1, name="conv3"), 256, 64, 64)
    table = cl.analyze(cl.Network("t", (256, 13, 13), layers))
    assert list(table["params"]) == [256 * 64, 9 * 64 * 64, 64 * 384 + 384]
    assert table["params"].sum() == 78_208
    assert table["macs"].sum() == (16_384 + 36_864 + 24_576) * 169 == 13_152_256
    assert table["out_shape"].iloc[-1] == (384, 13, 13)
    assert list(table["name"]) == ["conv3_in", "conv3_core", "conv3_out"]


def test_cp_conv_params_by_hand_and_keeps_stride():
    layers = cl.cp_conv(cl.Conv2d(384, 3, stride=2, padding=1), 256, 64)
    table = cl.analyze(cl.Network("cp", (256, 13, 13), layers))
    assert table["params"].sum() == 64 * (256 + 3 + 3 + 384) + 384 == 41_728
    dense = cl.analyze(cl.Network("d", (256, 13, 13), (cl.Conv2d(384, 3, stride=2, padding=1),)))
    assert table["out_shape"].iloc[-1] == dense["out_shape"].iloc[0] == (384, 7, 7)


# ------------------------------------------------------------ Tucker-2 and CP as NumPy factorizations

def test_tucker2_full_ranks_is_exact_and_error_shrinks():
    kernel = np.random.default_rng(2).standard_normal((12, 8, 3, 3))
    assert np.allclose(cl.tucker2_reconstruct(*cl.tucker2(kernel, 8, 12)), kernel)
    errors = [cl.relative_error(kernel, cl.tucker2_reconstruct(*cl.tucker2(kernel, r, r))) for r in (2, 4, 8)]
    assert errors[0] > errors[1] > errors[2]


def test_cp_als_recovers_an_exact_low_rank_tensor():
    rng = np.random.default_rng(4)
    factors = [rng.standard_normal((d, 3)) for d in (6, 5, 3, 3)]
    tensor = np.einsum("ar,br,cr,dr->abcd", *factors)   # independent of cp_reconstruct
    assert np.allclose(cl.cp_reconstruct(factors), tensor)
    found = cl.cp_als(tensor, 3, iterations=300)
    assert cl.relative_error(tensor, cl.cp_reconstruct(found)) < 1e-4


@pytest.mark.torch
def test_factorized_convs_compute_the_reconstructed_kernel():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(5)
    kernel = rng.standard_normal((10, 6, 3, 3))
    x = torch.tensor(rng.standard_normal((1, 6, 9, 9)))
    # Tucker-2 as the three convs tucker2_conv describes
    core, U_in, U_out = cl.tucker2(kernel, 4, 5)
    y = F.conv2d(x, torch.tensor(U_in.T[:, :, None, None]))
    y = F.conv2d(y, torch.tensor(core), padding=1, stride=2)
    y = F.conv2d(y, torch.tensor(U_out[:, :, None, None]))
    expected = F.conv2d(x, torch.tensor(cl.tucker2_reconstruct(core, U_in, U_out)), padding=1, stride=2)
    assert torch.allclose(y, expected)
    # CP as the four convs cp_conv describes: 1x1, Kx1 depthwise, 1xK depthwise, 1x1
    out, inp, kh, kw = cl.cp_als(kernel, 4, iterations=20)
    R = 4
    y = F.conv2d(x, torch.tensor(inp.T[:, :, None, None]))
    y = F.conv2d(y, torch.tensor(kh.T[:, None, :, None]), stride=(2, 1), padding=(1, 0), groups=R)
    y = F.conv2d(y, torch.tensor(kw.T[:, None, None, :]), stride=(1, 2), padding=(0, 1), groups=R)
    y = F.conv2d(y, torch.tensor(out[:, :, None, None]))
    expected = F.conv2d(x, torch.tensor(cl.cp_reconstruct([out, inp, kh, kw])), padding=1, stride=2)
    assert torch.allclose(y, expected)
    shapes = [l.kernel_size for l in cl.cp_conv(cl.Conv2d(10, 3, stride=2, padding=1), 6, R)]
    assert shapes == [(1, 1), (3, 1), (1, 3), (1, 1)]


# ------------------------------------------------------------ pruning and quantization of arrays

@settings(max_examples=40, deadline=None)
@given(size=st.integers(1, 200), sparsity=st.floats(0, 1), seed=st.integers(0, 1000))
def test_magnitude_prune_keeps_the_largest(size, sparsity, seed):
    W = np.random.default_rng(seed).standard_normal(size)
    mask, kept = cl.magnitude_prune(W, sparsity)
    assert mask.sum() == round((1 - sparsity) * size) and kept == mask.sum() / size
    if mask.any() and (~mask).any():
        assert np.abs(W[mask]).min() >= np.abs(W[~mask]).max()


def test_quantize_by_hand():
    W_hat, q, scale = cl.quantize_uniform(np.array([1.0, -0.6, 0.2]), 2)
    assert list(q) == [1, -1, 0] and scale == 1.0 and list(W_hat) == [1.0, -1.0, 0.0]
    W_hat, q, scale = cl.quantize_uniform(np.array([2.54, -1.0, 0.01]), 8)
    assert scale == pytest.approx(2.54 / 127) and list(q) == [127, -50, 0]


@settings(max_examples=30, deadline=None)
@given(bits=st.integers(2, 16), seed=st.integers(0, 1000))
def test_quantize_error_is_at_most_half_a_step(bits, seed):
    W = np.random.default_rng(seed).standard_normal(300)
    W_hat, q, scale = cl.quantize_uniform(W, bits)
    levels = 2 ** (bits - 1) - 1
    assert np.abs(q).max() <= levels
    assert np.abs(W - W_hat).max() <= scale / 2 + 1e-12


def test_binarize_by_hand_and_alpha_is_optimal():
    W_hat, B, alpha = cl.binarize(np.array([0.5, -1.5, 2.0, 0.0]))
    assert alpha == 1.0 and list(B) == [1, -1, 1, 1] and list(W_hat) == [1.0, -1.0, 1.0, 1.0]
    W = np.random.default_rng(7).standard_normal(500)
    W_hat, B, alpha = cl.binarize(W)
    best = np.linalg.norm(W - W_hat)
    for other in (alpha * 0.9, alpha * 1.1):
        assert np.linalg.norm(W - other * B) > best


def test_ternarize_by_hand_and_two_binary_halves():
    W_hat, T, alpha = cl.ternarize(np.array([1.0, -2.0, 0.1, -0.05]))  # delta = 0.7 * 0.7875 = 0.55125
    assert list(T) == [1, -1, 0, 0] and alpha == 1.5
    B1 = np.where(T >= 0, 1, -1)           # +1 where T is 0 or +1
    B2 = np.where(T > 0, 1, -1)            # -1 where T is 0 or -1
    assert np.array_equal((B1 + B2) // 2, T)


def test_tradeoff_table_ratios_by_hand():
    W = cl.synthetic_weights(64, 128, seed=0)
    table = cl.tradeoff_table(W).set_index("setting")
    assert table.loc["rank 8", "ratio"] == pytest.approx(64 * 128 / (8 * 192))
    assert table.loc["8 bits", "ratio"] == pytest.approx(4 * 64 * 128 / (64 * 128 + 4))
    assert table.loc["90% zeros", "ratio"] == pytest.approx(4 * 8192 / (round(0.1 * 8192) * 6))
    assert table.loc["binary", "rel_error"] == pytest.approx(cl.relative_error(W, cl.binarize(W)[0]))


# ------------------------------------------------------------ compressed networks through analyze / roofline

def test_unstructured_pruning_of_alexnet():
    net = cl.prune(cl.zoo.alexnet_original(), 0.9)
    table = cl.analyze(net).set_index("name")
    weights = 9216 * 4096
    nonzeros = round(0.1 * weights)                       # 3,774,874
    assert table.loc["fc1", "params"] == nonzeros + 4096
    assert table.loc["fc1", "param_bytes"] == pytest.approx(nonzeros * (4 + 2) + 4096 * 4)
    assert table["macs"].sum() == ALEXNET_MACS             # dense kernels do every MAC
    assert cl.nonzero_macs(net) == pytest.approx(0.1 * ALEXNET_MACS, rel=1e-6)
    assert table.loc["fc1", "kind"] == "SparseLinear" and table.loc["conv1", "kind"] == "SparseConv2d"


def test_sparse_storage_breaks_even_at_two_thirds():
    dense = cl.Network("d", (300,), (cl.Linear(300, bias=False),))
    sparse = cl.Network("s", (300,), (cl.SparseLinear(300, bias=False, density=2 / 3),))
    assert cl.analyze(sparse)["param_bytes"].sum() == pytest.approx(cl.analyze(dense)["param_bytes"].sum())
    assert cl.sparse_bytes_per_weight(8, 16) == 3.0


def test_structured_pruning_of_alexnet_by_hand():
    table = cl.analyze(cl.prune(cl.zoo.alexnet_original(), 0.5, structured=True)).set_index("name")
    assert table.loc["conv1", "out_shape"] == (48, 55, 55)
    assert table.loc["conv1", "params"] == 11 * 11 * 3 * 48 + 48 == 17_472
    assert table.loc["conv2", "params"] == (48 // 2) * 25 * 128 + 128 == 76_928
    assert table.loc["fc1", "params"] == 128 * 6 * 6 * 4096 + 4096     # fc1 sees half the channels
    assert table.loc["conv1", "macs"] == 55 * 55 * 48 * 3 * 121
    assert table["macs"].sum() < ALEXNET_MACS / 3


@pytest.mark.parametrize("model", ["resnet18", "resnet50", "mobilenet_v2", "vgg16", "alexnet"])
def test_structured_pruning_keeps_every_zoo_model_valid(model):
    net = cl.zoo.MODELS[model]()
    pruned = cl.analyze(cl.prune(net, 0.5, structured=True))
    original = cl.analyze(net)
    assert pruned["out_shape"].iloc[-1] == original["out_shape"].iloc[-1]
    assert 0 < pruned["macs"].sum() < original["macs"].sum()
    assert 0 < pruned["params"].sum() < original["params"].sum()


@pytest.mark.parametrize("bits", [1, 2, 4, 8, 16])
def test_quantized_alexnet(bits):
    net = cl.quantize(cl.zoo.alexnet_original(), bits)
    table = cl.analyze(net)
    assert table["params"].sum() == ALEXNET_PARAMS and table["macs"].sum() == ALEXNET_MACS
    assert table["param_bytes"].sum() == pytest.approx(ALEXNET_PARAMS * bits / 8)
    before = cl.roofline(cl.zoo.alexnet_original(), "GTX 1080").set_index("name")
    after = cl.roofline(net, "GTX 1080").set_index("name")
    assert after.loc["fc1", "intensity"] > before.loc["fc1", "intensity"]
    fc1_bytes = 9216 * 4 + (9216 * 4096 + 4096) * bits / 8
    assert after.loc["fc1", "bytes_read"] == pytest.approx(fc1_bytes)


def test_compress_pipeline_and_summary():
    alexnet = cl.zoo.alexnet_original()
    assert cl.compress(alexnet) is alexnet
    both = cl.compress(alexnet, sparsity=0.5, bits=8)
    fc1 = cl.analyze(both).set_index("name").loc["fc1"]
    nonzeros = round(0.5 * 9216 * 4096)
    assert fc1["param_bytes"] == pytest.approx(nonzeros * (1 + 2) + 4096 * 1)
    summary = cl.compression_summary(alexnet, cl.quantize(alexnet, 8), "GTX 1080")
    assert summary.loc["weight bytes", "ratio"] == pytest.approx(4)
    assert summary.loc["MACs (dense kernels)", "ratio"] == 1
    assert summary.loc["predicted time (s)", "original"] == pytest.approx(
        cl.roofline(alexnet, "GTX 1080")["time_s"].sum())


def test_format_summary_renders_each_row_in_its_unit():
    alexnet = cl.zoo.alexnet_original()
    shown = cl.format_summary(cl.compression_summary(alexnet, cl.quantize(alexnet, 8), "GTX 1080"))
    assert shown.loc["params", "original"] == "60,965,224"
    assert shown.loc["weight bytes", "original"] == "243.9 MB"
    assert shown.loc["weight bytes", "ratio"] == "4.00x"
    # AlexNet (2012), fp32, batch 1 on a GTX 1080 (8.873 TFLOP/s, 320 GB/s), each layer max(compute, memory):
    # the five convs are compute bound: 2 x 665,784,864 MACs / 8.873e12 = 150.07 us; fc1-fc3 are memory bound:
    # (input + weights + biases + output) 58,657,744 elements x 4 B / 320e9 = 733.22 us; the ReLUs read and
    # write 2 x 658,272 elements, the pools 642,752 (290,400 + 69,984, 186,624 + 43,264, 43,264 + 9,216) and
    # the paper's two local response normalizations 2 x (290,400 + 186,624): 2,913,344 x 4 B / 320e9 = 36.42 us.
    # Total 919.71 us = 0.920 ms.
    conv_s = 2 * (105_415_200 + 223_948_800 + 149_520_384 + 112_140_288 + 74_760_192) / 8.873e12
    fc_s = ((9216 + 9216 * 4096 + 4096 + 4096) + (4096 + 4096 * 4096 + 4096 + 4096)
            + (4096 + 4096 * 1000 + 1000 + 1000)) * 4 / 320e9
    elementwise_s = (2 * 658_272 + 290_400 + 69_984 + 186_624 + 43_264 + 43_264 + 9_216
                     + 2 * (290_400 + 186_624)) * 4 / 320e9
    assert f"{(conv_s + fc_s + elementwise_s) * 1e3:.3f} ms" == "0.920 ms"
    assert shown.loc["predicted time", "original"] == "0.920 ms"


def test_compression_energy_by_hand():
    parts = cl.compression_energy(cl.zoo.alexnet_original())
    assert parts["weights_from_DRAM_J"] == pytest.approx(ALEXNET_PARAMS * 640e-12)
    assert parts["macs_J"] == pytest.approx(ALEXNET_MACS * (3.7 + 0.9) * 1e-12)
    int8 = cl.compression_energy(cl.quantize(cl.zoo.alexnet_original(), 8), bits=8)
    assert int8["weights_from_DRAM_J"] == pytest.approx(ALEXNET_PARAMS * 160e-12)
    assert int8["macs_J"] == pytest.approx(ALEXNET_MACS * (0.2 + 0.1) * 1e-12)   # 8-bit mult, 32-bit accumulate
    assert int8["total_J"] == pytest.approx(int8["weights_from_DRAM_J"] + int8["macs_J"])


# ------------------------------------------------------------ bad input

LIN = cl.Linear(4096)
CONV = cl.Conv2d(384, 3, padding=1)


@pytest.mark.parametrize("call, error, message", [
    (lambda: cl.svd_linear((9216, 4096), 0), ValueError, r"rank must be between 1 and 4096, got 0"),
    (lambda: cl.svd_linear((9216, 4096), 5000), ValueError, r"rank must be between 1 and 4096, got 5000"),
    (lambda: cl.svd_linear((9216, 4096), 2.5), TypeError, r"rank must be an integer"),
    (lambda: cl.svd_linear(LIN, 8), ValueError, r"in_features is needed"),
    (lambda: cl.svd_linear((0, 5), 1), ValueError, r"in_features must be >= 1, got 0"),
    (lambda: cl.svd_linear("fc1", 1), TypeError, r"layer_or_in_out must be a Linear"),
    (lambda: cl.tucker2_conv(CONV, 256, 0, 8), ValueError, r"rank_in must be between 1 and 256, got 0"),
    (lambda: cl.tucker2_conv(CONV, 256, 8, 400), ValueError, r"rank_out must be between 1 and 384, got 400"),
    (lambda: cl.tucker2_conv(cl.Conv2d(256, 5, groups=2), 96, 8, 8), ValueError, r"groups=2"),
    (lambda: cl.cp_conv(CONV, 256, 0), ValueError, r"rank must be >= 1, got 0"),
    (lambda: cl.cp_conv(LIN, 256, 4), TypeError, r"conv must be a Conv2d"),
    (lambda: cl.prune(cl.zoo.alexnet(), 1.0), ValueError, r"sparsity must be >= 0 and < 1"),
    (lambda: cl.prune(cl.zoo.alexnet(), -0.1), ValueError, r"sparsity must be between 0 and 1, got -0.1"),
    (lambda: cl.prune(cl.zoo.alexnet(), "half"), TypeError, r"sparsity must be a number"),
    (lambda: cl.prune(cl.zoo.alexnet(), 0.5, structured="yes"), TypeError, r"structured must be True or False"),
    (lambda: cl.prune("alexnet", 0.5), TypeError, r"network must be a Network"),
    (lambda: cl.quantize(cl.zoo.alexnet(), 0), ValueError, r"bits must be between 1 and 32, got 0"),
    (lambda: cl.quantize(cl.zoo.alexnet(), 64), ValueError, r"bits must be between 1 and 32, got 64"),
    (lambda: cl.quantize(cl.zoo.alexnet(), 8.0), TypeError, r"bits must be an integer"),
    (lambda: cl.low_rank_fc(cl.zoo.alexnet(), 0), ValueError, r"rank must be >= 1, got 0"),
    (lambda: cl.SparseLinear(10, density=0), ValueError, r"density must be > 0 and <= 1"),
    (lambda: cl.SparseLinear(10, density=1.5), ValueError, r"density must be between 0 and 1, got 1.5"),
    (lambda: cl.QuantizedConv2d(8, 3, bits=0), ValueError, r"bits must be between 1 and 32"),
    (lambda: cl.compression_energy(cl.zoo.alexnet(), bits=4), ValueError, r"bits must be one of 32, 8"),
    (lambda: cl.truncated_svd(np.ones((3, 4)), 4), ValueError, r"rank must be between 1 and 3, got 4"),
    (lambda: cl.truncated_svd(np.ones(3), 1), ValueError, r"W must have 2 dimensions"),
    (lambda: cl.truncated_svd("W", 1), TypeError, r"W must be a NumPy array"),
    (lambda: cl.magnitude_prune(np.ones(3), 1.5), ValueError, r"sparsity must be between 0 and 1, got 1.5"),
    (lambda: cl.quantize_uniform(np.ones(3), 1), ValueError, r"bits must be between 2 and 16, got 1"),
    (lambda: cl.quantize_uniform(np.array([1.0, np.nan]), 8), ValueError, r"finite"),
    (lambda: cl.tucker2(np.ones((4, 3, 3)), 1, 1), ValueError, r"kernel must have 4 dimensions"),
    (lambda: cl.relative_error(np.zeros(3), np.zeros(3)), ValueError, r"all zeros"),
    (lambda: cl.relative_error(np.ones(3), np.ones(4)), ValueError, r"W_hat must have W's shape"),
])
def test_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()
