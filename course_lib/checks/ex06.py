"""Exercise 06 (compression): content only. Expected values are computed with course_lib."""
from __future__ import annotations

import math

from .. import (Conv2d, Network, analyze, binarize, relative_error, roofline, sparse_bytes_per_weight,
                svd_error, svd_linear, synthetic_weights, tradeoff_table, tucker2_conv, quantize, zoo)
from ._core import ChoiceQuestion, FunctionQuestion, NumberQuestion, show_score

__all__ = ["QUESTIONS", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "EXERCISE_W", "PLOT_W", "score"]

# q1: AlexNet's fc1 (9216 -> 4096) at rank 128, weights only
_pair = svd_linear((9216, 4096), 128)
_FC1_WEIGHTS = int(analyze(Network("fc1", (9216,), _pair))["params"].sum()) - 4096   # minus the biases

q1 = NumberQuestion(
    name="q1", var="fc1_rank128_weights", points=1,
    expected=_FC1_WEIGHTS, unit="weights", rel_tol=1e-9,   # exactly
    mistakes={9216 * 4096: "that is the dense fc1; the factorized layer stores r*(m+n) weights.",
              _FC1_WEIGHTS + 4096: "that includes fc1's 4096 biases; the question asks for weights only.",
              _FC1_WEIGHTS + 128 + 4096: "that includes biases: the first thin layer has no bias, and only "
                                         "the second keeps fc1's 4096; the question asks for weights only.",
              128 * 9216 * 4096: "rank times both dimensions multiplies them: the two thin matrices are r x in and out x r."},
    hint_text="Two thin matrices: 9216 x 128 and 128 x 4096. cl.svd_linear((9216, 4096), 128) builds them.",
    solution_text=f"128 x (9216 + 4096) = {_FC1_WEIGHTS:,} weights (dense: 37,748,736, 22x more).",
    example_wrong=9216 * 4096,
)

# q2: the rank-16 error of a given matrix (the exercise notebook builds the same matrix)
EXERCISE_W = dict(rows=64, cols=128, decay=0.5, seed=6)   # cl.synthetic_weights(**EXERCISE_W)
_W = synthetic_weights(**EXERCISE_W)
_S2 = [(k + 1) ** (-2 * EXERCISE_W["decay"]) for k in range(64)]    # its squared singular values
_KEPT_SHARE = math.sqrt(sum(_S2[:16]) / sum(_S2))
_S = [math.sqrt(v) for v in _S2]                                     # its singular values, largest first

q2 = NumberQuestion(
    name="q2", var="rank16_error", points=2,
    expected=svd_error(_W, 16), unit="(a fraction)", significant=3,
    mistakes={_KEPT_SHARE: "that is the share the kept singular values hold; the error is made of the discarded ones.",
              1 - _KEPT_SHARE: "the norms add as squares: take sqrt(sum of the discarded s^2) / sqrt(sum of all s^2).",
              math.sqrt(sum(_S2[15:]) / sum(_S2)): "that discards s_16 too: rank 16 keeps the 16 largest values, "
                                                   "s[0] ... s[15] in NumPy, so the error is made of s[16:].",
              math.sqrt(sum(_S2[17:]) / sum(_S2)): "that keeps 17 values: rank 16 keeps s[0] ... s[15], "
                                                   "so the error is made of s[16:].",
              sum(_S2[16:]) / sum(_S2): "that is the squared error: take its square root.",
              math.sqrt(sum(_S2[16:])): "that is the absolute error ||W - W_16||: divide it by ||W||.",
              sum(_S[16:]) / sum(_S): "the norms add as squares: sqrt(sum(s[16:]**2) / sum(s**2)), "
                                      "not sum(s[16:]) / sum(s)."},
    wrong_units={"per cent, not a fraction": 100},
    hint_text="s = np.linalg.svd(W, compute_uv=False); Eckart-Young: error = sqrt(sum(s[16:]**2)) / sqrt(sum(s**2)).",
    solution_text=f"sqrt(sum(s[16:]**2) / sum(s**2)) = {svd_error(_W, 16):.5f} (or cl.svd_error(W, 16)).",
    example_wrong=_KEPT_SHARE,
)


# q3: write the BWN error
def _bwn_error(values):
    return relative_error(values, binarize(values)[0])


def _wrong_bwn_error(values):   # scales by max|w| instead of mean|w|
    peak = max(abs(v) for v in values)
    approx = [peak if v >= 0 else -peak for v in values]
    return relative_error(values, approx)


