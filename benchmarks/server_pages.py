"""Warm reruns of every page on a real server, driven by headless Chromium.

``python -m benchmarks.server_pages --db PATH [--reruns N]`` serves ``app.py`` with
``streamlit run`` on the given programme store (e.g. one ``benchmarks/pages.py`` built, under
``/tmp/bench-pages-*``), opens each page, waits for its first run, then presses ``r`` (Streamlit's
rerun key) N times and times, in the page, from the key press to the app's
``data-test-script-state`` going ``running`` -> ``notRunning`` (the rerun finished in the browser:
server time + websocket + rendering). Prints ``RESULT {json}``: median and runs per page.
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


def measure(db: str, reruns: int) -> dict:
    import subprocess
    import time
    import urllib.request

    from playwright.sync_api import sync_playwright

    port = _free_port()
    env = {**os.environ, "PARTNERSHIP_DB": db, "PARTNERSHIP_DEMO": "off",
           "PARTNERSHIP_SALT_FILE": str(Path(db).with_name("salt"))}
    log = open(Path(db).with_name(f"server-{port}.log"), "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    out: dict = {"load_before": os.getloadavg(), "pages": {}}
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for name in PAGES:
                page.goto(f"http://127.0.0.1:{port}/{name}")
                page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                                       timeout=300_000)
                page.wait_for_timeout(500)
                times = []
                for i in range(reruns + 1):
                    page.evaluate(ARM_JS)
                    page.mouse.click(5, 500)  # focus the page, not a widget
                    page.keyboard.press("r")
                    page.wait_for_function("window.__rerun !== null", timeout=120_000)
                    if i:  # the first rerun after the page's first run is a warm-up
                        times.append(page.evaluate("window.__rerun"))
                out["pages"][name] = {"median_ms": statistics.median(times), "runs_ms": times}
                print(name, out["pages"][name], file=sys.stderr, flush=True)
            browser.close()
    finally:
        _stop(process)
        log.close()
    out["load_after"] = os.getloadavg()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.server_pages")
    parser.add_argument("--db", required=True)
    parser.add_argument("--reruns", type=int, default=7)
    args = parser.parse_args()
    print("RESULT " + json.dumps(measure(args.db, args.reruns)))


if __name__ == "__main__":
    main()
