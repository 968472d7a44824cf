"""Every lesson widget survives every position of every control, in-process (no kernel).

Generic over ``course_lib.widgets.__all__``: each widget builder is built, its controls
(sliders, dropdowns, toggles, checkboxes, text boxes ...) are found by walking the
widget tree, and each control is stepped through its range (a slider: min, max and two
values between; a dropdown: every option), then all controls together to their
first and their last values. Setting ``.value`` runs the widget's update synchronously;
no exception may escape, and each update must show something. A bad combination
(the view raising ValueError/TypeError) must show the message box instead.

New widgets are picked up automatically. The helpers (``widget_builders``,
``find_controls``, ``sweep_values``, ``Recorder``) are also used by
``benchmarks/widget_updates.py``.
"""
from __future__ import annotations

import inspect
import math
from contextlib import contextmanager

import pytest

import course_lib.widgets as cw
import ipywidgets as widgets
from ipywidgets.widgets import widget_bool, widget_float, widget_int, widget_selection, widget_string

NOT_BUILDERS = {"build_app", "render", "error_box"}
# names a widget builder's code uses to make its widget
_WIDGET_NAMES = {"build_app", "widgets", "ipywidgets", "interactive_output", "interactive", "interact",
                 "VBox", "HBox", "Box", "Tab", "Accordion", "GridBox", "AppLayout"}


def widget_builders() -> dict:
    """{name: function} for every exported function that (by its code) builds a widget and needs no argument."""
    found = {}
    for name in cw.__all__:
        fn = getattr(cw, name, None)
        if name in NOT_BUILDERS or not inspect.isfunction(fn):
            continue
        if any(p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in inspect.signature(fn).parameters.values()):
            continue
        annotation = str(inspect.signature(fn).return_annotation)
        if _WIDGET_NAMES & set(fn.__code__.co_names) or "Widget" in annotation or "Box" in annotation:
            found[name] = fn
    return found


# ------------------------------------------------------------------ the widget tree -------

_TEXT = (widgets.Text, widgets.Textarea, widgets.Combobox)
_DISPLAY_ONLY = (widgets.Output, widgets.Label, widgets.HTML, widgets.HTMLMath, widgets.Valid,
                 widgets.IntProgress, widgets.FloatProgress, widgets.Image)


def find_controls(root) -> list[tuple[str, widgets.Widget]]:
    """(label, control) for every enabled control under ``root``, depth first."""
    found, seen = [], set()

    def walk(widget, path):
        if id(widget) in seen or not isinstance(widget, widgets.Widget):
            return
        seen.add(id(widget))
        if isinstance(widget, widgets.ValueWidget) and not isinstance(widget, _DISPLAY_ONLY) \
                and not getattr(widget, "disabled", False):
            label = getattr(widget, "description", "") or type(widget).__name__
            found.append((f"{path}{label}", widget))
        for child in getattr(widget, "children", ()) or ():
            walk(child, path)

    walk(root, "")
    return found


def outputs_of(root) -> list[widgets.Output]:
    found = []

    def walk(widget):
        if isinstance(widget, widgets.Output):
            found.append(widget)
        for child in getattr(widget, "children", ()) or ():
            walk(child)

    walk(root)
    return found


def _spread(low, high, n, step=None, integer=False):
    values = [low + (high - low) * i / (n - 1) for i in range(n)]
    if step:
        values = [low + round((v - low) / step) * step for v in values]
    if integer:
        values = [int(round(v)) for v in values]
    return list(dict.fromkeys(min(max(v, low), high) for v in values))