q3 = FunctionQuestion(
    name="q3", var="bwn_error", points=2,
    reference=_bwn_error,
    cases=[([0.5, -1.5, 2.0, 0.0],), ([1.0, 1.0, 1.0],), ([3.0, -1.0],), ([0.1, -0.2, 0.3, -0.4, 0.5],),
           ([-2.0, 0.01, 0.02, 0.03, -0.04, 0.05],), ([7.0],)],
    rel_tol=1e-9,
    hint_text="alpha = mean(|w|); each w becomes alpha * sign(w) (sign(0) = +1); "
              "error = ||w - w_hat|| / ||w||, both Frobenius (square root of the sum of squares).",
    solution_text="def bwn_error(values):\n"
                  "    w = np.asarray(values, dtype=float)\n"
                  "    alpha = np.abs(w).mean()\n"
                  "    w_hat = alpha * np.where(w >= 0, 1, -1)\n"
                  "    return float(np.linalg.norm(w - w_hat) / np.linalg.norm(w))",
    example_wrong=_wrong_bwn_error,
)

# q4: break-even sparsity for int8 values with 16-bit indices
_INT8_BREAK_EVEN = 1 - 1 / sparse_bytes_per_weight(8, 16)
q4 = NumberQuestion(
    name="q4", var="int8_break_even_sparsity", points=1,
    expected=_INT8_BREAK_EVEN, unit="(a fraction)", decimals=2,   # 0.67
    mistakes={1 - _INT8_BREAK_EVEN: "that is the break-even density (the kept fraction), and also the break-even "
                                    "sparsity of fp32 values; the question asks for the sparsity with 1-byte values.",
              0.5: "each kept weight costs its value (1 byte) and its index (2 bytes): 3 bytes, against 1 byte dense."},
    wrong_units={"per cent, not a fraction": 100},
    hint_text="Dense int8: 1 byte a weight. Sparse: (8 + 16)/8 bytes per kept weight. Equal when density x 3 = 1.",
    solution_text=f"density 1/3, so sparsity {_INT8_BREAK_EVEN:.4f}: below two thirds zeros, sparse int8 storage "
                  "is bigger than dense (cl.sparse_bytes_per_weight(8, 16) = 3.0).",
    example_wrong=1 - 4 / sparse_bytes_per_weight(32, 16),
)

# q5: Tucker-2 of torchvision AlexNet's conv4 (384 -> 256, 3x3, padding 1)
_conv4 = Conv2d(256, 3, padding=1)
_TUCKER = int(analyze(Network("t", (384, 13, 13), tucker2_conv(_conv4, 384, 96, 64)))["params"].sum())
q5 = NumberQuestion(
    name="q5", var="tucker_params", points=2,
    expected=_TUCKER, unit="params", rel_tol=1e-9,   # exactly
    mistakes={9 * 96 * 64 + 256: "that is the core alone: add the two 1x1 convs.",
              9 * 96 * 64: "that is the core's weights alone: add the two 1x1 convs and the biases.",
              _TUCKER - 256: "almost: the last 1x1 conv keeps conv4's 256 biases.",
              _TUCKER + 96 + 64: "only the last 1x1 conv has biases (conv4's 256); the first two layers have none."},
    hint_text="1x1 (384 -> 96, no bias) + 3x3 (96 -> 64, no bias) + 1x1 (64 -> 256, with bias); "
              "cl.tucker2_conv(cl.Conv2d(256, 3, padding=1), 384, 96, 64) and cl.analyze.",
    solution_text=f"384 x 96 + 9 x 96 x 64 + 64 x 256 + 256 = {_TUCKER:,} (dense conv4: 884,992).",
    example_wrong=9 * 96 * 64 + 256,
)

