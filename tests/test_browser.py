"""JupyterLab renders the lesson widgets and they respond (headless Chromium, through Playwright).

For each lesson notebook: open it in a real JupyterLab, started with the README's own
``make lab`` (see ``readme_support.py``: JupyterLab picks its port, the test reads it back),
Run > Run All Cells, wait for every cell, then check that no cell failed and no widget
failed to display, that every widget view rendered, and that moving a slider or a dropdown
changes what the widget shows. One JupyterLab server and one browser serve all notebooks;
a screenshot of each is saved under ``tests/_artifacts/browser/``.

Run it alone with ``python -m pytest -m browser``. Needs Debian's Chromium
(``apt-get install chromium``), the ``playwright`` Python package and ``make``; skipped,
saying which is missing, without them.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from browser_support import (
    CHROMIUM_ARGS, chromium_path, close_notebooks, error_report, lab_server, notebook_facts, open_lab,
    open_notebook, playwright_available, poke_widgets, run_all_cells, unrendered_widgets,
    wait_widgets_settled, widget_outputs_in_model, widget_views,
)

REPO = Path(__file__).resolve().parents[1]
# COURSE_NOTEBOOKS: another folder of notebooks to drive (for developing this test)
NOTEBOOK_DIR = Path(os.environ.get("COURSE_NOTEBOOKS", REPO / "notebooks"))
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9]*.ipynb"))
ARTIFACTS = Path(__file__).resolve().parent / "_artifacts" / "browser"

_missing = [reason for reason, absent in [
    ("Chromium not found (/usr/bin/chromium or `chromium` on PATH; apt-get install chromium)",
     chromium_path() is None),
    ("the playwright Python package is not importable (pip install playwright)", not playwright_available()),
] if absent]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(bool(_missing), reason="browser test skipped: " + "; ".join(_missing)),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory, request):
    """``make lab`` on a copy of the course folder; its process group is ended at the end,
    also when starting it or a test fails."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed: the browser test runs the README's `make lab`")
    server = lab_server(tmp_path_factory.mktemp("jupyterlab"), NOTEBOOK_DIR)
    request.addfinalizer(server.stop)
    server.start()
    if server.note:
        print(server.note)
    return server


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class LabPage:
    """One JupyterLab page for all notebooks (loading JupyterLab is the slow part); a new one
    after a failed test, so a stuck dialog or a half-run notebook cannot spoil the next test."""

    def __init__(self, browser, server):
        self.browser, self.server, self.context, self.page = browser, server, None, None
        self.failed = False

    def get(self):
        if self.page is None:
            self.context = self.browser.new_context(viewport={"width": 1280, "height": 1000})
            self.page = self.context.new_page()
            open_lab(self.page, self.server)
        return self.page

    def discard(self):
        if self.context is not None:
            self.context.close()
        self.context = self.page = None


@pytest.fixture(scope="module")
def lab_page(browser, lab):
    holder = LabPage(browser, lab)
    try:
        yield holder
    finally:
        holder.discard()


@pytest.fixture
def page(lab_page, lab):
    page = lab_page.get()
    lab_page.failed = False
    try:
        yield page
    finally:
        try:
            if not lab_page.failed:
                close_notebooks(page)
        except Exception:  # noqa: BLE001 - a page that cannot close its tab is replaced
            lab_page.failed = True
        if lab_page.failed:
            lab_page.discard()
        lab.shutdown_kernels()


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_widgets_respond(notebook, lab, lab_page, page):
    started = time.monotonic()
    facts = notebook_facts(notebook)
    screenshot = ARTIFACTS / f"{notebook.stem}.png"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        open_notebook(page, f"notebooks/{notebook.name}")
        run_all_cells(page, facts["code_cells"])

        in_model = widget_outputs_in_model(page)
        wait_widgets_settled(page, in_model)

        problems = error_report(page) + [f"widget never rendered: {text}" for text in unrendered_widgets(page)]
        assert not problems, f"{notebook.name}: errors after Run All Cells:\n" + "\n".join(problems)

        expected = max(facts["widget_cells"], 1 if facts["mentions_widgets"] else 0)
        assert in_model >= expected, (
            f"{notebook.name}: {in_model} widget outputs after Run All Cells, expected at least {expected}")
        views = widget_views(page)
        assert views.count() == in_model, (
            f"{notebook.name}: {in_model} widget outputs but {views.count()} rendered widget views")

        if views.count():
            change = poke_widgets(page)
            assert change is not None, (
                f"{notebook.name}: moving a slider / dropdown changed no widget's output")
            print(f"{notebook.name}: {change['control']} changed widget {change['view']}'s output")
    except BaseException:
        lab_page.failed = True  # the next notebook gets a fresh page
        raise
    finally:
        try:
            page.screenshot(path=str(screenshot))
            print(f"screenshot: {screenshot}")
        except Exception as error:  # noqa: BLE001 - a screenshot must not hide the real failure
            print(f"no screenshot of {notebook.name}: {error}")
        print(f"{notebook.name}: {time.monotonic() - started:.1f} s")
