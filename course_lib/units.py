"""Units: bytes, counts and rates written the way people read them, and the course glossary (notebook 00).

Two prefix systems are in use and they disagree by up to 10% at the tera scale:

- SI (decimal), used by vendors for bandwidth and memory sizes on datasheets and by
  this course unless it says otherwise: kB = 10^3, MB = 10^6, GB = 10^9, TB = 10^12
  (BIPM, *The International System of Units*, 9th ed., 2019, table 7).
- Binary (IEC 80000-13), used by most operating systems and by ``nvidia-smi``:
  KiB = 2^10, MiB = 2^20, GiB = 2^30, TiB = 2^40.

A multiply-accumulate (MAC) is one multiply and one add, so FLOPs = 2 x MACs
(notebook 03). Several tools print MACs under the name "FLOPs": check which one a
number is before you compare it.
"""
from __future__ import annotations

import pandas as pd

from ._checks import check_choice, check_int, check_number

__all__ = [
    "BYTE_UNITS", "SI_PREFIXES", "format_bytes", "format_count", "format_rate",
    "convert_bytes", "unit_table", "macs_to_flops", "flops_to_macs",
    "GLOSSARY", "glossary",
]

# Bytes in one of each unit. SI: BIPM SI brochure (2019); binary: IEC 80000-13.
BYTE_UNITS = {
    "B": 1,
    "kB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
    "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40,
}

# Prefixes for counts (parameters, MACs, FLOP/s): SI, as in "61.1 M parameters", "125 TFLOP/s".
SI_PREFIXES = (("", 1), ("k", 10**3), ("M", 10**6), ("G", 10**9), ("T", 10**12), ("P", 10**15))

_SI_BYTES = ("B", "kB", "MB", "GB", "TB")
_BINARY_BYTES = ("B", "KiB", "MiB", "GiB", "TiB")
_SYSTEM = {"B": "-", "kB": "SI 10^3", "MB": "SI 10^6", "GB": "SI 10^9", "TB": "SI 10^12",
           "KiB": "binary 2^10", "MiB": "binary 2^20", "GiB": "binary 2^30", "TiB": "binary 2^40"}


def _pick(value: float, steps) -> tuple[str, float]:
    """The largest (name, factor) with factor <= |value| (the smallest one for values below it)."""
    name, factor = steps[0]
    for step_name, step_factor in steps:
        if abs(value) >= step_factor:
            name, factor = step_name, step_factor
    return name, factor


def _number(value: float, digits: int) -> str:
    """``value`` with ``digits`` significant digits, no exponent, no trailing zeros."""
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    if "e" in text:  # 4 significant digits of 123456 print as 1.235e+05: write them out instead
        text = f"{float(text):.0f}"
    return text


def format_bytes(n_bytes, binary: bool = False, digits: int = 4) -> str:
    """A byte count with a prefix: ``format_bytes(243_860_896) == '243.9 MB'``.

    ``binary=True`` uses powers of two (``'232.6 MiB'`` for the same count).
    ``digits`` significant digits. Taught in notebook 00; used from notebook 02 on.
    """
    n_bytes = check_number("n_bytes", n_bytes, 0)
    digits = check_int("digits", digits, 1, 15)
    names = _BINARY_BYTES if binary else _SI_BYTES
    name, factor = _pick(n_bytes, [(u, BYTE_UNITS[u]) for u in names])
    return f"{_number(n_bytes / factor, digits)} {name}"


def format_count(n, digits: int = 4, unit: str = "") -> str:
    """A count with an SI prefix: ``format_count(60_965_224) == '60.97 M'``; ``unit`` is appended
    (``format_count(724_406_816, unit='MACs') == '724.4 M MACs'``). Notebook 00."""
    n = check_number("n", n)
    digits = check_int("digits", digits, 1, 15)
    prefix, factor = _pick(n, SI_PREFIXES)
    text = f"{_number(n / factor, digits)} {prefix}".rstrip()
    return f"{text} {unit}" if unit else text


def format_rate(per_second, unit: str = "FLOP/s", digits: int = 4) -> str:
    """A rate with an SI prefix glued to its unit: ``format_rate(1.25e14) == '125 TFLOP/s'``,
    ``format_rate(19.2e9, 'B/s') == '19.2 GB/s'``. Notebooks 04-05."""
    per_second = check_number("per_second", per_second, 0)
    digits = check_int("digits", digits, 1, 15)
    if not isinstance(unit, str) or not unit:
        raise TypeError(f"unit must be a non-empty string such as 'FLOP/s' or 'B/s', got {unit!r}")
    prefix, factor = _pick(per_second, SI_PREFIXES)
    return f"{_number(per_second / factor, digits)} {prefix}{unit}"


