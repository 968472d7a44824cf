"""The device catalog and the roofline (course_lib/devices.py, course_lib/roofline.py).

References: conv1's figures as "深度学习的最大短板原来是它!" (Huashang Daily, hsw.cn, 4 Nov 2019) works them, and ridge
points, each the quotient of two vendor datasheet figures (or the 6.7 of Williams, Waterman,
Patterson, "Roofline", CACM 52(4), 2009).
"""
import numpy as np
import pytest

import course_lib as cl

ALEXNET = cl.zoo.alexnet_original()


@pytest.fixture(scope="module")
def conv1_on_120():
    return cl.roofline(ALEXNET, "120 TFLOP/s example", 1, 4).set_index("name").loc["conv1"]


@pytest.mark.parametrize("column, expected, tolerance", [
    ("time_compute_s", 1.757e-6, 0.0005e-6),   # the article: 105,415,200 x 2 / 120e12 ~ 1.757 us
    ("input_GBps", 351.9, 0.06),                # the article: 351.9
    ("output_GBps", 661.2, 0.05),               # the article: 661.16
    ("weight_GBps", 79.6, 0.05),                # 34,944 x 4 B / 1.7569 us = 79.56 (the article's 79.34 is a slip)
])
def test_conv1_on_the_120_tflops_example(conv1_on_120, column, expected, tolerance):
    assert conv1_on_120[column] == pytest.approx(expected, abs=tolerance)


def test_conv1_bytes_are_the_simple_model(conv1_on_120):
    assert conv1_on_120["bytes_read"] == (227 * 227 * 3 + 34_944) * 4
    assert conv1_on_120["bytes_written"] == 55 * 55 * 96 * 4
    assert conv1_on_120["flops"] == 2 * 105_415_200


@pytest.mark.parametrize("name, ridge, rel", [
    ("GTX 580", 8, 0.05), ("GTX 1080", 8.87e12 / 320e9, 0.002), ("V100 SXM2 fp32", 17.4, 0.01),
    ("V100 SXM2 fp16 tensor", 139, 0.01), ("A100 SXM 80GB fp32", 9.6, 0.01), ("A100 SXM 80GB tf32", 76, 0.01),
    ("A100 SXM 80GB bf16", 153, 0.01), ("A100 SXM 80GB int8", 306, 0.01), ("H100 SXM fp32", 20, 0.01),
    ("H100 SXM bf16", 295, 0.01), ("H100 SXM fp8", 591, 0.01), ("H200 SXM fp32", 14, 0.01),
    ("H200 SXM bf16", 206, 0.01), ("H200 SXM fp8", 412, 0.01), ("RTX 4090 fp32", 82, 0.01),
    ("RTX 4090 fp16 tensor", 164, 0.01), ("Jetson AGX Orin 64GB int8", 670, 0.01), ("TPU v4", 229, 0.01),
    ("Xeon E5345 (seeds)", 7.5, 0.001), ("Xeon E5345 (sustained)", 6.7, 0.01),
])
def test_ridge_points_of_course_section_7(name, ridge, rel):
    assert cl.ridge_point(name) == pytest.approx(ridge, rel=rel)


def test_gtx1080_ridge_is_not_the_blogs_28():
    # a blog post on BDTC 2017 (13 Dec 2017): "8TFLOPS/320GB/s约等于28"; NVIDIA's spec page gives 8.873 TFLOPS
    assert cl.ridge_point("GTX 1080") == pytest.approx(27.7, abs=0.05)
    assert cl.ridge_point(cl.Device("seed", 8.8e12, 320e9)) == pytest.approx(27.5)


def test_tpu_v1_ridge_counting_a_mac_as_one_op_is_the_papers_1350():
    # Jouppi et al. 2017 count a MAC as one op: 46 TMAC/s / 34 GB/s ~ 1,350
    assert cl.ridge_point("TPU v1") / 2 == pytest.approx(1350, rel=0.01)


