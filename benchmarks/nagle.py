"""Does Streamlit's server add a Nagle / delayed-ACK stall (~40 ms) to each rerun?

``python -m benchmarks.nagle [--clicks N] [--app PATH]`` serves an app with ``streamlit run``
(Streamlit 1.67: uvicorn + starlette on asyncio) and drives it from headless Chromium
(Playwright, ``/usr/bin/chromium``) over one kept-alive websocket: each click of a button is
timed in the page itself, from the click to the moment the rerun's new text is in the DOM.

Three servers, clicks interleaved round-robin so they see the same machine load:

* ``default``: the server as shipped;
* ``nodelay``: the same server with asyncio's ``base_events._set_nodelay`` replaced by one
  without its ``sock.proto == IPPROTO_TCP`` condition, so every accepted TCP socket gets
  ``TCP_NODELAY`` (asyncio skips sockets whose ``proto`` is 0);
* the default server is also started once under ``strace -e setsockopt`` (if strace exists),
  to see whether ``TCP_NODELAY`` is set on the accepted socket.

Prints one ``RESULT {json}`` line: median / p90 click-to-DOM time per server.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"

TRIVIAL_APP = """
import streamlit as st
st.session_state.setdefault("n", 0)
if st.button("Again", key="again"):
    st.session_state.n += 1
st.markdown(f"clicks: {st.session_state.n}")
"""

SERVER = """
import sys
if sys.argv.pop(1) == "nodelay":
    import asyncio.base_events as base_events
    import socket

    def _set_nodelay(sock):  # asyncio's own, without its sock.proto == IPPROTO_TCP condition
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    base_events._set_nodelay = _set_nodelay
from streamlit.web import cli
sys.exit(cli.main())
"""


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(work: Path, app: Path, mode: str, strace: bool = False):
    port = _free_port()
    server = work / "server.py"
    server.write_text(SERVER)
    cmd = [sys.executable, str(server), mode, "run", str(app), "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    trace = work / f"strace-{mode}.txt"
    if strace:
        cmd = ["strace", "-f", "-e", "trace=setsockopt,accept4", "-o", str(trace)] + cmd
    log = open(work / f"server-{mode}-{port}.log", "w")
    process = subprocess.Popen(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return process, port, trace
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError((work / f"server-{mode}-{port}.log").read_text()[-2000:])


CLICK_JS = """async (expected) => {
    const button = [...document.querySelectorAll('button')].find(b => b.innerText.trim() === 'Again');
    const t0 = performance.now();
    button.click();
    return await new Promise(resolve => {
        const done = () => document.body.innerText.includes('clicks: ' + expected);
        const observer = new MutationObserver(() => {
            if (done()) { observer.disconnect(); resolve(performance.now() - t0); }
        });
        observer.observe(document.body, {subtree: true, childList: true, characterData: true});
    });
}"""


def _stop(process) -> None:
    """Stop a server we started (under strace: strace's child, then strace)."""
    children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
    for pid in children:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), 15)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        for pid in children:
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), 9)
        process.kill()
        process.wait(timeout=10)


def measure(clicks: int, app_source: str | None) -> dict:
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="bench-nagle-"))
    app = work / "app.py"
    app.write_text(app_source or TRIVIAL_APP)
    out: dict = {"clicks": clicks, "load_before": os.getloadavg()}
    modes = ["default", "nodelay"]
    servers = {m: _serve(work, app, m) for m in modes}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            pages = {}
            for mode, (_, port, _) in servers.items():
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/")
                page.get_by_text("clicks: 0").wait_for(timeout=60_000)
                pages[mode] = page
            times = {m: [] for m in modes}
            for i in range(1, clicks + 3):
                for mode in modes:
                    ms = pages[mode].evaluate(CLICK_JS, i)
                    if i > 2:  # two warm-up clicks
                        times[mode].append(ms)
            browser.close()
        for mode in modes:
            t = sorted(times[mode])
            out[mode] = {"median_ms": statistics.median(t), "p10_ms": t[len(t) // 10],
                         "p90_ms": t[(len(t) * 9) // 10], "min_ms": t[0], "runs": len(t)}
    finally:
        for process, _, _ in servers.values():
            _stop(process)
    print("PARTIAL " + json.dumps(out), flush=True)
    if shutil.which("strace"):
        process, port, trace = _serve(work, app, "default", strace=True)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/")
                page.get_by_text("clicks: 0").wait_for(timeout=60_000)
                page.evaluate(CLICK_JS, 1)
                browser.close()
        finally:
            _stop(process)
        lines = trace.read_text().splitlines()
        out["strace_tcp_nodelay_calls"] = [l.split(" ", 1)[1] for l in lines if "TCP_NODELAY" in l][:6]
        out["strace_accepts"] = sum("accept4(" in l and "= -1" not in l for l in lines)
    out["load_after"] = os.getloadavg()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.nagle")
    parser.add_argument("--clicks", type=int, default=40)
    parser.add_argument("--app", help="serve this app file instead of the one-button app")
    args = parser.parse_args()
    source = Path(args.app).read_text() if args.app else None
    print("RESULT " + json.dumps(measure(args.clicks, source)))


if __name__ == "__main__":
    main()
