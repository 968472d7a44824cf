"""Exercise 05 (the roofline): content only. Expected values are computed with course_lib."""
from __future__ import annotations

from .. import Device, Linear, Network, attainable_flops, get_device, kernel_costs, layer_points, matmul_cost, \
    matvec_cost, ridge_point, roofline, zoo
from ._core import ChoiceQuestion, FunctionQuestion, NumberQuestion, show_score

__all__ = ["QUESTIONS", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "score"]

_GTX = get_device("GTX 1080")
_RIDGE = ridge_point(_GTX)

q1 = NumberQuestion(
    name="q1", var="gtx1080_ridge", points=1,
    expected=_RIDGE, unit="FLOP/byte", decimals=1,
    mistakes={ridge_point(Device("seeds", 8.8e12, 320e9)): "that uses a peak rounded to 8.8 TFLOP/s; use the catalog's 8.873 TFLOP/s.",
              ridge_point(Device("seeds", 8e12, 320e9)): "that is the article's formula '8 TFLOPS / 320 GB/s'; use the catalog's peak.",
              28: "the article's ~28 is rounded; give the ridge from the catalog's figures, to 1 decimal place."},
    wrong_units={"TFLOP/s over GB/s (x 1000 too small): convert both to FLOP/s and bytes/s": 1e-3},
    hint_text="ridge = peak / bandwidth, both from cl.get_device('GTX 1080').",
    solution_text=f"8.873e12 / 320e9 = {_RIDGE:.2f}, so {_RIDGE:.1f} FLOP/byte (the article's own 8 TFLOPS / 320 GB/s gives 25; its 'about 28' is near this).",
    example_wrong=28,
)


def _attainable(peak_flops, bandwidth, intensity):
    return attainable_flops(Device("any", peak_flops, bandwidth), intensity)


q2 = FunctionQuestion(
    name="q2", var="attainable", points=2,
    reference=_attainable,
    cases=[(8.873e12, 320e9, 0.25), (8.873e12, 320e9, 27.728125), (8.873e12, 320e9, 170.0),
           (75e9, 10e9, 1.0), (75e9, 10e9, 100.0), (125e12, 900e9, 0.0), (1e12, 1e11, 10.0)],
    rel_tol=1e-9,
    hint_text="The smaller of the two roofs: the flat one (peak) and the slanted one (bandwidth x intensity).",
    solution_text="def attainable(peak_flops, bandwidth, intensity):\n"
                  "    return min(peak_flops, bandwidth * intensity)",
    example_wrong=lambda peak_flops, bandwidth, intensity: max(peak_flops, bandwidth * intensity),
)

q3 = FunctionQuestion(
    name="q3", var="matmul_intensity", points=2,
    reference=lambda n, bytes_per_element: matmul_cost(n, bytes_per_element)["intensity"],
    cases=[(1024, 4), (1, 4), (6, 4), (4096, 2), (100, 1), (333, 8)],
    rel_tol=1e-9,
    hint_text="2n^3 FLOPs; A and B read and C written, 3n^2 elements of bytes_per_element bytes each.",
    solution_text="def matmul_intensity(n, bytes_per_element):\n"
                  "    return 2 * n**3 / (3 * n**2 * bytes_per_element)",
    example_wrong=lambda n, bytes_per_element: 2 * n ** 3 / (2 * n ** 2 * bytes_per_element),  # forgets writing C
)

_mv = matvec_cost(4096, 2)["intensity"]
q4 = NumberQuestion(
    name="q4", var="matvec_fp16_oi", points=1,
    expected=_mv, unit="FLOP/byte", significant=4,
    wrong_units={"FLOP per element, not per byte": 2},
    mistakes={matvec_cost(4096, 4)["intensity"]: "that is the intensity with fp32 elements (4 bytes); the question "
                                                 "says fp16, 2 bytes an element.",
              1: "that rounds to 1.000, the limit for a very large n. At n = 4096 the two vectors still count, "
                 "(n^2 + 2n) elements, so the value is a little under 1: give it to four significant digits.",
              0.5: "that is the fp32 limit for a very large n; here the elements are fp16 (2 bytes)."},
    hint_text="2n^2 FLOPs over (n^2 + 2n) elements of 2 bytes, n = 4096.",
    solution_text=f"2 x 4096^2 / ((4096^2 + 2 x 4096) x 2) = {_mv:.5f} FLOP/byte: about 1 in fp16, 1/2 in fp32.",
    example_wrong=matvec_cost(4096, 4)["intensity"],
)

