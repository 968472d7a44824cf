"""Feeding an independently worked answer to a question (used by the tests/test_exNN_content.py files).

A question's own ``example_right`` is its ``expected`` value (or its reference function), so
feeding it back only shows that the checker accepts what it computed: a smoke test, run for every
exercise by tests/test_checks_core.py. The real test of a question is an answer worked out without
``course_lib`` (the arithmetic written out in the test, a published figure with its source, or a
function written again in the test), which must pass the checker and, for a number, agree with the
question's expected value more tightly than the checker's tolerance.
"""
from course_lib.checks._core import CORRECT, ChoiceQuestion, FunctionQuestion, NumberQuestion


def assert_independent_answer(question, answer, rel=1e-9):
    """``answer`` passes ``question``; a number also agrees with its expected value within ``rel``."""
    feedback = question.evaluate({question.var: answer})
    assert feedback.status == CORRECT, f"{question.name}: {feedback}"
    if isinstance(question, NumberQuestion):
        assert abs(question.expected - answer) <= rel * abs(answer), \
            f"{question.name}: expected {question.expected!r}, worked by hand {answer!r}"
    elif isinstance(question, ChoiceQuestion):
        assert question.expected == answer
    else:
        assert isinstance(question, FunctionQuestion)


def run_solution(path):
    """Run a solution notebook's code cells, in order, in a fresh namespace, and return it.

    This runs the code (the library as it is now), where reading the notebook's stored outputs
    would only show what the library computed when the notebook was last executed. Each check
    the notebook calls prints its verdict; the caller judges the answers with ``evaluate``.
    """
    import contextlib
    import io

    import nbformat

    from course_lib.authoring import is_autograder_test

    notebook = nbformat.read(path, as_version=4)
    namespace = {"__name__": "__solution__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for number, cell in enumerate(notebook.cells):
            # nbgrader's autograder-test cells judge __main__'s namespace, not this one: the test
            # judges the answers itself (as the course's grader, which drops these cells, does)
            if cell.cell_type == "code" and not is_autograder_test(cell):
                exec(compile(cell.source, f"{path.name}, cell {number}", "exec"), namespace)
    return namespace
