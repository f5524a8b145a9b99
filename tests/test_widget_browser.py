"""The coding widget end to end: a real JupyterLab, driven by headless Chromium.

The test starts JupyterLab on a free port of 127.0.0.1 with a token, in a temporary folder
holding a fixture project (``tests/data/widget``) and a notebook that opens a
``CodingSession`` on it. Playwright runs the cell, codes the first segment with a click,
a keyboard shortcut and a text selection, writes a memo, moves on, and then the test
reads the project store from this process to check that every action was saved.

Needs the ``playwright`` Python package and a Chromium at ``/usr/bin/chromium`` (or
``CMQUAL_CHROMIUM``); Playwright's own browser download is never used. Without them the
test is skipped, unless ``CMQUAL_REQUIRE_BROWSER=1`` (as in CI), when it fails.
Screenshots go to ``CMQUAL_SCREENSHOT_DIR`` when set, else to the test's temporary folder;
their paths are printed and recorded as the test's ``screenshots`` property.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from cmqual.project import init_project, open_project
from conftest import copy_project_data

DATA = Path(__file__).resolve().parent / "data" / "widget"
CHROMIUM = Path(os.environ.get("CMQUAL_CHROMIUM", "/usr/bin/chromium"))
TIMEOUT_MS = 60_000
#: Starting the kernel and importing cmqual and pandas can take a while on a cold machine.
FIRST_RENDER_MS = 180_000

pytestmark = pytest.mark.browser


def _unavailable(reason: str) -> None:
    if os.environ.get("CMQUAL_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}; CMQUAL_REQUIRE_BROWSER=1 requires the browser test to run")
    pytest.skip(reason)


@pytest.fixture
def sync_playwright():
    missing = [m for m in ("playwright", "jupyterlab", "ipywidgets", "anywidget", "ipykernel")
               if importlib.util.find_spec(m) is None]
    if missing:
        _unavailable(f"{', '.join(missing)} not installed (pip install -e '.[dev]' playwright)")
    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set "
                     "CMQUAL_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    return sync_playwright


@dataclass(frozen=True)
class Lab:
    url: str
    token: str
    root: Path
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_tail(path: Path, n: int = 60) -> str:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(lines[-n:])


def _write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on 127.0.0.1 serving a folder with the fixture project."""
    root = tmp_path / "lab"
    root.mkdir()
    copy_project_data(DATA, root)
    shutil.copy(DATA / "coding.ipynb", root / "coding.ipynb")
    init_project(root / "project", root / "corpus", [root / "codebook.yaml"]).close()

    # Private Jupyter folders: no user settings or workspaces leak in, and no news,
    # update checks or announcement toasts cover the notebook.
    home = tmp_path / "jupyter"
    env = {**os.environ,
           "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "JUPYTER_PLATFORM_DIRS": "1"}
    _write_json(home / "config" / "labconfig" / "page_config.json",
                {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    _write_json(home / "settings" / "@jupyterlab" / "apputils-extension"
                / "notification.jupyterlab-settings",
                {"fetchNews": "false", "checkForUpdates": False})
    port, token = _free_port(), secrets.token_hex(16)
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        f"--port={port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--ServerApp.open_browser=False", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "--ServerApp.terminals_enabled=False", "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI runs as root
        command.append("--allow-root")
    log = tmp_path / "jupyterlab.log"
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=root,
                                  env=env)
    try:
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{_log_tail(log)}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer within {TIMEOUT_MS // 1000} s:\n"
                                f"{_log_tail(log)}")
                time.sleep(0.25)  # polling a starting server; there is no event to wait on
        yield Lab(url, token, root, log)
    finally:
        server.terminate()  # JupyterLab shuts its kernels down on SIGTERM
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


def _screenshot_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CMQUAL_SCREENSHOT_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_coding_widget_in_jupyterlab(sync_playwright, lab, tmp_path, record_property):
    from playwright.sync_api import expect

    shots = _screenshot_dir(tmp_path)
    saved: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.set_default_timeout(TIMEOUT_MS)
        expect.set_options(timeout=TIMEOUT_MS)
        problems: list[str] = []
        page.on("pageerror", lambda exc: problems.append(str(exc)))

        def settle() -> None:
            # the kernel is idle again: every message of the last action has been handled
            expect(page.locator(".jp-StatusBar-TextItem",
                                has_text=re.compile(r"\| Idle"))).to_have_count(1)

        def shoot(name: str) -> None:
            path = shots / name
            page.screenshot(path=str(path), full_page=True)
            saved.append(str(path))

        try:
            page.goto(f"{lab.url}/lab/tree/coding.ipynb?token={lab.token}")
            # Run the cell only once the kernel is up: before that JupyterLab may drop it.
            expect(page.locator(".jp-StatusBar-TextItem",
                                has_text=re.compile(r"ipykernel\) \| Idle"))).to_have_count(
                1, timeout=FIRST_RENDER_MS)
            first_cell = page.locator(".jp-Notebook .jp-Cell").first
            first_cell.locator(".jp-InputArea-editor").click()
            page.keyboard.press("Shift+Enter")
            session = page.locator(".cmqual-session")
            session.wait_for(timeout=FIRST_RENDER_MS)
            current = session.locator(".cmqual-current")
            expect(current).to_contain_text("has no budget here")
            expect(session.locator(".cmqual-header")).to_contain_text("turn 1 of 5")
            settle()
            shoot("coding_session_start.png")

            def code_button(label: str):
                return session.locator("button.cmqual-code", has_text=label)

            # suggestions are shown apart from codings: dashed marks and a badge
            expect(current.locator(".cmqual-suggested").first).to_be_visible()
            expect(session.locator(".cmqual-badge").first).to_have_text("suggested")
            expect(code_button("Resourcing")).to_have_attribute(
                "title", "Money, time and staffing for mentoring.")

            # 1. a click on a code toggle codes the whole segment
            code_button("Resourcing").click()
            expect(code_button("Resourcing")).to_have_class(re.compile(r"\bmod-info\b"))
            expect(current.locator(".cmqual-mark:not(.cmqual-suggested)").first).to_be_visible()

            # 2. key 2 toggles the second code; JupyterLab must not take the key (in command
            #    mode "2" would turn the cell into a heading)
            current.click()
            page.keyboard.press("2")
            expect(code_button("Power")).to_have_class(re.compile(r"\bmod-info\b"))
            expect(first_cell).to_have_class(re.compile(r"\bjp-CodeCell\b"))

            # 3. a selection codes just the selected words; the emoji before them is one code
            #    point in cmqual but two UTF-16 units in the browser
            current.evaluate("""body => {
                const piece = [...body.querySelectorAll('.cmqual-body [data-start]')]
                    .find(el => el.textContent.includes('goodwill'));
                const node = piece.firstChild;
                const at = node.data.indexOf('goodwill');
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + 'goodwill'.length);
                const sel = window.getSelection();
                sel.removeAllRanges();
                sel.addRange(range);
                piece.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
            }""")
            expect(session).to_contain_text("selection “goodwill”")
            code_button("Assessment").click()
            expect(session).to_contain_text("whole segment")
            expect(code_button("Assessment")).to_have_class(re.compile(r"\bmod-info\b"))

            # 4. a memo on the document, saved with the button
            memo = session.locator("textarea")
            memo.fill("Goodwill is the only budget.")
            session.locator("button", has_text="save memo").click()
            expect(session).to_contain_text("memo saved")
            settle()
            shoot("coding_session.png")

            # 5. next segment with the button, then keys n and p
            session.locator("button", has_text="next").click()
            header = session.locator(".cmqual-header")
            expect(header).to_contain_text("turn 2 of 5")
            expect(current).to_contain_text("Who is your mentor?")
            page.keyboard.press("n")
            expect(header).to_contain_text("turn 3 of 5")
            page.keyboard.press("p")
            expect(header).to_contain_text("turn 2 of 5")
            expect(session.locator(".cmqual-message-error")).to_have_count(0)
            settle()
            shoot("coding_session_next.png")
        except Exception:
            with contextlib.suppress(Exception):
                shoot("coding_session_failure.png")
            print(f"JupyterLab log:\n{_log_tail(lab.log)}")
            raise
        finally:
            record_property("screenshots", saved)
            print("screenshots:", *saved, sep="\n  ")
            browser.close()
        assert not problems, f"errors in the page: {problems}"

    with open_project(lab.root / "project") as project:
        text = project.corpus.texts["p01"]
        first, second = project.corpus.segments_at("turn").iloc[:2].itertuples(index=False)
        codings = project.codings(coder="alice")
        got = sorted(zip(codings["code"], codings["start"], codings["end"], strict=True))
        at = text.index("goodwill")
        assert got == sorted([("demo/resourcing", first.start, first.end),
                              ("demo/power", first.start, first.end),
                              ("demo/power/assessment", at, at + len("goodwill"))])
        assert set(codings["origin"]) == {"human"}
        memos = project.memos(coder="alice")
        assert memos[["target_kind", "target", "text"]].values.tolist() == [
            ["document", "p01", "Goodwill is the only budget."]]
        assert project.position("alice").segment_id == second.segment_id
