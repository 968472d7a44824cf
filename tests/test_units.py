"""Units and glossary (course_lib/units.py, notebook 00) against hand-worked values and the definitions
of the prefixes (BIPM SI brochure: M = 10^6; IEC 80000-13: Mi = 2^20)."""
import pytest

import course_lib as cl


@pytest.mark.parametrize("n_bytes, binary, expected", [
    (0, False, "0 B"),
    (999, False, "999 B"),
    (1000, False, "1 kB"),
    (1024, True, "1 KiB"),
    (1024, False, "1.024 kB"),
    (1_000_000, False, "1 MB"),
    (1_000_000, True, "976.6 KiB"),        # 10^6 / 1024 = 976.5625
    (1_048_576, True, "1 MiB"),
    (1_048_576, False, "1.049 MB"),
    # AlexNet's fp32 weights: 60,965,224 x 4 B = 243,860,896 B = 243.9 MB
    (243_860_896, False, "243.9 MB"),
    (243_860_896, True, "232.6 MiB"),       # / 2^20 = 232.565...
    (3 * 2**30, True, "3 GiB"),             # memory chips come in powers of two: "3 GB" of DRAM is 3 GiB
    (3 * 2**30, False, "3.221 GB"),
    (141e9, False, "141 GB"),               # SI: 141 x 10^9 bytes
    (141 * 2**30, True, "141 GiB"),         # the H200's "141 GB" as nvidia-smi counts it (143,771 MiB usable)
    (141 * 2**30, False, "151.4 GB"),       # the same capacity in SI gigabytes
    (2**40, True, "1 TiB"),
])
def test_format_bytes(n_bytes, binary, expected):
    assert cl.format_bytes(n_bytes, binary=binary) == expected


def test_format_bytes_of_alexnet_weights_matches_course_figure():
    weights = cl.analyze(cl.zoo.alexnet_original())["param_bytes"].sum()
    assert cl.format_bytes(weights) == "243.9 MB"


@pytest.mark.parametrize("n, kwargs, expected", [
    (60_965_224, {}, "60.97 M"),                          # AlexNet (2012) parameters
    (61_100_840, {"digits": 3}, "61.1 M"),                # torchvision AlexNet
    (724_406_816, {"unit": "MACs"}, "724.4 M MACs"),      # AlexNet MACs (thop, fvcore)
    (4_089_184_256, {}, "4.089 G"),                       # ResNet-50 conv + FC MACs
    (7, {}, "7"),
    (1000, {}, "1 k"),
])
def test_format_count(n, kwargs, expected):
    assert cl.format_count(n, **kwargs) == expected


@pytest.mark.parametrize("value, unit, expected", [
    (125e12, "FLOP/s", "125 TFLOP/s"),   # V100 fp16 tensor peak
    (15.7e12, "FLOP/s", "15.7 TFLOP/s"),  # V100 fp32 peak
    (19.2e9, "B/s", "19.2 GB/s"),         # DDR4-2400 channel: 2400 MT/s x 8 B
    (661.16e9, "B/s", "661.2 GB/s"),      # conv1's output write rate, "深度学习的最大短板原来是它!" (Huashang Daily, hsw.cn, 4 Nov 2019)
])
def test_format_rate(value, unit, expected):
    assert cl.format_rate(value, unit) == expected


@pytest.mark.parametrize("value, src, dst, expected", [
    (1, "GiB", "B", 2**30),
    (1, "GiB", "GB", 1.073741824),
    (1, "MB", "MiB", 0.95367431640625),
    (1024, "KiB", "MiB", 1),
    (1, "TB", "GB", 1000),
    (3, "GiB", "MB", 3221.225472),
])
def test_convert_bytes(value, src, dst, expected):
    assert cl.convert_bytes(value, src, dst) == pytest.approx(expected, rel=1e-12)


def test_unit_table_has_every_unit_and_round_trips():
    table = cl.unit_table(1, "GiB")
    assert list(table["unit"]) == list(cl.BYTE_UNITS)
    row = table.set_index("unit")
    assert row.loc["B", "value"] == 2**30
    assert row.loc["MiB", "value"] == 1024


@pytest.mark.parametrize("macs, flops", [
    (105_415_200, 210_830_400),   # conv1: 55 x 55 x 96 x 3 x 11 x 11 = 105,415,200 MACs, FLOPs = 2 x MACs
    (724_406_816, 1_448_813_632),  # AlexNet total
    (0, 0),
    (1.5, 3.0),
])
def test_macs_flops(macs, flops):
    assert cl.macs_to_flops(macs) == flops
    assert cl.flops_to_macs(flops) == macs
    assert isinstance(cl.macs_to_flops(105_415_200), int)


@pytest.mark.parametrize("call, parameter", [
    (lambda: cl.format_bytes(-1), "n_bytes"),
    (lambda: cl.format_bytes("12"), "n_bytes"),
    (lambda: cl.format_bytes(10, digits=0), "digits"),
    (lambda: cl.format_count(True), "n"),
    (lambda: cl.format_rate(-5), "per_second"),
    (lambda: cl.format_rate(5, ""), "unit"),
    (lambda: cl.convert_bytes(1, "mb", "B"), "from_unit"),
    (lambda: cl.convert_bytes(1, "MB", "Mb"), "to_unit"),
    (lambda: cl.unit_table(1, "XB"), "unit"),
    (lambda: cl.macs_to_flops(-1), "macs"),
    (lambda: cl.flops_to_macs(float("nan")), "flops"),
    (lambda: cl.glossary(3), "search"),
])
def test_bad_input_names_the_parameter(call, parameter):
    with pytest.raises((ValueError, TypeError), match=parameter):
        call()


# The terms notebook 00 promises, with the Chinese that Chinese-language articles on the subject use.
@pytest.mark.parametrize("english, chinese", [
    ("convolution", "卷积"), ("stride", "步长"), ("padding", "填充"), ("fully connected", "全连接"),
    ("parameters", "参数"), ("bandwidth", "带宽"), ("compute", "算力"), ("pooling", "池化"),
    ("activation", "激活"), ("batch size", "批大小"), ("quantization", "量化"), ("pruning", "剪枝"),
    ("low rank", "低秩"),
])
def test_glossary_has_the_terms(english, chinese):
    table = cl.glossary()
    rows = table[table["English"].str.contains(english, regex=False)]
    assert not rows.empty, english
    assert rows["中文"].str.contains(chinese, regex=False).any(), (english, chinese)


@pytest.mark.parametrize("search, expected", [("步长", ["stride"]), ("STRIDE", ["stride"]), ("zzz", []),
                                              ("strides", ["stride"]), ("MACs", ["multiply-accumulate (MAC)"])])
def test_glossary_search(search, expected):
    assert list(cl.glossary(search)["English"]) == expected


def test_glossary_terms_are_unique_and_complete():
    table = cl.glossary()
    assert table["English"].is_unique and table["中文"].is_unique
    assert (table != "").all().all()
