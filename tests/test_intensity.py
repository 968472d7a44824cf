"""Operational intensity of basic kernels, bandwidth to keep up, the memory wall (course_lib/intensity.py).

References: hand-worked intensities as a blog post on the BDTC 2017 conference (posted 13 Dec 2017)
states them ("点积...故OI是1/4", matrix-vector 1/2, matrix-matrix n/6 in fp32), conv1's bandwidths as
"深度学习的最大短板原来是它!" (Huashang Daily, hsw.cn, 4 Nov 2019) works them, vendor datasheet
figures (each named where it is used), and PyTorch's FLOP counter.
"""
import math

import pytest

import course_lib as cl


@pytest.mark.parametrize("n", [1, 2, 7, 64, 1000, 4096])
def test_dot_product_is_a_quarter_flop_per_byte_in_fp32(n):
    assert cl.dot_product_cost(n)["intensity"] == pytest.approx(1 / 4)


@pytest.mark.parametrize("n", [6, 60, 1024, 3 * 2 ** 10])
def test_matmul_intensity_is_n_over_6_in_fp32(n):
    assert cl.matmul_cost(n, 4)["intensity"] == pytest.approx(n / 6)


@pytest.mark.parametrize("n, b, expected", [(6, 2, 2.0), (6, 1, 4.0), (3, 8, 0.25)])
def test_matmul_intensity_other_widths_hand_worked(n, b, expected):
    # 2n^3 / (3 n^2 b): n=6, b=2 -> 432 / 216 = 2
    assert cl.matmul_cost(n, b)["intensity"] == pytest.approx(expected)


@pytest.mark.parametrize("n, expected", [(2, 8 / 32), (4, 32 / 96), (10 ** 6, 0.5)])
def test_matvec_intensity_tends_to_a_half(n, expected):
    # n=2: 8 FLOPs over (4 + 4) elements x 4 B = 32 B; n=4: 32 FLOPs over 24 x 4 = 96 B
    assert cl.matvec_cost(n)["intensity"] == pytest.approx(expected, rel=1e-5)


def test_kernel_costs_table_rows_match_the_functions():
    table = cl.kernel_costs(128, 2).set_index("name")
    assert table.loc["dot product", "intensity"] == cl.dot_product_cost(128, 2)["intensity"]
    assert table.loc["matrix-matrix", "bytes"] == 3 * 128 ** 2 * 2


@pytest.mark.torch
@pytest.mark.parametrize("n", [8, 100, 257])
def test_kernel_flops_match_pytorch_flop_counter(n):
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode

    def counted(a, b):
        with FlopCounterMode(display=False) as counter:
            torch.mm(a, b)
        return counter.get_total_flops()

    assert cl.dot_product_cost(n)["flops"] == counted(torch.ones(1, n), torch.ones(n, 1))
    assert cl.matvec_cost(n)["flops"] == counted(torch.ones(n, n), torch.ones(n, 1))
    assert cl.matmul_cost(n)["flops"] == counted(torch.ones(n, n), torch.ones(n, n))


@pytest.mark.parametrize("elements, expected_gbps", [
    (227 * 227 * 3, 351.9),   # "深度学习的最大短板原来是它!" (Huashang Daily, hsw.cn, 4 Nov 2019): "351.9B/s"
    (55 * 55 * 96, 661.16),   # the same article: "661.16GB/s"
    (34_944, 79.6),           # weights: the article's 79.34 is an arithmetic slip
])
def test_bandwidth_to_keep_up_conv1_on_120_tflops(elements, expected_gbps):
    got = cl.bandwidth_to_keep_up(elements * 4, 105_415_200, 120e12) / 1e9
    assert got == pytest.approx(expected_gbps, abs=0.06)


def test_the_seeds_79_34_is_wrong():
    got = cl.bandwidth_to_keep_up(34_944 * 4, 105_415_200, 120e12) / 1e9
    assert abs(got - 79.34) > 0.2


def test_operational_intensity():
    assert cl.operational_intensity(2 * 1024, 8 * 1024) == 0.25


