"""Helpers for ``test_browser.py``: the JupyterLab server it drives, and the JupyterLab page actions.

The server is the README's own ``make lab`` (``readme_support.LabServer``: ``make lab
NO_BROWSER=1 VENV=<this environment>`` on a copy of the course folder, port and token read
back from the server, the whole process group stopped at the end), so what the browser test
proves is what a learner types. What gets in the way of a test is turned off through
JupyterLab's own configuration, never by changing the command: the news feed and update
check (``LAB_CONFIG``), the kernel selection dialog and cell windowing, so that every cell
and widget is in the page, not only those in view (``LAB_SETTINGS``).
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

from readme_support import LabServer

# Debian's Chromium, and the flags that keep it quiet on a machine with a closed network.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# User settings of the JupyterLab under test: {plugin id: settings}.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none", "autoStartDefaultKernel": True},
    "@jupyterlab/apputils-extension:sessionDialogs": {"skipKernelRestartDialog": True},
}

# Server configuration (jupyter_server_config.json in the private JUPYTER_CONFIG_DIR): no news
# feed and no update check, so the page makes no outside request; the application object
# exposed to the page (window.jupyterapp), which the page actions below drive.
LAB_CONFIG = {
    "LabApp": {
        "news_url": None,
        "check_for_updates_class": "jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "expose_app_in_browser": True,
    },
}

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def chromium_path() -> str | None:
    """Debian's Chromium, or a ``chromium`` on PATH; None when there is none."""
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


def playwright_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def lab_server(state_dir: Path, notebooks: Path) -> LabServer:
    """``make lab`` serving a copy of ``notebooks`` (as the course's notebooks/), set up for a browser test."""
    return LabServer(state_dir, notebooks=notebooks, config=LAB_CONFIG, settings=LAB_SETTINGS)


def notebook_facts(path: Path) -> dict:
    """What the stored notebook tells the test to expect: code cells to run, widget outputs."""
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    source = lambda cell: "".join(cell.get("source", ""))  # noqa: E731
    widget_cells = sum(
        1 for c in code
        if any(WIDGET_MIME in o.get("data", {}) for o in c.get("outputs", []))
    )
    mentions_widgets = any(re.search(r"\bwidgets\.|ipywidgets|interact", source(c)) for c in code)
    return {
        "code_cells": len([c for c in code if source(c).strip()]),
        "widget_cells": widget_cells,
        "mentions_widgets": mentions_widgets,
    }


# ---------------------------------------------------------------- the page ------------------

def dismiss_dialogs(page) -> None:
    """Accept any modal dialog JupyterLab shows (kernel selection, 'kernel restarted' ...)."""
    for _ in range(3):
        dialog = page.locator(".jp-Dialog")
        if dialog.count() == 0:
            return
        button = dialog.locator(".jp-Dialog-button.jp-mod-accept")
        if button.count():
            button.first.click()
        else:
            page.keyboard.press("Escape")
        page.wait_for_timeout(200)


def open_lab(page, server: LabServer, workspace: str = "browser-test", timeout_ms: int = 90_000) -> None:
    """Load JupyterLab in ``page`` (a fresh workspace, so no earlier tab is restored)."""
    page.goto(f"{server.base_url}/lab/workspaces/{workspace}?reset&token={server.token}",
              wait_until="domcontentloaded", timeout=timeout_ms)
    page.wait_for_function("() => window.jupyterapp && document.querySelector('.jp-LabShell')",
                           timeout=timeout_ms)
    page.evaluate("() => window.jupyterapp.restored")
    dismiss_dialogs(page)


def open_notebook(page, path: str, timeout_ms: int = 90_000) -> None:
    """Open ``path`` (relative to the server's root) as the current tab and wait for its idle kernel."""
    page.evaluate(
        """async (path) => {
            const panel = await window.jupyterapp.commands.execute(
                'docmanager:open', {path, factory: 'Notebook'});
            await panel.context.ready;
            await panel.sessionContext.ready;
            window.jupyterapp.shell.activateById(panel.id);
        }""",
        path,
    )
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=timeout_ms)
    dismiss_dialogs(page)
    page.wait_for_function(
        """() => {
            const panel = window.jupyterapp.shell.currentWidget;
            const kernel = panel && panel.sessionContext && panel.sessionContext.session
                           && panel.sessionContext.session.kernel;
            return kernel && kernel.status === 'idle';
        }""",
        timeout=timeout_ms,
    )


