"""Dashboard: time to load a study page of a 10,000-trial study in headless Chromium.

Fills a SQLite study with N random trials (10 parameters, learning curves, some pruned and
failed), starts ``hyperscout dashboard`` in a subprocess, and times, in a fresh browser context
each repeat: navigation until the trials table has rows AND the history plot has drawn its
points (what a user waits for). The first repeat is the server's first read of the study (cold);
later repeats hit its incremental cache (warm). JSON API calls are timed too.

    PYTHONPATH=src python benchmarks/importance/dashboard_load.py                 # N=10000
    PYTHONPATH=src python benchmarks/importance/dashboard_load.py --n 1000 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def fill(url: str, n: int) -> None:
    import hyperscout as hs
    from hyperscout.space import Categorical, Float, Int

    hs.set_verbosity("warning")
    space = {**{f"x{i}": Float(-5, 5) for i in range(6)}, "lr": Float(1e-5, 1e-1, log=True),
             "units": Int(16, 512, log=True), "opt": Categorical(["sgd", "adam", "rmsprop"]),
             "act": Categorical(["relu", "gelu"])}
    study = hs.create_study(name="big", storage=url, sampler=hs.samplers.RandomSampler(seed=0))
    for i in range(n):
        t = study.ask(space)
        y = sum(t.params[f"x{k}"] ** 2 for k in range(6))
        if i % 10 == 0:
            for step in range(5):
                t.report(y + 5 - step, step)
        if i % 50 == 7:
            study.tell(t, state="fail", error="Traceback (most recent call last):\n  boom")
        elif i % 10 == 0 and i % 20 == 0:
            study.tell(t, state="pruned")
        else:
            study.tell(t, y)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--db", default=None, help="reuse this SQLite file if it exists")
    args = ap.parse_args()

    import httpx
    from playwright.sync_api import sync_playwright

    import hyperscout as hs

    tmp = tempfile.mkdtemp(prefix="hs-dash-")
    db = Path(args.db) if args.db else Path(tmp) / "big.db"
    url = f"sqlite:///{db}"
    if not db.exists():
        t0 = time.perf_counter()
        fill(url, args.n)
        print(f"filled {args.n} trials in {time.perf_counter() - t0:.1f} s ({db})", flush=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(SRC))
    proc = subprocess.Popen([sys.executable, "-m", "hyperscout.cli", "dashboard", "--storage",
                             url, "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                studies = httpx.get(base + "/api/studies", timeout=2).json()
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        sid = studies[0]["study_id"]
        n_trials = studies[0]["n_trials"]
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        loads = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True,
                                        args=["--no-sandbox", "--disable-dev-shm-usage"])
            for r in range(args.repeats):
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = ctx.new_page()
                for visit in ("new browser context", "reload, same context"):
                    t0 = time.perf_counter()
                    if visit.startswith("new"):
                        page.goto(f"{base}/studies/{sid}")
                    else:
                        page.reload()
                    page.wait_for_selector("#trials tbody tr", timeout=60000)
                    t_table = time.perf_counter() - t0
                    page.wait_for_selector("#plot .scatterlayer path.point", timeout=60000)
                    dt = time.perf_counter() - t0
                    loads.append((r, visit, t_table, dt))
                    print(f"repeat {r} ({'server cold' if r == 0 else 'server warm'}), {visit}: "
                          f"table {t_table:.3f} s, table+plot {dt:.3f} s", flush=True)
                if r == 0:
                    page.screenshot(path=str(Path(tmp) / "big-study.png"))
                ctx.close()
            browser.close()
        api = {}
        for name, path in [
            ("summary", f"/api/studies/{sid}"),
            ("trials page (50, by number)", f"/api/studies/{sid}/trials?limit=50"),
            ("trials page (50, sort -value)", f"/api/studies/{sid}/trials?limit=50&sort=-value"),
            ("trials filtered (state+range)",
             f"/api/studies/{sid}/trials?state=complete&range=x0,-1,1&limit=50"),
            ("plot history", f"/api/studies/{sid}/plots/history"),
            ("plot importance (PED-ANOVA)", f"/api/studies/{sid}/plots/importance"),
            ("plot slice", f"/api/studies/{sid}/plots/slice"),
            ("plot contour", f"/api/studies/{sid}/plots/contour"),
            ("plot parallel", f"/api/studies/{sid}/plots/parallel"),
            ("plot intermediate", f"/api/studies/{sid}/plots/intermediate"),
            ("plot timeline", f"/api/studies/{sid}/plots/timeline"),
        ]:
            t0 = time.perf_counter()
            r = httpx.get(base + path, timeout=120)
            r.raise_for_status()
            api[name] = (time.perf_counter() - t0, len(r.content))
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    import importlib.metadata

    import plotly
    import starlette

    print(f"\n{n_trials}-trial study; hyperscout {hs.__version__}, "
          f"starlette {starlette.__version__}, plotly {plotly.__version__}, "
          f"playwright {importlib.metadata.version('playwright')}, "
          f"Python {platform.python_version()}; screenshot {tmp}/big-study.png")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    first = loads[0]
    print(f"first visit (server cold, browser cold): table {first[2]:.3f} s, "
          f"table+plot {first[3]:.3f} s")
    for visit in ("new browser context", "reload, same context"):
        rows = [x for x in loads if x[0] > 0 and x[1] == visit] or [loads[0]]
        tab = [x[2] for x in rows]
        full = [x[3] for x in rows]
        print(f"server warm, {visit:22s}: table median {statistics.median(tab):.3f} s "
              f"(max {max(tab):.3f}); table+plot median {statistics.median(full):.3f} s "
              f"(min {min(full):.3f}, max {max(full):.3f}, n={len(full)})")
    for name, (secs, size) in api.items():
        print(f"  {name:32s} {secs * 1000:8.1f} ms  {size / 1024:8.1f} KiB (first call)")


if __name__ == "__main__":
    main()
