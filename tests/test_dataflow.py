"""DRAM traffic with and without layer fusion, worked by hand; TPU v1's peak, ridge and batch (notebook 07)."""
import math

import pytest

import course_lib as cl

TINY = cl.Network("tiny", (1, 6, 6), [cl.Conv2d(1, 3), cl.ReLU(), cl.Conv2d(1, 3)])
# 2 channels of 4x4, a padded 3x3 conv (2*2*9 + 2 = 38 params), then a 2x2 max pool
PADDED = cl.Network("padded", (2, 4, 4), [cl.Conv2d(2, 3, padding=1), cl.MaxPool2d(2)])


# --- TPU v1 ---------------------------------------------------------------------------------------

def test_tpu_v1_peak_from_the_array():
    # Jouppi et al., ISCA 2017: 65,536 MACs x 700 MHz x 2 ops = 91.75 TOPS, "92 TOPS"
    assert cl.systolic_peak(256, 256, 700e6) == 65_536 * 700e6 * 2 == 91_750_400_000_000
    assert cl.systolic_peak(256, 256, 700e6) == pytest.approx(cl.get_device("TPU v1").peak_flops, rel=0.01)


def test_tpu_v1_ridge_and_batch():
    ridge = cl.ridge_point("TPU v1")
    assert ridge == pytest.approx(92e12 / 34e9)
    assert ridge / 2 == pytest.approx(1353, abs=1)   # the paper's ~1,350 MACs per weight byte
    assert cl.batch_for_peak("TPU v1") == 1353       # 2 * 1353 = 2706 >= 2705.9 > 2 * 1352


@pytest.mark.parametrize("batch, bytes_per_weight, intensity", [(1, 1, 2), (256, 1, 512), (8, 2, 8), (3, 0.5, 12)])
def test_fc_weight_intensity(batch, bytes_per_weight, intensity):
    assert cl.fc_weight_intensity(batch, bytes_per_weight) == intensity


def test_fc_batch_table_turns_compute_bound_at_the_ridge():
    table = cl.fc_batch_table("TPU v1", [1, 1024, 1353, 2048]).set_index("batch")
    assert table.loc[1, "attainable"] == pytest.approx(34e9 * 2)       # 68 GOPS at batch 1
    assert table.loc[1024, "bound"] == "memory"
    assert table.loc[1353, "bound"] == "compute" and table.loc[2048, "fraction_of_peak"] == 1.0


# --- halos ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("out_tile, layers, expected", [
    (8, [(3, 1)], 10),                       # one 3x3 conv: one pixel each side
    (8, [(3, 1)] * 3, 14),                   # three: t + 6
    (1, [(11, 4)], 11),                      # AlexNet conv1's receptive field
    (8, [(3, 1), (3, 1), (2, 2), (3, 1), (3, 1), (2, 2)], 44),  # VGG conv1_1 ... pool2: 8->16->18->20->40->42->44
    (5, [], 5),
])
def test_input_tile_side_by_hand(out_tile, layers, expected):
    assert cl.input_tile_side(out_tile, layers) == expected


# --- the conv stack -------------------------------------------------------------------------------

def test_conv_stack_of_vgg16_stops_at_the_classifier():
    names = [s.name for s in cl.conv_stack(cl.zoo.vgg16())]
    assert names[:3] == ["conv1_1", "conv1_2", "pool1"] and names[-1] == "pool5" and len(names) == 18


def test_conv_stack_stops_at_a_residual_block():
    names = [s.name for s in cl.conv_stack(cl.zoo.resnet18())]
    assert names == ["conv1", "maxpool"]


def test_layerwise_traffic_by_hand():
    # conv1: reads 36 + 10, writes 16 = 62; conv2: reads 16 + 10, writes 4 = 30 (1 byte per element)
    table = cl.layerwise_traffic(TINY, bytes_per_element=1)
    assert list(table["total_bytes"]) == [62, 30]
    assert cl.layerwise_traffic(PADDED, bytes_per_element=1)["total_bytes"].sum() == (32 + 38 + 32) + (32 + 8)


def test_layerwise_traffic_equals_the_roofline_model():
    # the roofline (notebook 04, separate code) counts the same bytes for conv and pool rows
    vgg = cl.zoo.vgg16()
    table = cl.roofline(vgg, "V100 SXM2 fp32")
    stack = [s.name for s in cl.conv_stack(vgg)][:6]
    rows = table[table["name"].isin(stack)]
    assert cl.layerwise_traffic(vgg, 6)["total_bytes"].sum() == (rows["bytes_read"] + rows["bytes_written"]).sum()


# --- fusion, worked by hand -----------------------------------------------------------------------

