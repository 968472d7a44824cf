"""Exercise 01 (course_lib/checks/ex01.py, solutions/01_alexnet_shapes.ipynb).

Every question passes an answer worked out here by hand (not the checker's own expected value)
and fails its known-wrong example; the expected values are checked against PyTorch where it is
installed; the solution notebook runs and every check in it passes.
"""
from pathlib import Path

import pytest

from answers import assert_independent_answer
from course_lib.checks import ex01
from course_lib.checks._core import CORRECT, INCORRECT, NOT_ATTEMPTED


def _conv_out(in_size, kernel_size, stride, padding):
    """The solution a learner writes for q4, written here without course_lib."""
    return (in_size - kernel_size + 2 * padding) // stride + 1


# Right answers, worked by hand. "大數據、AI和存儲芯片的未來" (SSDFans, 2019) works conv1 the same way:
# "(227-11+2X0)/4+1=55. image size=55X55X96".
RIGHT = {
    "q1": (227 - 11 + 2 * 0) // 4 + 1,          # 55: conv1, 11x11 kernels, stride 4, no padding
    "q2": (55 - 3) // 2 + 1,                     # 27: pool1, 3x3 window, stride 2
    "q3": 55 * 55 * 96,                          # 290,400 elements: a 55x55 map, 96 channels
    "q4": _conv_out,
    "q5": 13 * 13 * 256,                         # 43,264: conv5 keeps pool2's 13x13 (3x3, padding 1), 256 kernels
    "q6": 2,                                     # (224 - 11 + 2*2)/4 + 1 = 55.25 -> 55; P = 1 gives 54.75 -> 54
    "q7": "c",                                   # (8 - 3)//2 + 1 = 3 windows, the last on columns 4..6: column 7 unseen
    "q8": -(-(14 - 3) // 2) + 1,                 # 7: ceil(11/2) + 1; the 7th window starts at 12, inside the input
}


def test_questions_are_numbered_and_exported():
    names = [q.name for q in ex01.QUESTIONS]
    assert names == [f"q{i}" for i in range(1, len(names) + 1)]
    assert 6 <= len(names) <= 8
    assert set(names) <= set(ex01.__all__)
    assert set(RIGHT) == set(names)
    assert len({q.var for q in ex01.QUESTIONS}) == len(names)


@pytest.mark.parametrize("q", ex01.QUESTIONS, ids=lambda q: q.name)
def test_question_has_content(q):
    assert q.points >= 1 and q.hint_text and q.solution_text and q.example_wrong is not None


@pytest.mark.parametrize("q", ex01.QUESTIONS, ids=lambda q: q.name)
def test_hand_worked_answer_passes(q):
    assert_independent_answer(q, RIGHT[q.name])


@pytest.mark.parametrize("case, side", [
    ((227, 11, 4, 0), 55), ((224, 11, 4, 0), 54),    # (224 - 11)/4 + 1 = 54.25, rounded down
    ((224, 11, 4, 2), 55), ((8, 3, 2, 1), 4),        # (8 - 3 + 2)//2 + 1 = 4
    ((100, 4, 3, 5), 36), ((13, 3, 1, 1), 13),       # (100 - 4 + 10)//3 + 1 = 35 + 1; padding 1 keeps 13
])
def test_q4_reference_on_hand_worked_cases(case, side):
    assert ex01.q4.reference(*case) == side


@pytest.mark.parametrize("q", ex01.QUESTIONS, ids=lambda q: q.name)
def test_example_wrong_fails(q):
    feedback = q.evaluate({q.var: q.example_wrong})
    assert feedback.status == INCORRECT, feedback
    assert feedback.message


@pytest.mark.parametrize("q", ex01.QUESTIONS, ids=lambda q: q.name)
def test_blank_is_not_attempted(q):
    assert q.evaluate({q.var: None}).status == NOT_ATTEMPTED
    assert q.evaluate({}).status == NOT_ATTEMPTED


def test_the_blank_function_of_the_exercise_is_not_attempted():
    def conv_out(in_size, kernel_size, stride, padding):
        ...  # YOUR CODE HERE
    assert ex01.q4.evaluate({"conv_out": conv_out}).status == NOT_ATTEMPTED


@pytest.mark.parametrize("q, answer, says", [
    (ex01.q3, 290_440, "typo"),                     # "深度学习的最大短板原来是它!" (Huashang Daily, 4 Nov 2019): "55X55X96=290,440"
    (ex01.q3, 4 * 290_400, "bytes"),                # fp32 bytes instead of elements
    (ex01.q5, 27 * 27 * 256, "27X27X256"),          # "大數據、AI和存儲芯片的未來" (SSDFans, 2019): "第4和5 卷積變成:27X27X256"
    (ex01.q5, 13 * 13 * 384, "conv4"),
    (ex01.q1, 54, "224"),
    (ex01.q8, 6, "floor"),
    (ex01.q6, 3, "smallest"),
], ids=lambda v: str(v)[:20])
def test_known_mistakes_get_their_explanation(q, answer, says):
    feedback = q.evaluate({q.var: answer})
    assert feedback.status == INCORRECT and says in feedback.message


def test_wrong_function_gets_the_failing_case():
    feedback = ex01.q4.evaluate({"conv_out": lambda i, k, s, p: (i - k + 2 * p) // s})  # forgot the + 1
    assert feedback.status == INCORRECT and "conv_out(227, 11, 4, 0) returned 54, expected 55" in feedback.message


@pytest.mark.torch
def test_expected_values_match_torch():
    torch = pytest.importorskip("torch")
    nn = torch.nn
    x = torch.zeros(1, 3, 227, 227)
    conv1 = nn.Conv2d(3, 96, 11, 4)(x)
    assert conv1.shape[-1] == ex01.q1.expected
    assert conv1.numel() == ex01.q3.expected
    assert nn.MaxPool2d(3, 2)(conv1).shape[-1] == ex01.q2.expected
    features = nn.Sequential(  # the 2012 AlexNet's feature extractor, groups=2 on conv2/4/5
        nn.Conv2d(3, 96, 11, 4), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=2))
    with torch.no_grad():
        assert features(x).numel() == ex01.q5.expected
    sides = {p: nn.Conv2d(3, 1, 11, 4, p)(torch.zeros(1, 3, 224, 224)).shape[-1] for p in range(4)}
    assert min(p for p, side in sides.items() if side == 55) == ex01.q6.expected
    assert nn.MaxPool2d(3, 2, ceil_mode=True)(torch.zeros(1, 1, 14, 14)).shape[-1] == ex01.q8.expected
    # q7: no window of an 8-wide input, kernel 3, stride 2 reaches column 7 (its gradient is 0)
    inp = torch.ones(1, 1, 8, 8, requires_grad=True)
    nn.Conv2d(1, 1, 3, 2)(inp).sum().backward()
    assert (inp.grad[0, 0, :, 7] == 0).all() and ex01.q7.expected == "c"
    # q4's hidden cases: the reference is PyTorch's own output size
    for case in ex01.q4.cases:
        I, K, S, P = case
        assert nn.Conv2d(1, 1, K, S, P)(torch.zeros(1, 1, I, I)).shape[-1] == ex01.q4.reference(*case)


SOLUTION = Path(__file__).resolve().parents[1] / "solutions" / "01_alexnet_shapes.ipynb"


def test_solution_notebook_runs_and_every_check_passes():
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient
    notebook = nbformat.read(SOLUTION, as_version=4)
    NotebookClient(notebook, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(SOLUTION.parent)}}).execute()
    outputs = "\n".join(str(out.get("data", {}).get("text/plain", "")) + str(out.get("data", {}).get("text/html", ""))
                        + str(out.get("text", "")) for cell in notebook.cells if cell.cell_type == "code"
                        for out in cell.get("outputs", []))
    for q in ex01.QUESTIONS:
        assert f"{q.name}: Correct" in outputs, q.name
    assert "Incorrect" not in outputs and "Not attempted" not in outputs


def test_solution_notebook_states_every_questions_points():
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(SOLUTION, as_version=4)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    total = sum(q.points for q in ex01.QUESTIONS)
    assert f"{total} points" in markdown
    for q in ex01.QUESTIONS:
        assert f"{q.name} ({q.points} point" in markdown.replace("**", ""), q.name
