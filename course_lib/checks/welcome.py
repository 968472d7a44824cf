"""Warm-up questions of notebook 00: they show how ``check()``, ``hint()`` and ``solution()`` answer.

Content only (the machinery is in ``_core``); expected values are computed with ``course_lib``.
"""
from __future__ import annotations

from .. import zoo
from ..analysis import analyze
from ..units import BYTE_UNITS, macs_to_flops
from ._core import ChoiceQuestion, NumberQuestion

__all__ = ["q1", "q2", "QUESTIONS"]

_CONV1_MACS = int(analyze(zoo.alexnet_original()).set_index("name").loc["conv1", "macs"])

q1 = NumberQuestion(
    name="q1", var="conv1_flops", points=1,
    expected=macs_to_flops(_CONV1_MACS), unit="FLOPs", rel_tol=0,   # "exactly": a count
    wrong_units={"MACs, not FLOPs (one MAC is two FLOPs)": 0.5},
    hint_text="A multiply-accumulate is a multiply and an add. `cl.macs_to_flops` turns one into the other.",
    solution_text=f"FLOPs = 2 x MACs = 2 x {_CONV1_MACS:,} = {macs_to_flops(_CONV1_MACS):,}: "
                  "`conv1_flops = cl.macs_to_flops(conv1_macs)`.",
    example_wrong=_CONV1_MACS,
)

_MIB_IS_BIGGER = BYTE_UNITS["MiB"] > BYTE_UNITS["MB"]
q2 = ChoiceQuestion(
    name="q2", var="bigger", points=1,
    choices={"a": "1 MB", "b": "1 MiB", "c": "they are the same"},
    expected="b" if _MIB_IS_BIGGER else "a",
    explanations={
        "a": f"1 MB is {BYTE_UNITS['MB']:,} bytes (SI, 10^6); 1 MiB is {BYTE_UNITS['MiB']:,} (binary, 2^20).",
        "b": f"1 MiB = 2^20 = {BYTE_UNITS['MiB']:,} bytes, {BYTE_UNITS['MiB'] / BYTE_UNITS['MB'] - 1:.1%} more "
             f"than 1 MB = 10^6 bytes.",
        "c": "they differ: MB is an SI (decimal) prefix, MiB a binary one.",
    },
    hint_text="M means 10^6 (SI); Mi means 2^20 (binary). Which is larger?",
    solution_text=f"'b': 1 MiB = {BYTE_UNITS['MiB']:,} bytes > 1 MB = {BYTE_UNITS['MB']:,} bytes (`cl.BYTE_UNITS`).",
    example_wrong="c",
)

QUESTIONS = [q1, q2]
