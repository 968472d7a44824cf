"""Exercise 01, AlexNet shape arithmetic (follows notebooks/01_alexnet_shapes.ipynb). Content only.

Every expected value is computed with ``course_lib`` (the formulas and the AlexNet of the
zoo); the source articles' mistakes (quoted in the lesson and in the questions) are known
wrong answers with their own explanation. Every count is asked for exactly.
"""
from __future__ import annotations

from .. import zoo
from ..analysis import analyze
from ..formulas import conv_output_size, pool_output_size
from ._core import ChoiceQuestion, FunctionQuestion, NumberQuestion, show_score

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "QUESTIONS", "score"]

_ALEXNET = analyze(zoo.alexnet_original()).set_index("name")


def _shape(name):
    return _ALEXNET.loc[name, "out_shape"]


def _elements(name):
    return int(_ALEXNET.loc[name, "activations"])


# --- q1: conv1's side ---------------------------------------------------------------------
_CONV1_SIDE = conv_output_size(227, 11, 4, 0)
q1 = NumberQuestion(
    name="q1", var="conv1_side", points=1, expected=_CONV1_SIDE, unit="pixels", rel_tol=0,   # exactly
    mistakes={
        conv_output_size(224, 11, 4, 0): "54 is what the paper's 224 gives ((224 - 11)/4 + 1 = 54.25, rounded down); "
                                         "this question's input is 227.",
        (224 - 11) / 4 + 1: "that is (224 - 11)/4 + 1 = 54.25: the paper's 224 does not tile; use 227.",
    },
    hint_text="O = (I - K + 2P)/S + 1 with I = 227, K = 11, S = 4, P = 0.",
    solution_text=f"(227 - 11 + 2*0)/4 + 1 = {_CONV1_SIDE}: `cl.conv_output_size(227, 11, 4, 0)`.",
    example_wrong=conv_output_size(224, 11, 4, 0),
)

# --- q2: pool1's side ---------------------------------------------------------------------
_POOL1_SIDE = pool_output_size(_CONV1_SIDE, 3, 2)
q2 = NumberQuestion(
    name="q2", var="pool1_side", points=1, expected=_POOL1_SIDE, unit="pixels", rel_tol=0,   # exactly
    mistakes={
        _POOL1_SIDE - 1: "that is (I - K)/S without the + 1: count the first window too.",
        pool_output_size(_CONV1_SIDE, 3): "that uses stride 3 (PyTorch's default stride is the window size); "
                                          "AlexNet's pool1 has stride 2: its windows overlap.",
    },
    hint_text="Pooling: O = (I - K)/S + 1, with I = conv1's side, a 3x3 window and stride 2.",
    solution_text=f"({_CONV1_SIDE} - 3)/2 + 1 = {_POOL1_SIDE}: `cl.pool_output_size({_CONV1_SIDE}, 3, 2)`.",
    example_wrong=_POOL1_SIDE - 1,
)

# --- q3: conv1's output elements, and the article's 290,440 -------------------------------------
_CONV1_ELEMENTS = _elements("conv1")
_SEED_TYPO = 290_440  # 《深度学习的最大短板原来是它!》 (2019): "conv-1 的55X55X96=290,440"; 290,400 further down
q3 = NumberQuestion(
    name="q3", var="conv1_elements", points=1, expected=_CONV1_ELEMENTS, unit="elements",
    rel_tol=0,  # exactly: the article's 290,440 is only 0.014% off
    wrong_units={"fp32 bytes (4 bytes an element)": 4},
    mistakes={_SEED_TYPO: "that is the article's typo (55X55X96=290,440): multiply again.",
              55 * 55: "that is one channel's 55 x 55 pixels; the map has 96 channels."},
    hint_text="A feature map of H x W pixels and C channels holds H*W*C numbers.",
    solution_text=f"55 x 55 x 96 = {_CONV1_ELEMENTS:,} (`cl.analyze(...)['activations']` of conv1); "
                  f"the article once writes {_SEED_TYPO:,}.",
    example_wrong=_SEED_TYPO,
)


# --- q4: write the output-size function ------------------------------------------------------
def _conv_out_reference(in_size, kernel_size, stride, padding):
    return conv_output_size(in_size, kernel_size, stride, padding)


def _conv_out_without_floor(in_size, kernel_size, stride, padding):
    """A known-wrong answer: the formula with true division, never rounded."""
    return (in_size - kernel_size + 2 * padding) / stride + 1


q4 = FunctionQuestion(
    name="q4", var="conv_out", points=3,
    reference=_conv_out_reference,
    cases=[(227, 11, 4, 0), (55, 3, 2, 0), (27, 5, 1, 2), (13, 3, 1, 1), (224, 11, 4, 0), (224, 11, 4, 2),
           (224, 7, 2, 3), (8, 3, 2, 1), (5, 5, 1, 0), (1, 1, 1, 0), (32, 3, 6, 0), (100, 4, 3, 5)],
    hint_text="Return an int. When (I - K + 2P) is not a multiple of S, PyTorch rounds down: use //.",
    solution_text="`return (in_size - kernel_size + 2 * padding) // stride + 1`",
    example_wrong=_conv_out_without_floor,
)