@pytest.mark.parametrize("intensity, expected", [(0, 0), (0.25, 80e9), (10, 3.2e12), (27.728125, 8.873e12),
                                                 (100, 8.873e12)])
def test_attainable_flops_is_the_lower_roof(intensity, expected):
    assert cl.attainable_flops("GTX 1080", intensity) == pytest.approx(expected)


def test_attainable_flops_on_arrays():
    got = cl.attainable_flops("GTX 1080", np.array([0.25, 100.0]))
    assert got.tolist() == pytest.approx([80e9, 8.873e12])


@pytest.mark.parametrize("bad", [-1, float("nan")])
def test_attainable_flops_rejects_bad_intensity(bad):
    with pytest.raises(ValueError, match="intensity"):
        cl.attainable_flops("GTX 1080", bad)


def test_unknown_device_lists_the_names():
    with pytest.raises(ValueError) as error:
        cl.get_device("GTX 9999")
    message = str(error.value)
    assert "GTX 9999" in message
    assert all(name in message for name in ("GTX 1080", "V100 SXM2 fp32", "DDR4-2400 channel"))


@pytest.mark.parametrize("name", ["DDR4-2400 channel", "HBM2 (V100)", "PCIe 4.0 x16"])
def test_a_memory_has_no_roof(name):
    with pytest.raises(ValueError, match="no compute peak"):
        cl.ridge_point(name)


@pytest.mark.parametrize("name, gbps", [("DDR4-2400 channel", 19.2), ("GDDR5X (GTX 1080)", 320),
                                        ("HBM2 (V100)", 900), ("HBM3e (H200)", 4800)])
def test_memories_of_notebook_04(name, gbps):
    assert cl.get_device(name).mem_bandwidth == pytest.approx(gbps * 1e9)
    assert name in set(cl.devices("memory")["name"])


def test_ddr4_channel_is_jedec_arithmetic():
    assert cl.get_device("DDR4-2400 channel").mem_bandwidth == 2400e6 * 8


@pytest.mark.parametrize("batch", [1, 8, 128])
@pytest.mark.parametrize("device", ["GTX 1080", "120 TFLOP/s example", "TPU v1"])
def test_roofline_columns_are_consistent(device, batch):
    table = cl.roofline(ALEXNET, device, batch)
    d = cl.get_device(device)
    assert (table["time_s"] == table[["time_compute_s", "time_memory_s"]].max(axis=1)).all()
    compute = table["intensity"] >= cl.ridge_point(d)
    busy = table["flops"] > 0
    assert ((table["bound"] == "compute") == compute)[busy].all()
    assert (table["flops"] == 2 * table["macs"] * batch).all()


@pytest.mark.parametrize("batch", [1, 4, 32, 256])
def test_batch_moves_fc_layers_right(batch):
    small = cl.roofline(ALEXNET, "GTX 1080", batch).set_index("name")
    large = cl.roofline(ALEXNET, "GTX 1080", batch * 2).set_index("name")
    assert large.loc["fc1", "intensity"] > small.loc["fc1", "intensity"]


def test_layer_time_is_two_macs_over_peak():
    assert cl.layer_time(105_415_200, 120e12) == pytest.approx(1.7569e-6, rel=1e-4)
    with pytest.raises(ValueError, match="peak_flops"):
        cl.layer_time(10, 0)


# Bytes moved are what a layer reads (input + weights) plus what it writes (output); each
# figure below is worked by hand for the 2012 AlexNet in fp32 on the 120 TFLOP/s chip of "深度学习的最大短板原来是它!" (Huashang Daily, 4 Nov 2019)
# (the catalog's "120 TFLOP/s example": 120e12 FLOP/s, 900e9 B/s).
CONV1_BYTES = (3 * 227 * 227 + 34_944 + 96 * 55 * 55) * 4   # input 154,587 + weights 34,944 + output 290,400 elements
POOL1_BYTES = (96 * 55 * 55 + 96 * 27 * 27) * 4            # reads 290,400, writes 69,984 elements
FC1_BYTES = (9216 + 9216 * 4096 + 4096 + 4096) * 4         # input, weights + biases, output


