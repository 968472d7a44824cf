"""Energy of computing vs moving data: Horowitz ISSCC 2014, 45 nm (notebooks 06 and 07).

The figures are Mark Horowitz's, "Computing's energy problem (and what we can do about
it)", ISSCC 2014, for a 45 nm process at 0.9 V. Han, Pool, Tran & Dally, "Learning both
weights and connections for efficient neural networks", NIPS 2015 (Figure 1), tabulate
only 32-bit rows: his int and float add and multiply, and SRAM and DRAM reads per 32 bits,
which they derive from his 64-bit memory accesses (8 KB cache 10 pJ, DRAM 1.3-2.6 nJ); the
int8 and fp16 rows are from Horowitz's own table. They are rough (a factor of two
either way, and older than today's chips), but the *ratios* are what the lesson needs:
one 32-bit DRAM read costs about 140 floating-point multiply-accumulates.

The simple model, stated wherever it is used:

- a multiply-accumulate (MAC) costs one multiply plus one add. An int8 MAC array
  accumulates in 32 bits (TPU v1's products go to 32-bit accumulators, Jouppi et al.,
  ISCA 2017), so an int8 MAC is an 8-bit multiply and a 32-bit add, 0.2 + 0.1 pJ;
  fp32, fp16 and int32 MACs use a multiply and an add of their own width;
- moving data costs per bit: a 32-bit DRAM read is 640 pJ, so a byte is 160 pJ
  whatever its dtype, and writes are counted at the read price (the table has no
  write figure);
- an on-chip SRAM access is 5 pJ per 32-bit word (1.25 pJ per byte).

Results are dicts of named parts in joules whose ``"total"`` is their sum.
"""
from __future__ import annotations

import pandas as pd

from ._checks import check_choice, check_int, check_number

__all__ = ["ENERGY_45NM_PJ", "ENERGY_SOURCE", "MAC_OPERATIONS", "energy_table", "op_energy", "mac_energy",
           "dram_energy_per_byte", "sram_energy_per_byte", "dram_read_ratio", "energy_parts",
           "network_energy"]

ENERGY_SOURCE = ("M. Horowitz, 'Computing's energy problem (and what we can do about it)', ISSCC 2014, 45 nm; "
                 "as tabulated by Han et al., 'Learning both weights and connections', NIPS 2015, Fig. 1")
_HAN_MEMORY = ("S. Han et al., 'Learning both weights and connections', NIPS 2015, Fig. 1: a 32-bit read, "
               "derived from the 64-bit memory accesses of M. Horowitz, ISSCC 2014, 45 nm")
_HOROWITZ_ONLY = ("M. Horowitz, 'Computing's energy problem (and what we can do about it)', ISSCC 2014, 45 nm "
                  "(not in Han et al.'s table, which lists only 32-bit operations)")

# pJ per operation, 45 nm (ENERGY_SOURCE). Key -> (bits of the operand, picojoules).
ENERGY_45NM_PJ = {
    "int8 add": (8, 0.03),     # Horowitz 2014 only (Han et al. list only the 32-bit rows)
    "int8 mult": (8, 0.2),     # Horowitz 2014 only
    "int32 add": (32, 0.1),
    "fp16 add": (16, 0.4),     # Horowitz 2014 only
    "fp16 mult": (16, 1.1),    # Horowitz 2014 only
    "fp32 add": (32, 0.9),
    "int32 mult": (32, 3.1),
    "fp32 mult": (32, 3.7),
    "SRAM read (32-bit, 8 KB)": (32, 5.0),
    "DRAM read (32-bit)": (32, 640.0),
}

# The multiply and the add that make one MAC in each dtype (int8 accumulates in 32 bits: see the module docstring).
MAC_OPERATIONS = {
    "fp32": ("fp32 mult", "fp32 add"),
    "fp16": ("fp16 mult", "fp16 add"),
    "int32": ("int32 mult", "int32 add"),
    "int8": ("int8 mult", "int32 add"),
}

_BYTES = {"fp32": 4, "fp16": 2, "int32": 4, "int8": 1}


def energy_table() -> pd.DataFrame:
    """The 45 nm table: ``operation``, ``bits``, ``energy_pJ``, ``relative`` (to a 32-bit int add), ``cited``,
    ``source``.

    ``source`` is the full citation and says which rows Han et al. tabulate (the 32-bit ones), which are
    Horowitz's alone, and that the two memory reads are Han et al.'s 32-bit figures derived from Horowitz's
    64-bit accesses; ``cited`` is the same as a short tag ("Horowitz 2014; Han et al. 2015", "Horowitz 2014"
    or "Han et al. 2015 (from Horowitz)"), short enough to show in a table.
    """
    def cited(name, bits):
        if "read" in name:     # memory: Han et al.'s 32-bit figure, from Horowitz's 64-bit accesses
            return "Han et al. 2015 (from Horowitz)", _HAN_MEMORY
        if bits == 32:
            return "Horowitz 2014; Han et al. 2015", ENERGY_SOURCE
        return "Horowitz 2014", _HOROWITZ_ONLY

    rows = [(name, bits, pj, pj / ENERGY_45NM_PJ["int32 add"][1], *cited(name, bits))
            for name, (bits, pj) in ENERGY_45NM_PJ.items()]
    return pd.DataFrame(rows, columns=["operation", "bits", "energy_pJ", "relative", "cited", "source"])