def close_notebooks(page) -> None:
    """Close every open notebook tab without a save prompt (the copies are throw-away)."""
    page.evaluate(
        """() => {
            for (const widget of [...window.jupyterapp.shell.widgets('main')]) {
                if (widget.context && widget.context.model) widget.context.model.dirty = false;
                widget.close();
            }
        }"""
    )
    page.wait_for_function("() => !document.querySelector('.jp-NotebookPanel')", timeout=10_000)


def click_menu(page, menu: str, item: str) -> None:
    """Click a main-menu entry, e.g. ``click_menu(page, "Run", "Run All Cells")``, as a learner does."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(menu)}$")).first.click()
    entry = page.locator(".lm-Menu-content .lm-Menu-item:not(.lm-mod-hidden) .lm-Menu-itemLabel",
                         has_text=re.compile(rf"^{re.escape(item)}$")).first
    entry.click()


def run_all_cells(page, code_cells: int, timeout_ms: int = 120_000) -> None:
    """Clear the stored outputs, Run > Run All Cells, and wait until every code cell has run."""
    click_menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function(
        """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]
                 .every(p => !/\\[\\d+\\]/.test(p.textContent))""",
        timeout=10_000,
    )
    click_menu(page, "Run", "Run All Cells")
    dismiss_dialogs(page)
    page.wait_for_function(
        """(expected) => {
            const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]
                              .map(p => p.textContent.trim());
            const done = prompts.filter(t => /^\\[\\d+\\]:?$/.test(t)).length;
            const busy = prompts.some(t => t.includes('*'));
            const panel = window.jupyterapp.shell.currentWidget;
            const kernel = panel && panel.sessionContext.session && panel.sessionContext.session.kernel;
            // a cell that fails stops Run All: the cells after it never run
            const failed = document.querySelector(
                '.jp-NotebookPanel .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
            return !busy && (done >= expected || failed !== null) && kernel && kernel.status === 'idle';
        }""",
        arg=code_cells,
        timeout=timeout_ms,
        polling=250,
    )


def error_report(page) -> list[str]:
    """Error outputs, tracebacks on stderr, and widgets that failed to display, as short texts."""
    return page.evaluate(
        """() => {
            const found = [];
            // the notebook model: any output of type 'error'
            const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
            const cells = panel && panel.content && panel.content.model ? panel.content.model.cells : [];
            for (let i = 0; i < cells.length; i++) {
                const cell = cells.get(i);
                if (cell.type !== 'code') continue;
                for (let k = 0; k < cell.outputs.length; k++) {
                    const out = cell.outputs.get(k).toJSON();
                    if (out.output_type === 'error')
                        found.push(`cell ${i}: ${out.ename}: ${out.evalue}`);
                }
            }
            // the page: a traceback on stderr, an error output area, a widget that failed
            for (const el of document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output')) {
                const mime = el.getAttribute('data-mime-type') || '';
                const text = el.textContent || '';
                if (mime === 'application/vnd.jupyter.stderr' && /Traceback/.test(text))
                    found.push('stderr: ' + text.slice(0, 500));
            }
            for (const el of document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-child')) {
                if (/Error displaying widget/.test(el.textContent || ''))
                    found.push('widget: ' + el.textContent.trim().slice(0, 300));
            }
            return found;
        }"""
    )


def widget_views(page):
    """The cell outputs that hold a rendered widget view (the view's DOM is their child)."""
    return page.locator(".jp-NotebookPanel .jp-Cell-outputArea > .jp-OutputArea-child"
                        " > .jp-OutputArea-output:has(> .jupyter-widgets)")


def wait_widgets_settled(page, expected: int, timeout_ms: int = 20_000) -> bool:
    """Wait until ``expected`` widget outputs have rendered or failed (none says 'Loading widget...').

    Returns False on time-out; the checks that follow then say what is missing.
    """
    try:
        page.wait_for_function(
            """(expected) => {
                const outs = [...document.querySelectorAll(
                    '.jp-NotebookPanel .jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output')];
                const rendered = outs.filter(o => o.querySelector(':scope > .jupyter-widgets')).length;
                const failed = outs.filter(o => /Error displaying widget/.test(o.textContent || '')).length;
                const loading = outs.some(o => /^Loading widget/.test((o.textContent || '').trim()));
                return !loading && rendered + failed >= expected;
            }""",
            arg=expected, timeout=timeout_ms, polling=200)
        return True
    except Exception:  # noqa: BLE001 - playwright's TimeoutError
        return False


def unrendered_widgets(page) -> list[str]:
    """Widget outputs still showing 'Loading widget...' (their model never arrived)."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
                '.jp-NotebookPanel .jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output')]
            .map(o => (o.textContent || '').trim()).filter(t => /^Loading widget/.test(t))"""
    )