@pytest.mark.parametrize("network, buffer, fits, tile, tiles, on_chip, total, halo, extra_macs", [
    # TINY, 1 B/element, weights 20 B. One 2x2 tile holds 36 + 16 = 52 B of maps.
    (TINY, 30, False, 0, 0, False, math.nan, math.nan, 0),      # a 1x1 tile needs 5x5 + 3x3 = 34 B
    (TINY, 34, True, 1, 4, False, 100 + 4 + 4 * 20, 64, 180),  # 4 tiles read 5x5 each; 3x3 of conv1 per tile: 36*9 - 16*9
    (TINY, 51, True, 1, 4, False, 184, 64, 180),
    (TINY, 52, True, 2, 1, False, 36 + 4 + 20, 0, 0),          # one tile: no halo
    (TINY, 72, True, 2, 1, True, 60, 0, 0),                    # 52 + 20: weights fit too
    # PADDED, 1 B/element, weights 38 B. A 1x1 pool tile: 2x2 conv outputs from a 3x3 input (clipped padding):
    # 2*9 + 2*4 = 26 B; 4 tiles read 2*3*3 each = 72 B, weights 4 x 38.
    (PADDED, 25, False, 0, 0, False, math.nan, math.nan, 0),
    (PADDED, 30, True, 1, 4, False, 72 + 8 + 4 * 38, 40, 0),
    (PADDED, 64, True, 2, 1, False, 32 + 8 + 38, 0, 0),        # 2*16 + 2*16 = 64 B; 1 tile beats 1x1 tiles with resident weights (118)
])
def test_fused_traffic_by_hand(network, buffer, fits, tile, tiles, on_chip, total, halo, extra_macs):
    plan = cl.fused_traffic(network, buffer, bytes_per_element=1)
    assert (plan.fits, plan.tile, plan.tiles, plan.weights_on_chip, plan.extra_macs) == (fits, tile, tiles, on_chip, extra_macs)
    if fits:
        assert plan.total_bytes == total and plan.halo_bytes == halo
        assert plan.parts()["total"] == plan.input_bytes + plan.output_bytes + plan.weight_bytes == total
        assert plan.buffer_needed <= buffer
    else:
        assert math.isnan(plan.total_bytes)


def test_fused_macs_include_the_recomputed_halo():
    plan = cl.fused_traffic(TINY, 34, bytes_per_element=1)
    assert plan.macs == 4 * 9 * 9 + 4 * 9   # conv1 computes 3x3 outputs per tile, conv2 1 per tile


def test_unlimited_buffer_reaches_the_floor():
    vgg = cl.zoo.vgg16()
    stack = cl.stack_table(vgg).head(6)
    plan = cl.fused_traffic(vgg, 1e12, 6)
    floor = 3 * 224 * 224 * 4 + stack["map_bytes"].iloc[-1] + stack["weight_bytes"].sum()
    assert plan.total_bytes == floor and plan.tiles == 1 and plan.extra_macs == 0


def test_traffic_never_rises_with_a_larger_buffer():
    curve = cl.traffic_curve(cl.zoo.vgg16(), [1024 * 2 ** (k / 2) for k in range(31)], layers=3)
    fused = curve.loc[curve["fits"], "fused_bytes"].to_numpy()
    assert (fused[1:] <= fused[:-1]).all()
    assert (~curve["fits"]).iloc[0] and curve["fits"].iloc[-1]


def test_fusion_comparison_parts_sum_and_energy():
    table = cl.fusion_comparison(TINY, 72, dtype="int8")
    by_layer, fused = table.loc["layer by layer"], table.loc["fused"]
    # layer by layer: input 36, conv1's map written and read back 16 + 16, weights 20, output 4 = 92
    assert (by_layer["input"], by_layer["intermediate maps"], by_layer["weights"], by_layer["output"]) == (36, 32, 20, 4)
    assert by_layer["total_bytes"] == 92 and fused["total_bytes"] == 60 and fused["intermediate maps"] == 0
    assert fused["dram_J"] == pytest.approx(60 * 160e-12)
    assert fused["compute_J"] == pytest.approx(180 * 0.3e-12)   # int8 MAC: 0.2 pJ mult + 0.1 pJ 32-bit add


@pytest.mark.parametrize("call, error, words", [
    (lambda: cl.fused_traffic(TINY, 0), ValueError, ["buffer_bytes", "0"]),
    (lambda: cl.fused_traffic(TINY, 100, layers=3), ValueError, ["layers", "3", "2"]),
    (lambda: cl.fused_traffic(TINY, 100, layers=["conv2", "conv1"]), ValueError, ["layers", "consecutive"]),
    (lambda: cl.fused_traffic(TINY, 100, bytes_per_element=0), ValueError, ["bytes_per_element"]),
    (lambda: cl.fused_traffic("vgg", 100), TypeError, ["network", "str"]),
    (lambda: cl.conv_stack(cl.Network("mlp", (10,), [cl.Linear(5)])), ValueError, ["mlp", "conv"]),
    (lambda: cl.fusion_comparison(TINY, 100, dtype="int4"), ValueError, ["dtype", "int4"]),
    (lambda: cl.input_tile_side(0, []), ValueError, ["out_tile", "0"]),
    (lambda: cl.systolic_peak(256, 256.0, 7e8), TypeError, ["cols"]),
    (lambda: cl.fc_weight_intensity(0), ValueError, ["batch_size", "0"]),
    (lambda: cl.batch_for_peak("DDR4-2400 channel"), ValueError, ["DDR4-2400 channel", "no compute peak"]),
])
def test_bad_input_names_the_parameter(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)