# --- q5: the article's conv4/conv5 mistake ------------------------------------------------------
_SEED_WRONG_SHAPE = 27 * 27 * 256  # 《大數據、AI和存儲芯片的未來》: "之后的第4和5 卷積變成:27X27X256"
_CONV5_ELEMENTS = _elements("conv5")
q5 = NumberQuestion(
    name="q5", var="conv5_elements", points=2, expected=_CONV5_ELEMENTS, unit="elements", rel_tol=0,   # exactly
    mistakes={
        _SEED_WRONG_SHAPE: "that is the article's 27X27X256: after pool2 the map is 13x13, and a 3x3 "
                           "convolution with padding 1 and stride 1 keeps it 13x13.",
        _elements("conv4"): "that is conv4's 13x13x384; conv5 has 256 kernels.",
        11 * 11 * 256: "11 x 11 forgets the padding of 1: (13 - 3 + 2*1)/1 + 1 = 13, so the map stays 13x13.",
    },
    hint_text="Start from pool2's 13x13x256. conv3, conv4, conv5 are 3x3, stride 1, padding 1: what does that do to the side? "
              "The number of channels is the number of kernels.",
    solution_text=f"(13 - 3 + 2*1)/1 + 1 = 13, so conv4 is {_shape('conv4')[1]}x{_shape('conv4')[2]}x{_shape('conv4')[0]} "
                  f"and conv5 {_shape('conv5')[1]}x{_shape('conv5')[2]}x{_shape('conv5')[0]} = {_CONV5_ELEMENTS:,} elements.",
    example_wrong=_SEED_WRONG_SHAPE,
)

# --- q6: the 224-vs-227 puzzle: what padding rescues 224? -------------------------------------
_PADDING_FOR_224 = min(p for p in range(10) if conv_output_size(224, 11, 4, p) == _CONV1_SIDE)
q6 = NumberQuestion(
    name="q6", var="padding_224", points=2, expected=_PADDING_FOR_224, unit="pixels on each side", rel_tol=0,
    mistakes={
        0: f"with no padding (224 - 11)/4 + 1 = 54.25, which rounds down to {conv_output_size(224, 11, 4, 0)}.",
        1: f"with padding 1: (224 - 11 + 2)/4 + 1 = 54.75 -> {conv_output_size(224, 11, 4, 1)}.",
        3: "that works too, but it is not the smallest padding that gives 55.",
        1.5: "1.5 solves (224 - 11 + 2P)/4 + 1 = 55 exactly, but padding is whole pixels: find the smallest "
             "whole P that still gives 55 after rounding down.",
    },
    hint_text="Try P = 0, 1, 2, ... in cl.conv_output_size(224, 11, 4, P) (floor rounding, as PyTorch).",
    solution_text=f"P = {_PADDING_FOR_224}: (224 - 11 + 2*{_PADDING_FOR_224})/4 + 1 = "
                  f"{(224 - 11 + 2 * _PADDING_FOR_224) / 4 + 1:g}, rounded down to "
                  f"{conv_output_size(224, 11, 4, _PADDING_FOR_224)}: torchvision's AlexNet does exactly this.",
    example_wrong=0,
)

# --- q7: read the explorer -------------------------------------------------------------------
_I, _K, _S, _P = 8, 3, 2, 0
_LAST_SEEN = (conv_output_size(_I, _K, _S, _P) - 1) * _S - _P + _K - 1  # last input column of the last window
q7 = ChoiceQuestion(
    name="q7", var="explorer_answer", points=2,
    choices={
        "a": "grey: it is padding",
        "b": "light blue: the last output pixel of the row sees it",
        "c": "orange: no window reaches it, because the output size is rounded down",
        "d": "white: some window other than the chosen one sees it",
    },
    expected="c" if _LAST_SEEN < _I - 1 else "d",
    explanations={
        "a": f"with P = {_P} there is no padding at all.",
        "b": f"the last window starts at column {_LAST_SEEN - _K + 1} and ends at {_LAST_SEEN}.",
        "c": f"({_I} - {_K} + 2*{_P})/{_S} + 1 = {(_I - _K + 2 * _P) / _S + 1:g} rounds down to "
             f"{conv_output_size(_I, _K, _S, _P)}; the last window ends at column {_LAST_SEEN}.",
        "d": f"no window reaches column {_I - 1}: the last one ends at {_LAST_SEEN}.",
    },
    hint_text=f"The explorer above starts at I = {_I}, K = {_K}, S = {_S}, P = {_P}, on the last output column: "
              f"look at where the solid window ends, and at the colour of input column {_I - 1}.",
    solution_text=f"'c': the output is {conv_output_size(_I, _K, _S, _P)} wide, the last window covers columns "
                  f"{_LAST_SEEN - _K + 1}..{_LAST_SEEN}, and column {_I - 1} is never seen.",
    example_wrong="b",
)

# --- q8: ceil_mode ---------------------------------------------------------------------------
_CEIL = pool_output_size(14, 3, 2, ceil_mode=True)
q8 = NumberQuestion(
    name="q8", var="ceil_side", points=1, expected=_CEIL, unit="pixels", rel_tol=0,   # exactly
    mistakes={pool_output_size(14, 3, 2): "that is the default floor rounding; ceil_mode=True rounds up."},
    hint_text="(14 - 3)/2 + 1 = 6.5. Floor gives the default; ceil_mode rounds the other way "
              "(and keeps the extra window because it starts inside the input).",
    solution_text=f"ceil((14 - 3)/2) + 1 = {_CEIL}: `cl.pool_output_size(14, 3, 2, ceil_mode=True)`.",
    example_wrong=pool_output_size(14, 3, 2),
)

QUESTIONS = [q1, q2, q3, q4, q5, q6, q7, q8]


def score():
    """Each question's status and the total: the last cell of the exercise notebook."""
    show_score(QUESTIONS)
