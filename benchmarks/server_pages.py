"""Warm reruns of every page on a real server, driven by headless Chromium.

``python -m benchmarks.server_pages --db PATH [--reruns N]`` serves ``app.py`` with
``streamlit run`` on the given programme store (e.g. one ``benchmarks/pages.py`` built, under
``/tmp/bench-pages-*``), opens each page, waits for its first run, then presses ``r`` (Streamlit's
rerun key) N times and times, in the page, from the key press to the app's
``data-test-script-state`` going ``running`` -> ``notRunning`` (the rerun finished in the browser:
server time + websocket + rendering). When the store's folder holds the pages' recorded chart calls
(``benchmarks/pages.py`` leaves them there), each page's reruns alternate with reruns of its charts
alone on a second server (``benchmarks/floor_app.py``) in a second tab: the charts-alone floor in
the browser. Prints ``RESULT {json}``: medians, runs and the paired ratio per page.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

from benchmarks.nagle import CHROMIUM, _free_port, _stop

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["overview", "partner", "compare", "what-if", "data"]
STEMS = {"what-if": "whatif"}  # url path -> page file stem

ARM_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    window.__rerun = null;
    let seen = false;
    const t0 = performance.now();
    const observer = new MutationObserver(() => {
        const state = app.getAttribute('data-test-script-state');
        if (state === 'running') seen = true;
        else if (seen && state === 'notRunning') {
            observer.disconnect();
            window.__rerun = performance.now() - t0;
        }
    });
    observer.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def _serve(script: Path, env: dict, log_path: Path):
    """``streamlit run script`` on a free port; returns (process, port, log) once it is healthy."""
    import subprocess
    import time
    import urllib.request

    port = _free_port()
    log = open(log_path.with_name(f"{log_path.stem}-{port}.log"), "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.3)
    return process, port, log


def _open(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=600_000)
    page.wait_for_timeout(500)


def _rerun(page) -> float:
    """Press Streamlit's rerun key; milliseconds until the rerun has finished in the browser."""
    page.evaluate(ARM_JS)
    page.mouse.click(5, 500)  # focus the page, not a widget
    page.keyboard.press("r")
    page.wait_for_function("window.__rerun !== null", timeout=120_000)
    return page.evaluate("window.__rerun")


def measure(db: str, reruns: int, floor_dir: str | None = None) -> dict:
    """Each page's reruns on ``app.py``; when ``floor_dir`` holds the pages' recorded chart calls
    (``benchmarks/pages.py`` writes them next to its store), alternating with reruns of the same
    charts alone on a second server (``benchmarks/floor_app.py``), in a second tab."""
    from playwright.sync_api import sync_playwright

    from benchmarks.pages import floor_file

    env = {**os.environ, "PARTNERSHIP_DB": db, "PARTNERSHIP_DEMO": "off",
           "PARTNERSHIP_SALT_FILE": str(Path(db).with_name("salt"))}
    floor_dir = floor_dir or str(Path(db).parent)
    servers = [_serve(ROOT / "app.py", env, Path(db).with_name("server"))]
    has_floor = any(floor_file(floor_dir, STEMS.get(name, name)).exists() for name in PAGES)
    if has_floor:
        servers.append(_serve(ROOT / "benchmarks" / "floor_app.py", {**env, "PARTNERSHIP_BENCH_FLOOR_DIR": floor_dir},
                              Path(db).with_name("floor")))
    out: dict = {"load_before": os.getloadavg(), "pages": {}}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            floor = browser.new_page(viewport={"width": 1400, "height": 1000}) if has_floor else None
            for name in PAGES:
                stem = STEMS.get(name, name)
                _open(page, f"http://127.0.0.1:{servers[0][1]}/{name}")
                with_floor = floor is not None and floor_file(floor_dir, stem).exists()
                if with_floor:
                    _open(floor, f"http://127.0.0.1:{servers[1][1]}/?page={stem}")
                times, floors = [], []
                for i in range(reruns + 1):
                    page.bring_to_front()
                    took = _rerun(page)
                    floor_took = None
                    if with_floor:
                        floor.bring_to_front()
                        floor_took = _rerun(floor)
                    if i:  # the first rerun after the page's first run is a warm-up
                        times.append(took)
                        if floor_took is not None:
                            floors.append(floor_took)
                entry = {"median_ms": statistics.median(times), "runs_ms": times}
                if floors:
                    entry.update(floor_median_ms=statistics.median(floors), floor_runs_ms=floors,
                                 paired_ratio=statistics.median(t / f for t, f in zip(times, floors)))
                out["pages"][name] = entry
                print(name, entry, file=sys.stderr, flush=True)
            browser.close()
    finally:
        for process, _port, log in servers:
            _stop(process)
            log.close()
    out["load_after"] = os.getloadavg()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server_pages")
    parser.add_argument("--db", required=True)
    parser.add_argument("--reruns", type=int, default=7)
    parser.add_argument("--floor-dir", default=None,
                        help="folder of the pages' recorded chart calls (default: the store's folder)")
    args = parser.parse_args()
    print("RESULT " + json.dumps(measure(args.db, args.reruns, args.floor_dir)))


if __name__ == "__main__":
    main()