# --- plots and the widget -------------------------------------------------------------------------

def test_plots_return_figures():
    from matplotlib.figure import Figure
    vgg = cl.zoo.vgg16()
    figures = [cl.plots.energy_bar_plot(cl.energy_table()),
               cl.plots.traffic_curve_plot(cl.traffic_curve(vgg, [2 ** 10, 2 ** 20], layers=3)),
               cl.plots.fusion_comparison_plot(cl.fusion_comparison(vgg, 2 ** 10, 3)),
               cl.plots.fc_batch_plot(cl.fc_batch_table())]
    assert all(isinstance(f, Figure) for f in figures)


@pytest.mark.parametrize("buffer_kib, fused_layers, dtype", [
    (1, 1, "fp32"), (2 ** 16, 10, "int8"), (2 ** 8, 10, "fp16"), (512, 6, "fp32"), (2 ** 0.5, 10, "int8"),
])
def test_widget_view_across_its_range(buffer_kib, fused_layers, dtype):
    from course_lib.widgets.dataflow import fusion_view
    text, figure = fusion_view(buffer_kib, fused_layers, dtype)
    assert "KiB" in text and figure is not None


@pytest.mark.parametrize("fused_layers", range(1, 11))
@pytest.mark.parametrize("dtype", ["fp32", "fp16", "int8"])
def test_every_slider_position_computes(fused_layers, dtype):
    # the widget's data for every fused depth and dtype, at both ends of the buffer slider (1 KiB, 64 MiB)
    vgg = cl.zoo.vgg16()
    for kib in (1, 2 ** 16):
        table = cl.fusion_comparison(vgg, kib * 1024, fused_layers, dtype)
        assert table.loc["layer by layer", "total_bytes"] > 0


def test_widget_builds():
    import ipywidgets
    assert isinstance(cl.widgets.fusion_explorer(), ipywidgets.VBox)


def test_single_tile_says_weights_read_once_not_streamed():
    # 6x6 input, two 3x3 convs, 1 byte: a 2x2 output tile holds 36 + 16 = 52 bytes (one tile, weights 20 B read once);
    # in 34 bytes (5x5 input patch 25 + conv1's 3x3 piece 9) it takes four 1x1 tiles and the weights stream per tile
    tiny = cl.Network("tiny", (1, 6, 6), [cl.Conv2d(1, 3), cl.Conv2d(1, 3)])
    one = cl.fused_traffic(tiny, 52, bytes_per_element=1)
    assert one.tiles == 1 and "weights streamed (one tile, so read once)" in str(one) and one.weight_bytes == 20
    four = cl.fused_traffic(tiny, 34, bytes_per_element=1)
    assert four.tiles == 4 and "weights streamed per tile" in str(four) and four.weight_bytes == 80


def test_traffic_plot_no_fit_band_reaches_first_fitting_buffer():
    # VGG-16's first six layers in fp32: sampled buffers 64 KiB (no tile fits) and 90.5 KiB (fits): the grey band
    # must end where the first plan is drawn, not at the last buffer that fails
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    curve = cl.traffic_curve(cl.zoo.vgg16(), [1024 * 2 ** (k / 2) for k in range(0, 31)], layers=6, bytes_per_element=4)
    first_fit_kib = curve[curve["fits"]]["buffer_bytes"].iloc[0] / 1024
    assert 64 < first_fit_kib < 91
    fig = cl.plots.traffic_curve_plot(curve)
    ax = fig.axes[0]
    band = [p for p in ax.patches if p.get_label() == "no tile fits"]
    assert len(band) == 1
    xs = band[0].get_path().vertices[:, 0]
    right = band[0].get_patch_transform().transform(band[0].get_path().vertices)[:, 0].max() if xs.max() <= 1 else xs.max()
    assert right == pytest.approx(first_fit_kib)


def test_edge_tiles_are_clipped_at_the_image_border():
    # VGG-16 conv1_1 ... pool2 fused in 2 MiB fp32: 7 x 7 tiles of 8 x 8 pool2 pixels. Walking tile i's rows
    # back: pool2 [16i, 16i+16), conv2_2 [16i-1, 16i+17), conv2_1 [16i-2, 16i+18), pool1 [32i-4, 32i+36),
    # conv1_2 [32i-5, 32i+37), conv1_1 [32i-6, 32i+38): 44 input rows inside, clipped to [0, 224) at the
    # border, 38 rows for i = 0 and i = 6. Per axis 5 x 44 + 2 x 38 = 296 rows; 3 channels, 4 bytes.
    plan = cl.fused_traffic(cl.zoo.vgg16(), 2 * 1024 ** 2, layers=6, bytes_per_element=4)
    assert (plan.tiles, plan.tile) == (49, 8)
    assert plan.input_bytes == 3 * 296 ** 2 * 4 == 1_051_392
    assert plan.input_bytes < 49 * 44 ** 2 * 3 * 4 == 1_138_368      # what unclipped tiles would read