def sweep_values(control, n: int = 4) -> list:
    """The values to try for one control, read from its current range (which other controls may move)."""
    if isinstance(control, widget_selection._MultipleSelection):
        return [(option,) for option in control.options[:n]] if control.options else []
    if isinstance(control, widget_selection._Selection):
        return _option_values(control)
    if isinstance(control, widgets.FloatLogSlider):
        return [control.base ** e for e in _spread(control.min, control.max, n)]
    if isinstance(control, (widget_int._BoundedIntRange, widget_float._BoundedFloatRange)):
        low, high = control.min, control.max
        middle = _spread(low, high, 3, integer=isinstance(control, widget_int._BoundedIntRange))[1:2] or [low]
        return [(low, high), (low, low), (high, high), (low, middle[0]), (middle[0], high)]
    if isinstance(control, widget_int._BoundedInt):
        return _spread(control.min, control.max, n, step=getattr(control, "step", 1) or 1, integer=True)
    if isinstance(control, widget_float._BoundedFloat):
        return _spread(control.min, control.max, n, step=getattr(control, "step", None))
    if isinstance(control, widget_int._Int):
        return list(dict.fromkeys([control.value, 0, 1, max(2, control.value * 10)]))
    if isinstance(control, widget_float._Float):
        return list(dict.fromkeys([control.value, 0.0, 0.5, max(2.0, control.value * 10)]))
    if isinstance(control, widget_bool._Bool):
        return [not control.value, control.value]
    if isinstance(control, _TEXT):
        return list(dict.fromkeys([control.value, "", "a", "zzz-no-match", "步长"]))
    return []


def _option_values(control):
    """A selection control's values in option order (options may be labels or (label, value) pairs)."""
    return list(control._options_values)


def first_and_last(control):
    """The control's value at the start and at the end of its range (None: no range)."""
    if isinstance(control, widget_selection._MultipleSelection):
        return None
    if isinstance(control, widget_selection._Selection):
        values = _option_values(control)
        return (values[0], values[-1]) if values else None
    values = sweep_values(control)
    return (values[0], values[-1]) if values else None


# ------------------------------------------------------------------ what the widget shows ---

class Recorder:
    """Stands in for IPython's ``display`` (and ``clear_output``) while a widget updates.

    ``draw``: whether figures are really rendered to PNG (as in the notebook). Drawing is
    ~90% of an update's time, so the sweep draws the states at the ends of each range and
    only checks, in between, that the view returned a Figure with axes.
    """

    def __init__(self):
        self.shown = []
        self.draw = True
        self.figures_drawn = 0
        self.figures_skipped = 0

    def figure_png(self, fig, dpi: int = 90) -> bytes:
        from course_lib.plots._base import figure_png

        if self.draw:
            self.figures_drawn += 1
            return figure_png(fig, dpi=dpi)
        assert fig.axes, "the view returned a Figure with no axes"
        self.figures_skipped += 1
        return b""

    def display(self, *objs, **kwargs):
        self.shown.extend(objs)

    def clear_output(self, *args, **kwargs):
        pass

    def error_boxes(self) -> list[str]:
        return [obj.data for obj in self.shown
                if hasattr(obj, "data") and isinstance(obj.data, str) and "Not possible:" in obj.data]


@contextmanager
def recording():
    """Send every ``display`` and ``figure_png`` of the widget modules (and interactive_output's
    ``clear_output``) to a Recorder."""
    import sys

    import IPython.display
    from ipywidgets.widgets import interaction

    recorder = Recorder()
    patched = []
    modules = [IPython.display, interaction] + [m for name, m in list(sys.modules.items())
                                                if name.startswith("course_lib.widgets") and m is not None]
    for module in modules:
        for attr, replacement in (("display", recorder.display), ("clear_output", recorder.clear_output),
                                  ("figure_png", recorder.figure_png)):
            if attr in vars(module):
                patched.append((module, attr, vars(module)[attr]))
                setattr(module, attr, replacement)
    try:
        yield recorder
    finally:
        for module, attr, original in reversed(patched):
            setattr(module, attr, original)


def set_value(control, value) -> bool:
    """Set a control's value; True when it changed (so the widget updated)."""
    before = control.value
    control.value = value
    return control.value != before


# ------------------------------------------------------------------ the tests ---------------

BUILDERS = widget_builders()