def convert_bytes(value, from_unit: str, to_unit: str = "B") -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit`` (any of ``BYTE_UNITS``):
    ``convert_bytes(1, 'GiB', 'GB') == 1.073741824``. Notebook 00."""
    value = check_number("value", value, 0)
    check_choice("from_unit", from_unit, tuple(BYTE_UNITS))
    check_choice("to_unit", to_unit, tuple(BYTE_UNITS))
    return value * BYTE_UNITS[from_unit] / BYTE_UNITS[to_unit]


def unit_table(value, unit: str = "MB") -> pd.DataFrame:
    """The same amount of memory in every unit of ``BYTE_UNITS``: one row per unit (notebook 00's converter)."""
    value = check_number("value", value, 0)
    check_choice("unit", unit, tuple(BYTE_UNITS))
    n_bytes = value * BYTE_UNITS[unit]
    rows = [(name, _SYSTEM[name], factor, n_bytes / factor) for name, factor in BYTE_UNITS.items()]
    return pd.DataFrame(rows, columns=["unit", "system", "bytes per unit", "value"])


def macs_to_flops(macs):
    """FLOPs = 2 x MACs: a multiply-accumulate is one multiply and one add (notebook 03)."""
    macs = check_number("macs", macs, 0)
    flops = 2 * macs
    return int(flops) if flops == int(flops) else flops


def flops_to_macs(flops):
    """MACs = FLOPs / 2 (notebook 03)."""
    flops = check_number("flops", flops, 0)
    macs = flops / 2
    return int(macs) if macs == int(macs) else macs


# The course's words, English / 中文 (the source articles' terms, Simplified), with a one-line meaning and
# the notebook that teaches each. Held as data so a table, a filter widget and tests can read it.
GLOSSARY = (
    # (English, 中文, meaning, notebook)
    ("convolution", "卷积", "a small kernel of weights slid over the input; each position gives one output pixel", "01"),
    ("kernel / filter", "卷积核", "the K x K x C_in block of weights one output channel uses", "01"),
    ("stride", "步长", "how many pixels the window jumps between two outputs", "01"),
    ("padding", "填充", "zeros added around the input so the window can reach its border", "01"),
    ("feature map", "特征图", "a layer's output: H x W pixels x C channels", "01"),
    ("channel", "通道", "one of the C planes of a feature map (RGB input: 3)", "01"),
    ("pooling", "池化", "takes the max (or mean) of each window; no weights", "01"),
    ("fully connected layer", "全连接层", "every output neuron is connected to every input element", "01"),
    ("neuron", "神经元", "one output unit of a fully connected layer", "01"),
    ("activation", "激活", "a layer's output values (also: the non-linearity, e.g. ReLU, that produces them)", "02"),
    ("parameters (weights and biases)", "参数 (权重和偏置)", "the numbers a network learns; they must be stored and read", "02"),
    ("batch size", "批大小", "how many inputs are processed together", "02"),
    ("SI byte units (kB, MB, GB)", "十进制单位", "powers of ten: 1 MB = 10^6 bytes; bandwidth, and this course's sizes", "00"),
    ("binary byte units (KiB, MiB, GiB)", "二进制单位", "powers of two: 1 MiB = 2^20 bytes; GPU memory capacity, nvidia-smi", "00"),
    ("operations per second (OPS, TOPS)", "每秒操作数", "operations per second, mostly integer (int8); 1 TOPS = 10^12 OPS", "04"),
    ("multiply-accumulate (MAC)", "乘累加", "a*b + c: one multiply and one add; 1 MAC = 2 FLOPs", "03"),
    ("floating-point operation (FLOP)", "浮点运算", "one add or one multiply on floating-point numbers", "03"),
    ("compute (throughput)", "算力", "how many operations a chip can do per second (FLOP/s, OPS)", "04"),
    ("bandwidth", "带宽", "how many bytes per second memory can deliver (GB/s)", "04"),
    ("memory wall", "内存墙", "compute grows faster than bandwidth, so data movement limits speed", "04"),
    ("operational intensity", "运算强度", "FLOPs done per byte moved from memory", "05"),
    ("roofline", "屋顶线模型", "attainable FLOP/s = min(peak, bandwidth x intensity)", "05"),
    ("low rank (factorization)", "低秩 (分解)", "replace a weight matrix by a product of two thin ones", "06"),
    ("pruning", "剪枝", "remove small or unimportant weights or channels", "06"),
    ("quantization", "量化", "store and compute with fewer bits per number (fp32 -> int8 -> 1 bit)", "06"),
    ("accelerator", "加速器", "a chip specialised for one kind of computation (e.g. the TPU)", "07"),
    ("inference / training", "推理 / 训练", "using a trained network / learning its parameters", "02"),
)


def glossary(search: str = "") -> pd.DataFrame:
    """The glossary as a table (English, 中文, meaning, notebook), filtered by ``search``
    (case-insensitive, matched in every column, a plural 's' ignored so that "MACs" finds the MAC;
    ``''`` keeps every row). Notebook 00."""
    if not isinstance(search, str):
        raise TypeError(f"search must be a string, got {search!r}")
    table = pd.DataFrame(GLOSSARY, columns=["English", "中文", "meaning", "notebook"])
    if search.strip():
        needle = search.strip().lower()
        if len(needle) > 3 and needle.endswith("s"):
            needle = needle[:-1]
        keep = table.apply(lambda row: any(needle in str(cell).lower() for cell in row), axis=1)
        table = table[keep].reset_index(drop=True)
    return table