@pytest.mark.parametrize("call, parameter", [
    (lambda: cl.dot_product_cost(0), "n"),
    (lambda: cl.matvec_cost(-3), "n"),
    (lambda: cl.matmul_cost(4, 0), "bytes_per_element"),
    (lambda: cl.operational_intensity(10, 0), "bytes_moved"),
    (lambda: cl.operational_intensity(-1, 10), "flops"),
    (lambda: cl.bandwidth_to_keep_up(100, 0, 1e12), "macs"),
    (lambda: cl.bandwidth_to_keep_up(100, 10, -1), "peak_flops"),
])
def test_bad_input_names_the_parameter(call, parameter):
    with pytest.raises(ValueError, match=parameter):
        call()


@pytest.mark.parametrize("call", [lambda: cl.matmul_cost(2.5), lambda: cl.dot_product_cost(True),
                                  lambda: cl.matvec_cost("8")])
def test_non_integer_n_is_a_type_error(call):
    with pytest.raises(TypeError, match="n"):
        call()


# Vendor figures (NVIDIA's GTX 580 spec page; V100 and H200 datasheets): GTX 580 1.581 TFLOP/s, 192.4 GB/s;
# V100 fp16 tensor 125 TFLOP/s, 900 GB/s; H200 fp32 67 TFLOP/s, bf16 tensor 989.5 TFLOP/s dense, 4800 GB/s.
@pytest.mark.parametrize("column, expected", [("fp32_growth", 67 / 1.581), ("bandwidth_growth", 4800 / 192.4),
                                              ("tensor16_growth", 989.5 / 125),
                                              ("bandwidth_growth_tensor16", 4800 / 900),
                                              ("fp32_ridge", 67e12 / 4.8e12), ("tensor16_ridge", 989.5e12 / 4.8e12)])
def test_memory_wall_last_generation(column, expected):
    assert cl.memory_wall().iloc[-1][column] == pytest.approx(expected, rel=1e-3)


def test_memory_wall_compares_like_with_like():
    wall = cl.memory_wall().set_index("chip")
    # no int8 or fp8 peak anywhere: 16-bit tensor cores only, and none before the V100
    assert set(wall["tensor16_precision"]) == {"", "fp16", "bf16"}
    assert wall.loc[["GTX 580", "GTX 1080"], "tensor16_flops"].isna().all()
    assert wall.loc["V100", ["tensor16_growth", "bandwidth_growth_tensor16"]].tolist() == [1, 1]
    # growth in the tensor column is measured from the V100, over the same chips as its bandwidth
    assert wall.loc["A100", "tensor16_growth"] == pytest.approx(312 / 125)
    assert wall.loc["A100", "bandwidth_growth_tensor16"] == pytest.approx(2039 / 900)


def test_memory_wall_compute_outgrew_bandwidth_but_the_fp32_ridge_is_not_monotonic():
    wall = cl.memory_wall()
    assert list(wall["year"]) == sorted(wall["year"])
    assert wall.iloc[0][["fp32_growth", "bandwidth_growth"]].tolist() == [1, 1]
    last = wall.iloc[-1]
    assert last["fp32_growth"] > last["bandwidth_growth"] > 1
    assert last["tensor16_growth"] > last["bandwidth_growth_tensor16"] > 1
    # 27.7 FLOP/byte on the GTX 1080, 9.6 on the A100: the fp32 ridge fell in between
    ridge = wall.set_index("chip")["fp32_ridge"]
    assert ridge["GTX 1080"] == pytest.approx(8.873e12 / 320e9) and ridge["A100"] == pytest.approx(19.5 / 2.039)
    assert ridge["A100"] < ridge["GTX 1080"]


@pytest.mark.parametrize("device", ["GTX 1080", "V100 SXM2 fp32", "TPU v1"])
@pytest.mark.parametrize("batch", [1, 64])
def test_layer_points_sit_on_the_roof(device, batch):
    points = cl.layer_points(cl.zoo.alexnet_original(), device, batch)
    assert (points["flops"] > 0).all() and len(points) == 8
    for _, row in points.iterrows():
        assert row["attainable_flops"] == pytest.approx(cl.attainable_flops(device, row["intensity"]), rel=1e-9)