@pytest.mark.parametrize("layer, moved, flops", [
    ("conv1", CONV1_BYTES, 2 * 55 * 55 * 96 * 3 * 11 * 11),   # 1,919,724 B; 210,830,400 FLOPs
    ("pool1", POOL1_BYTES, 0),                                # 1,441,536 B
    ("fc1", FC1_BYTES, 2 * 9216 * 4096),                      # 151,044,096 B; 75,497,472 FLOPs
])
def test_bytes_moved_include_the_output(layer, moved, flops):
    row = cl.roofline(ALEXNET, "120 TFLOP/s example", 1, 4).set_index("name").loc[layer]
    assert row["bytes_read"] + row["bytes_written"] == moved
    assert row["time_memory_s"] == pytest.approx(moved / 900e9, rel=1e-12)
    assert row["intensity"] == pytest.approx(flops / moved, rel=1e-12)
    assert row["time_s"] == pytest.approx(max(flops / 120e12, moved / 900e9), rel=1e-12)


def test_pool1_time_is_its_bytes_over_bandwidth():
    # (290,400 + 69,984) x 4 B / 900 GB/s = 1,441,536 / 9e11 s = 1.6017 us, memory bound
    row = cl.roofline(ALEXNET, "120 TFLOP/s example").set_index("name").loc["pool1"]
    assert row["time_s"] == pytest.approx(1.601706667e-6, rel=1e-9)
    assert row["bound"] == "memory"


def test_conv1_intensity_by_hand():
    # 210,830,400 FLOPs / 1,919,724 B = 109.8233 FLOP/byte; without the output's 1,161,600 B it would be 278.1
    row = cl.roofline(ALEXNET, "GTX 1080").set_index("name").loc["conv1"]
    assert row["intensity"] == pytest.approx(109.8233, rel=1e-6)


@pytest.mark.parametrize("batch", [1, 64])
def test_fc1_bytes_at_a_batch(batch):
    # inputs and outputs scale with the batch, the weights are read once
    row = cl.roofline(ALEXNET, "GTX 1080", batch, 2).set_index("name").loc["fc1"]
    assert row["bytes_written"] == 4096 * batch * 2
    assert row["bytes_read"] == (9216 * batch + 9216 * 4096 + 4096) * 2


def test_a_join_reads_its_operands_not_the_blocks_input():
    # a 4x8x8 input (256 elements); 1 byte an element so the bytes are element counts
    net = cl.Network("joins", (4, 8, 8), [
        cl.Concat(((cl.Conv2d(2, 1, bias=False),), (cl.Conv2d(3, 1, bias=False),)), name="cat"),   # -> 5x8x8
        cl.Residual(body=(cl.Conv2d(5, 1, bias=False),), name="res"),                             # 5x8x8 + 5x8x8
        cl.Gate(body=(cl.AdaptiveAvgPool2d(1), cl.Conv2d(5, 1, bias=False), cl.Sigmoid()), name="se"),
    ])
    rows = cl.roofline(net, cl.Device("test chip", 1e12, 1e11), bytes_per_element=1).set_index("name")
    # the concat reads the two branches' 2x8x8 and 3x8x8 (not the block's 4x8x8 input) and writes 5x8x8
    assert (rows.loc["cat.concat", "bytes_read"], rows.loc["cat.concat", "bytes_written"]) == (320, 320)
    # the add reads the body's 5x8x8 and the shortcut's 5x8x8
    assert (rows.loc["res.add", "bytes_read"], rows.loc["res.add", "bytes_written"]) == (640, 320)
    # the gate's multiply reads the 5x8x8 map and the 5 per-channel scales
    assert (rows.loc["se.mul", "bytes_read"], rows.loc["se.mul", "bytes_written"]) == (325, 320)