# q6: read the error-against-saving plot, for a flatter spectrum than the lesson's (s_k = k^-0.5, not 1/k)
PLOT_W = dict(rows=256, cols=512, decay=0.5, seed=3)
_TABLE = tradeoff_table(synthetic_weights(**PLOT_W)).set_index("setting")
_LETTERS = {"low rank (SVD)": "a", "pruning": "b", "quantization": "c", "binary / ternary": "d"}
_near16 = _TABLE[(_TABLE["ratio"] > 10) & (_TABLE["ratio"] < 25)]
_BEST16 = _near16.loc[_near16["rel_error"].idxmin(), "technique"]
_err = _TABLE["rel_error"]
q6 = ChoiceQuestion(
    name="q6", var="best_at_16x", points=2,
    expected=_LETTERS[_BEST16],
    choices={"a": "low rank (SVD)", "b": "pruning (without retraining)", "c": "uniform quantization",
             "d": "binary / ternary"},
    explanations={"a": f"Not on this matrix: its spectrum decays slowly (s_k = k^-0.5), so ranks 16 and 8 (10.7x, "
                       f"21.3x) leave errors of {_err['rank 16']:.2f} and {_err['rank 8']:.2f}. Low rank wins only "
                       "when the spectrum falls fast, as in the lesson's plot.",
                  "b": f"Pruning at 95% zeros (13.3x) has an error of {_err['95% zeros']:.2f} before retraining.",
                  "c": f"Uniform 3 bits (10.7x) is close, at {_err['3 bits']:.2f}, but 2 bits (16x) rounds almost "
                       f"every weight to 0: {_err['2 bits']:.2f}. Neither is the lowest point.",
                  "d": f"Right: ternary reaches 16x at an error of {_err['ternary']:.2f}, the lowest point between "
                       "10x and 25x on this flatter spectrum."},
    hint_text="Look between 10x and 25x on the x axis of the plot the cell draws: which marker is lowest there? "
              "(The plot is for PLOT_W's matrix, not the lesson's.)",
    solution_text=f"{_LETTERS[_BEST16]}: {_BEST16}. Near 16x, ternary's error ({_err['ternary']:.2f}) is the "
                  f"lowest; low rank, the winner on the lesson's fast-decaying matrix, is at {_err['rank 16']:.2f} "
                  "here: which technique wins depends on the layer's spectrum.",
    example_wrong="a",
)

# q7: find the mistake in the talk's description of three-stage pruning (Cheng Jian, elecfans.com, 22 June 2018)
q7 = ChoiceQuestion(
    name="q7", var="seed_pruning_mistake", points=1, expected="b",
    choices={"a": "The stages are in the wrong order: one must prune before training.",
             "b": "Han et al. remove connections (individual small weights), not nodes (neurons): removing "
                  "whole nodes or channels is structured pruning, which does give a real speed-up.",
             "c": "The method does not retrain after pruning.",
             "d": "Nothing: the passage is exact."},
    explanations={"a": "Train, prune, retrain is the right order: you need trained weights to know which are small.",
                  "b": "Right: the paper's title says it, 'Learning both Weights and Connections'. Scattered "
                       "zeros are why the talk is right that the real speed-up is small.",
                  "c": "It does retrain (stage 3), and iterates prune + retrain.",
                  "d": "Look at what is removed in stage 2."},
    hint_text="Unstructured pruning zeros single weights anywhere in a layer. What does the talk say is deleted?",
    solution_text="b: stage 2 deletes connections (weights below a threshold), which keeps every layer's shape; "
                  "that is exactly why the talk goes on to say the real speed-up is small.",
    example_wrong="d",
)

# q8: predicted speed-up of int8 weights on a GTX 1080, batch 1
_alexnet = zoo.alexnet_original()
_SPEEDUP = (roofline(_alexnet, "GTX 1080")["time_s"].sum()
            / roofline(quantize(_alexnet, 8), "GTX 1080")["time_s"].sum())
_moved = [(t["bytes_read"] + t["bytes_written"]).sum() for t in (roofline(_alexnet, "GTX 1080"),
                                                                     roofline(quantize(_alexnet, 8), "GTX 1080"))]
_BYTES_RATIO = float(_moved[0] / _moved[1])

q8 = NumberQuestion(
    name="q8", var="int8_speedup", points=2,
    expected=_SPEEDUP, unit="x", decimals=1,   # 2.5 (the lesson's 0.920 / 0.370 ms gives 2.49: also 2.5)
    mistakes={4.0: "that is the ratio of the weight bytes; the conv layers are compute bound and do not speed up.",
              _BYTES_RATIO: "that is the ratio of all the bytes moved; the conv layers are compute bound, so their "
                            "time does not fall with their bytes.",
              1.0: "the FC layers are memory bound at batch 1: fewer weight bytes make them faster.",
              1 / _SPEEDUP: "that is time after / time before, the inverse: the question asks how many times faster."},
    hint_text="Sum time_s of cl.roofline(net, 'GTX 1080') for cl.zoo.alexnet_original() and for "
              "cl.quantize(net, 8); divide before by after.",
    solution_text=f"{_SPEEDUP:.3f}, so {_SPEEDUP:.1f}x: the FC layers (memory bound) get about 4x faster, the conv layers "
                  "(compute bound) not at all.",
    example_wrong=4.0,
)

QUESTIONS = [q1, q2, q3, q4, q5, q6, q7, q8]


def score():
    """Each question's status and the total (the last cell of the exercise notebook)."""
    show_score(QUESTIONS)