def widget_outputs_in_model(page) -> int:
    """How many outputs of the notebook's cells carry a widget view (whether it rendered or not)."""
    return page.evaluate(
        """(mime) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const cells = panel.content.model.cells;
            let n = 0;
            for (let i = 0; i < cells.length; i++) {
                const cell = cells.get(i);
                if (cell.type !== 'code') continue;
                for (let k = 0; k < cell.outputs.length; k++)
                    if (mime in (cell.outputs.get(k).data || {})) n++;
            }
            return n;
        }""",
        WIDGET_MIME,
    )


def poke_widgets(page, timeout_ms: int = 15_000) -> dict | None:
    """Move one slider or dropdown of some widget and return what changed in its output, or None.

    Tries every widget view in turn: a dropdown gets another option (``select_option``), a
    slider gets ArrowRight (or ArrowLeft at its maximum) on its focused handle. The output
    is the widget's ``.widget-output`` area: its inner HTML (numbers, table, image src)
    before and after must differ.
    """
    views = widget_views(page)
    for i in range(views.count()):
        view = views.nth(i)
        output = view.locator(".widget-output, .jupyter-widgets-output-area").first
        if output.count() == 0:
            continue
        for attempt in _controls(view):
            view.scroll_into_view_if_needed()
            before = output.inner_html()
            description = attempt(page)
            if description is None:
                continue
            try:
                page.wait_for_function(
                    """([el, before]) => el.innerHTML !== before && el.innerHTML.length > 0""",
                    arg=[output.element_handle(), before], timeout=timeout_ms, polling=100)
            except Exception:  # noqa: BLE001 - playwright's TimeoutError; try the next control
                continue
            page.wait_for_timeout(300)  # let a clear_output(wait=True) redraw settle
            return {"view": i, "control": description, "before": before, "after": output.inner_html()}
    return None


def _controls(view):
    """Callables that each move one control of ``view`` and describe what they did (None: nothing to do)."""
    selects = view.locator(".widget-dropdown select")
    for j in range(selects.count()):
        def choose(page, select=selects.nth(j)):
            options = select.locator("option")
            if options.count() < 2:
                return None
            current = select.input_value()
            values = [options.nth(k).get_attribute("value") for k in range(options.count())]
            other = next(v for v in values if v != current)
            select.select_option(other)
            return f"dropdown -> option {other}"
        yield choose
    handles = view.locator(".widget-slider .noUi-handle")
    for j in range(handles.count()):
        def slide(page, handle=handles.nth(j)):
            now, top = handle.get_attribute("aria-valuenow"), handle.get_attribute("aria-valuemax")
            key = "ArrowLeft" if now is not None and now == top else "ArrowRight"
            handle.focus()
            page.keyboard.press(key)
            return f"slider {handle.get_attribute('aria-valuetext') or ''} ({key})"
        yield slide
    toggles = view.locator(".widget-toggle-buttons button:not(.mod-active)")
    if toggles.count():
        def toggle(page, button=toggles.first):
            button.click()
            return "toggle button"
        yield toggle