def test_the_sweep_finds_widgets():
    assert BUILDERS or not [n for n in cw.__all__ if n not in NOT_BUILDERS], (
        "course_lib.widgets exports names but none is recognised as a widget builder")


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_widget_sweep(name):
    updates, boxes, problems = 0, 0, []
    with recording() as recorder:
        try:
            app = BUILDERS[name]()
        except Exception as error:  # noqa: BLE001 - reported as the test's failure
            pytest.fail(f"{name}() raised {type(error).__name__}: {error}")
        if not isinstance(app, widgets.Widget):
            pytest.skip(f"{name}() returns {type(app).__name__}, not a widget")
        controls = find_controls(app)
        assert controls, f"{name}: no control found in the widget tree"
        assert outputs_of(app), f"{name}: no Output area in the widget tree"
        assert recorder.shown, f"{name}: the widget shows nothing before any control moves"

        def move(label, control, value, draw=True):
            nonlocal updates, boxes
            recorder.shown.clear()
            recorder.draw = draw
            try:
                changed = set_value(control, value)
            except Exception as error:  # noqa: BLE001 - collected, all reported at the end
                state = {lbl: c.value for lbl, c in controls}
                problems.append(f"{label} = {value!r}: {type(error).__name__}: {error}  (controls: {state})")
                return
            boxes += len(recorder.error_boxes())
            if changed:
                updates += 1
                if not recorder.shown:
                    problems.append(f"{label} = {value!r}: the output shows nothing")

        for label, control in controls:
            original = control.value
            values = sweep_values(control)
            for k, value in enumerate(values):
                move(label, control, value, draw=k in (0, len(values) - 1))
            move(label, control, original, draw=False)

        for end in (0, 1):  # every control to its first value, then every one to its last
            movable = [(label, control, first_and_last(control)) for label, control in controls]
            movable = [m for m in movable if m[2] is not None]
            for k, (label, control, ends) in enumerate(movable):
                move(label, control, ends[end], draw=k == len(movable) - 1)

    assert not problems, f"{name}: {len(problems)} update(s) failed:\n" + "\n".join(problems[:20])
    assert updates > 0, f"{name}: no control changed anything"
    print(f"{name}: {len(controls)} controls, {updates} updates, {recorder.figures_drawn} figures drawn "
          f"({recorder.figures_skipped} checked undrawn), {boxes} message box(es) shown")


def test_bad_combination_shows_the_message_box():
    """``build_app`` turns a view's ValueError/TypeError into the message box; other errors are bugs and escape."""
    def view(n=1):
        if n == 0:
            raise ValueError("n must be >= 1, got 0")
        if n == 2:
            raise TypeError("n must be an integer")
        if n == 3:
            raise ZeroDivisionError("a bug")
        return f"n = {n}"

    slider = widgets.IntSlider(value=1, min=0, max=3)
    with recording() as recorder:
        app = cw.build_app(view, {"n": slider})
        assert [getattr(o, "data", None) for o in recorder.shown] == ["n = 1"]
        for bad, message in ((0, "n must be &gt;= 1, got 0"), (2, "n must be an integer")):
            recorder.shown.clear()
            slider.value = bad
            assert len(recorder.error_boxes()) == 1 and message in recorder.error_boxes()[0]
        recorder.shown.clear()
        with pytest.raises(ZeroDivisionError):
            slider.value = 3
    assert isinstance(app, widgets.VBox)


def test_sweep_values_cover_each_range():
    assert sweep_values(widgets.IntSlider(min=1, max=10)) == [1, 4, 7, 10]
    assert sweep_values(widgets.Dropdown(options=[("a", 1), ("b", 2)])) == [1, 2]
    assert sweep_values(widgets.Dropdown(options=["x", "y", "z"])) == ["x", "y", "z"]
    assert sweep_values(widgets.SelectionSlider(options=[1, 2, 4])) == [1, 2, 4]
    assert sweep_values(widgets.Checkbox(value=False)) == [True, False]
    values = sweep_values(widgets.FloatLogSlider(min=-2, max=2, base=10))
    assert math.isclose(values[0], 0.01) and math.isclose(values[-1], 100)
    assert first_and_last(widgets.Dropdown(options=[("a", 1), ("b", 2)])) == (1, 2)