def op_energy(operation: str) -> float:
    """Picojoules of one ``operation`` of the table (e.g. ``"fp32 mult"`` -> 3.7)."""
    check_choice("operation", operation, tuple(ENERGY_45NM_PJ))
    return ENERGY_45NM_PJ[operation][1]


def _dtype(dtype):
    if not isinstance(dtype, str):
        raise TypeError(f"dtype must be a string such as 'fp32', got {dtype!r}")
    return check_choice("dtype", dtype, tuple(MAC_OPERATIONS))


def mac_energy(dtype: str = "fp32") -> float:
    """Picojoules of one multiply-accumulate (fp32: 3.7 + 0.9 = 4.6 pJ; int8: 0.2 + a 32-bit add 0.1 = 0.3 pJ)."""
    mult, add = MAC_OPERATIONS[_dtype(dtype)]
    return op_energy(mult) + op_energy(add)


def dram_energy_per_byte() -> float:
    """Picojoules per byte moved to or from DRAM: 640 pJ / 4 bytes = 160 pJ."""
    bits, pj = ENERGY_45NM_PJ["DRAM read (32-bit)"]
    return pj / (bits // 8)


def sram_energy_per_byte() -> float:
    """Picojoules per byte read from a small on-chip SRAM: 5 pJ / 4 bytes = 1.25 pJ."""
    bits, pj = ENERGY_45NM_PJ["SRAM read (32-bit, 8 KB)"]
    return pj / (bits // 8)


def dram_read_ratio(dtype: str = "fp32") -> float:
    """How many ``dtype`` MACs cost as much as reading one ``dtype`` operand (of that width) from DRAM.

    fp32 (a 32-bit read): 640 / 4.6 = 139 (the "~140x"); int8 (an 8-bit read, 160 pJ): 160 / 0.3 = 533 --
    narrower data saves less on the DRAM side per element than on the arithmetic side. (A full 32-bit
    read, 640 pJ, costs 640 / 0.3 = 2,133 int8 MACs.)
    """
    return _BYTES[_dtype(dtype)] * dram_energy_per_byte() / mac_energy(dtype)


def energy_parts(macs: float, dram_bytes: float, sram_bytes: float = 0, dtype: str = "fp32") -> dict:
    """Energy in joules as named parts: ``compute`` = MACs x (mult + add), ``DRAM`` = bytes x 160 pJ,
    ``SRAM`` = bytes x 1.25 pJ, and ``total`` = their sum (notebook 07)."""
    macs = check_number("macs", macs, 0)
    dram_bytes = check_number("dram_bytes", dram_bytes, 0)
    sram_bytes = check_number("sram_bytes", sram_bytes, 0)
    parts = {
        "compute": macs * mac_energy(dtype) * 1e-12,
        "DRAM": dram_bytes * dram_energy_per_byte() * 1e-12,
        "SRAM": sram_bytes * sram_energy_per_byte() * 1e-12,
    }
    parts["total"] = sum(parts.values())
    return parts


def network_energy(network, batch_size: int = 1, dtype: str = "fp32") -> pd.DataFrame:
    """Per-layer energy in joules with the roofline's simple traffic model (notebook 07).

    Each layer reads its input and weights from DRAM once and writes its output once
    (``course_lib.roofline``'s model; nothing stays on chip). Columns: ``name``, ``kind``,
    ``macs`` (x batch), ``dram_bytes``, ``compute_J``, ``dram_J``, ``total_J``.
    """
    from .roofline import roofline  # the traffic model lives there

    batch_size = check_int("batch_size", batch_size, 1)
    dtype = _dtype(dtype)
    table = roofline(network, "TPU v1", batch_size, _BYTES[dtype])  # the device only sets times, unused here
    out = table[["name", "kind"]].copy()
    out["macs"] = table["macs"] * batch_size
    out["dram_bytes"] = table["bytes_read"] + table["bytes_written"]
    out["compute_J"] = out["macs"] * mac_energy(dtype) * 1e-12
    out["dram_J"] = out["dram_bytes"] * dram_energy_per_byte() * 1e-12
    out["total_J"] = out["compute_J"] + out["dram_J"]
    out.attrs.update(network=table.attrs.get("network"), batch_size=batch_size, dtype=dtype)
    return out