_points = layer_points(zoo.alexnet_original(), _GTX, 1, 4)
_memory = tuple(_points.loc[_points["bound"] == "memory", "name"])
_SETS = {"a": tuple(_points["name"]), "b": ("fc1", "fc2", "fc3"), "c": ("conv1",), "d": ()}
q5 = ChoiceQuestion(
    name="q5", var="memory_bound_layers", points=2,
    expected=next(k for k, v in _SETS.items() if v == _memory),
    choices={"a": "all eight conv and FC layers", "b": "fc1, fc2 and fc3", "c": "conv1 only", "d": "none of them"},
    explanations={"a": "The conv layers have intensities of about 68-199 FLOP/byte, right of the ridge (27.7).",
                  "b": "Right: the FC layers sit near 0.5 FLOP/byte, far left of the ridge.",
                  "c": "conv1's intensity (~110) is right of the ridge: compute bound.",
                  "d": "Look at the FC layers: about 0.5 FLOP/byte."},
    hint_text="Compare each layer's intensity with the GTX 1080's ridge (27.7), or read the `bound` column of "
              "cl.layer_points(cl.zoo.alexnet_original(), 'GTX 1080').",
    solution_text=f"b: memory bound are {', '.join(_memory)} (intensity below the ridge {_RIDGE:.1f}).",
    example_wrong="a",
)


def _fc1_bound(batch):
    fc1 = Network("fc1", (9216,), (Linear(4096),))
    return roofline(fc1, _GTX, batch, 4)["bound"].iloc[0]


def _smallest_compute_bound_batch():
    lo, hi = 1, 4096  # fc1 is memory bound at 1 and compute bound at 4096
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if _fc1_bound(mid) == "compute" else (mid + 1, hi)
    return lo


_batch = _smallest_compute_bound_batch()
q6 = NumberQuestion(
    name="q6", var="fc1_batch", points=2,
    expected=_batch, unit="images", rel_tol=1e-9,   # exactly: a whole number
    mistakes={_batch - 1: "one short: at that batch fc1 is still (just) memory bound.",
              64: "fc1 is compute bound at 64, but 64 is not the smallest such batch: try every batch between "
                  "32 and 64, not just powers of two.",
              128: "fc1 is compute bound at 128 (the lesson's table), but the table lists only a few batches: "
                   "try every batch between 32 and 128."},
    hint_text="fc1 (9216 -> 4096, fp32) at batch B: FLOPs 2 x B x 9216 x 4096; bytes: weights + bias once, "
              "input and output B times. Find the smallest B whose intensity reaches the GTX 1080's ridge.",
    solution_text=f"Batch {_batch}: e.g. loop over B with cl.roofline(...)['bound'] for fc1.",
    example_wrong=_batch - 1,
)

q7 = ChoiceQuestion(
    name="q7", var="xeon_ridge", points=2, expected="b",
    choices={"a": "The paper counts a multiply-add as one FLOP, so its peak, and with it its ridge, is lower.",
             "b": "The paper divides the peak by the bandwidth the machine sustains (about 11 GB/s), more than "
                  "the article's 10 GB/s, so its ridge is lower.",
             "c": "The paper takes the peak at a lower clock than the article does, so its ridge is lower.",
             "d": "The paper divides by the bus (pin) bandwidth of both sockets, 2 x 10.66 GB/s, so its ridge "
                  "is lower."},
    explanations={"a": "Both count 2 FLOPs per multiply-add (75 GFLOP/s is with that count).",
                  "b": f"Right: {ridge_point(get_device('Xeon E5345 (sustained)')):.2f} vs "
                       f"{ridge_point(get_device('Xeon E5345 (seeds)')):.2f} in the catalog; the article's 10 GB/s "
                       f"is less than the machine sustains, so its 7.5 is pessimistic.",
                  "c": "The peaks differ by less than 1% (74.7 vs 75 GFLOP/s); the bandwidth is what differs.",
                  "d": "The pin bandwidth gives the optimistic ridge 3.5, not 6.7; no program reaches it."},
    hint_text="ridge = peak / bandwidth: compare the peaks and the bandwidths of the two 'Xeon E5345' rows "
              "of cl.devices(); the one that differs by more decides.",
    solution_text="b: the roofline paper plots sustained bandwidth (what the memory really delivers). The pin "
                  "bandwidth, 2 x 10.66 GB/s, would give the optimistic ridge 3.5; the article's 10 GB/s gives "
                  "the pessimistic 7.5.",
    example_wrong="a",
)

_dot = attainable_flops(_GTX, kernel_costs(1024, 4).set_index("name").loc["dot product", "intensity"]) / 1e9
q8 = NumberQuestion(
    name="q8", var="dot_gflops", points=1,
    expected=_dot, unit="GFLOP/s", significant=3,
    wrong_units={"FLOP/s, not GFLOP/s": 1e9, "TFLOP/s, not GFLOP/s": 1e-3},
    mistakes={_GTX.peak_flops / 1e9: "that is the peak: a dot product (OI 1/4) is memory bound."},
    hint_text="OI of a dot product in fp32 is 1/4; attainable = min(peak, bandwidth x OI).",
    solution_text=f"min(8,873, 320 x 0.25) = {_dot:.0f} GFLOP/s: under 1% of the peak.",
    example_wrong=_GTX.peak_flops / 1e9,
)

QUESTIONS = [q1, q2, q3, q4, q5, q6, q7, q8]


def score():
    """Each question's status and the total (the last cell of the exercise notebook)."""
    show_score(QUESTIONS)
