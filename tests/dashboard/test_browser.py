"""The dashboard in headless Chromium (Playwright): lists studies, opens one, the trials table
updates when another process finishes a trial, a plot renders, and a trial carrying
``<script>`` in its attributes, parameter name and error is shown as inert text.

Skipped when Playwright or a Chromium executable is absent (Debian: ``apt-get install chromium``;
``pip install playwright`` -- no ``playwright install`` needed). Screenshots go to
``$HYPERSCOUT_ARTIFACTS`` (default: ``<tmp>/hyperscout-dashboard-screenshots``); the path is
printed (``pytest -s``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

import hyperscout as hs

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("plotly")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

CHROMIUM = os.environ.get("HYPERSCOUT_CHROMIUM") or shutil.which("chromium") or shutil.which(
    "chromium-browser")
if not CHROMIUM:
    pytest.skip("no chromium executable (apt-get install chromium)", allow_module_level=True)

SRC = Path(__file__).resolve().parents[2] / "src"
EVIL = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">"
hs.set_verbosity("warning")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    return env


@pytest.fixture(scope="module")
def artifacts() -> Path:
    # a fixed place (pytest rotates its own tmp dirs away after a few runs)
    default = Path(tempfile.gettempdir()) / "hyperscout-dashboard-screenshots"
    path = Path(os.environ.get("HYPERSCOUT_ARTIFACTS") or default)
    path.mkdir(parents=True, exist_ok=True)
    print(f"\n[dashboard browser tests] screenshots in {path}")
    return path


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'hs.db'}"
    study = hs.create_study(name="alpha", storage=url, sampler=hs.samplers.RandomSampler(seed=0))

    def objective(t: hs.Trial) -> float:
        x = t.suggest_float("x", -2, 2)
        t.suggest_float("lr", 1e-4, 1e-1, log=True)
        t.report(x * x, 0)
        return x * x

    study.optimize(objective, n_trials=8)
    evil = study.ask({EVIL: hs.Categorical(["a", EVIL])}, fixed={EVIL: EVIL})
    evil.set_user_attr(EVIL, EVIL)
    study.tell(evil, state="fail", error=f"Traceback (most recent call last):\n  {EVIL}")
    hs.create_study(name="beta", storage=url, directions=["minimize", "maximize"])
    return url


@pytest.fixture(scope="module")
def server(db: str):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hyperscout.cli", "dashboard", "--storage", db, "--port",
         str(port)], env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "/api/studies", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"dashboard did not start: {proc.stdout.read() if proc.stdout else ''}")
        time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    pg.js_errors = errors  # type: ignore[attr-defined]
    yield pg
    ctx.close()


def _rows(page) -> int:
    return page.locator("#trials tbody tr").count()


def test_lists_studies_opens_one_and_draws_a_plot(server, page, artifacts) -> None:
    page.goto(server + "/")
    page.wait_for_selector("#studies tbody tr >> text=alpha")
    assert page.locator("#studies tbody tr").count() == 2
    page.screenshot(path=str(artifacts / "studies.png"), full_page=True)
    page.click("#studies a >> text=alpha")
    page.wait_for_url("**/studies/*")
    page.wait_for_selector("#trials tbody tr")
    assert _rows(page) == 9
    page.wait_for_selector("#plot svg.main-svg .scatterlayer .trace path.point", timeout=20000)
    assert page.locator("#plot .scatterlayer path.point").count() >= 8
    page.click('.tab[data-kind="slice"]')
    page.wait_for_selector('#plot[data-kind="slice"] .xtitle')
    assert page.locator("#plot .cartesianlayer g.subplot").count() >= 2  # x and lr panels
    page.screenshot(path=str(artifacts / "study.png"), full_page=True)
    # sort by clicking a header: descending by value after two clicks
    page.click('#trials th[data-sort="value0"]')
    page.click('#trials th[data-sort="value0"]')
    page.wait_for_selector('#trials th.sorted-desc[data-sort="value0"]')
    # filter: the failed trial only, then a parameter range
    page.check('#states input[value="fail"]')
    sync_api.expect(page.locator("#trials tbody tr")).to_have_count(1)
    page.uncheck('#states input[value="fail"]')
    page.select_option("#range-param", "x")
    page.fill("#range-min", "0")
    page.press("#range-min", "Enter")
    page.locator("#range-min").dispatch_event("change")
    sync_api.expect(page.locator("#trials tbody tr")).not_to_have_count(9)
    page.screenshot(path=str(artifacts / "study-filtered.png"), full_page=True)
    assert not page.js_errors


def test_table_updates_when_another_process_finishes_a_trial(server, db, page, artifacts) -> None:
    page.goto(server + "/")
    page.click("#studies a >> text=alpha")
    page.wait_for_selector("#trials tbody tr")
    before = _rows(page)
    worker = textwrap.dedent(f"""
        import hyperscout as hs
        hs.set_verbosity("warning")
        study = hs.load_study("alpha", {db!r})
        study.optimize(lambda t: t.suggest_float("x", -2, 2) ** 2, n_trials=1)
    """)
    subprocess.run([sys.executable, "-c", worker], env=_env(), check=True, timeout=60)
    # (locator waits: the page's CSP forbids the eval that wait_for_function needs)
    sync_api.expect(page.locator("#trials tbody tr")).to_have_count(before + 1, timeout=15000)
    assert _rows(page) == before + 1
    page.screenshot(path=str(artifacts / "study-updated.png"), full_page=True)
    assert not page.js_errors


def test_script_in_a_trial_is_inert(server, page, artifacts) -> None:
    page.goto(server + "/")
    page.click("#studies a >> text=alpha")
    page.wait_for_selector("#trials tbody tr")
    page.click("#trials a >> text=8")
    page.wait_for_selector("#error:has-text('Traceback')")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("main script, main img").count() == 0
    assert EVIL in page.locator("#error").text_content()
    assert page.locator("#user_attrs td").first.text_content() == EVIL
    assert page.locator("#params th").first.text_content() == EVIL
    page.screenshot(path=str(artifacts / "evil-trial.png"), full_page=True)
    # the study page shows the evil parameter name as a column header, as text
    page.goto(page.url.rsplit("/trials/", 1)[0])
    page.wait_for_selector("#trials tbody tr")
    assert page.locator("#trials th", has_text="window.__pwned").count() == 1
    assert page.evaluate("window.__pwned") is None
    assert not page.js_errors


def test_report_renders_offline(db, browser, artifacts, tmp_path) -> None:
    """The HTML report draws its plots with every network request blocked."""
    from hyperscout.visualization.report import write_report

    out = write_report(hs.load_study("alpha", db), tmp_path / "report.html")
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    requested: list[str] = []

    def block(route) -> None:
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            requested.append(url)
            route.abort()

    ctx.route("**/*", block)
    page = ctx.new_page()
    page.goto(out.as_uri())
    page.wait_for_selector(".plot .scatterlayer path.point", timeout=30000)
    assert page.locator(".plot svg.main-svg").count() >= 8
    page.screenshot(path=str(artifacts / "report.png"))
    assert requested == []
    ctx.close()
