"""Many people opening one link at once, as the server sees it: sessions opened over Streamlit's own
websocket protocol, without a browser.

In the browser benchmark the 15 sessions and the server share this machine's 2 cores with 15
Chromium pages loading Streamlit's JavaScript: the empty page alone takes longer at 15 at once
than the Overview takes one person. In a meeting each person's browser runs on their own
computer, so this measures the part that is the server's: each session connects to
``/_stcore/stream`` as the browser does, asks for a run of the page (a ``rerun_script`` BackMsg
with the link's query string), and is timed from connecting until the server says the run
finished (``script_finished``) and nothing more arrives for ``SETTLE_S``. One session alone first,
then ``n`` at the same moment. The client acknowledges what it receives at once (``ack_at_once``),
as a browser's page does: with the kernel's delayed ACK, each session waited ~40 ms on Nagle's
algorithm in the server, which Chromium opening the same link never does.

``python -m benchmarks.sessions URL [--path PAGE] [--query QS] [--sessions 15] [--repeats 5]``
against a running server prints one ``RESULT {json}`` line; ``benchmarks/browser.py`` runs the
same next to its browser sessions. With ``--meeting``: the same meeting as a director in it waits,
in headless Chromium: one person alone, then the last of ``sessions`` to be served
(``browser.open_among``: the others over the websocket, as their browsers run elsewhere).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import time
import urllib.parse

SETTLE_S = 0.5


def ack_at_once(connection) -> None:
    """Turn off the kernel's delayed ACK on the client's socket until its next receive (Linux's
    ``TCP_QUICKACK`` lasts only so long, so it is set again before each one). The server sends a
    run's elements as many small writes and, its accepted sockets without ``TCP_NODELAY``
    (Streamlit binds its listening socket itself), holds each after the first until the client
    acknowledges it: a delayed ACK made one session alone ~65 ms instead of ~25 (measured
    2026-12-07). Chromium opening the link sees no such wait: its open times are the same
    with ``TCP_NODELAY`` forced on the server (benchmarks/README.md)."""
    sock = connection.transport.get_extra_info("socket")
    if sock is not None and hasattr(socket, "TCP_QUICKACK"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)


async def open_session(url: str, path: str = "", query: str = "", timeout_s: float = 600,
                       sent: asyncio.Semaphore | None = None) -> dict:
    """One new session of the page at ``url``/``path``: seconds from connecting until its run
    finished (``s``), from the server's first "running" to then (``run_s``), the elements sent.
    ``sent`` is released once the request for the run has gone out."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    stream = urllib.parse.urlparse(url)._replace(scheme="ws", path="/_stcore/stream").geturl()
    started = time.perf_counter()
    async with websockets.connect(stream, subprotocols=["streamlit"], max_size=None) as connection:
        ack_at_once(connection)
        request = BackMsg()
        state = request.rerun_script
        state.query_string, state.page_name = query, path
        state.context_info.timezone, state.context_info.locale = "UTC", "en-GB"
        state.context_info.url = f"{url}/{path}" + (f"?{query}" if query else "")
        await connection.send(request.SerializeToString())
        if sent is not None:
            sent.release()
        running = finished = None
        elements = 0
        while True:
            ack_at_once(connection)
            try:
                data = await asyncio.wait_for(connection.recv(), SETTLE_S if finished else timeout_s)
            except asyncio.TimeoutError:
                if finished is None:
                    raise
                break
            message = ForwardMsg()
            message.ParseFromString(data)
            kind = message.WhichOneof("type")
            if kind == "session_status_changed" and message.session_status_changed.script_is_running:
                running = running or time.perf_counter()
                finished = None  # a rerun: wait for its end
            elif kind == "script_finished":
                finished = time.perf_counter()
            elif kind == "delta":
                elements += 1
    return {"s": finished - started, "run_s": finished - (running or started), "elements": elements}


async def at_once(url: str, sessions: int, path: str = "", query: str = "") -> dict:
    """``sessions`` new sessions of the same link at the same moment: slowest and median."""
    done = await asyncio.gather(*(open_session(url, path, query) for _ in range(sessions)))
    seconds = sorted(d["s"] for d in done)
    return {"slowest_s": seconds[-1], "median_s": statistics.median(seconds), "all_s": seconds,
            "elements": [d["elements"] for d in done]}


async def meeting(url: str, path: str, sessions: int, repeats: int) -> dict:
    """``--meeting``: Chromium's time for one person alone and for the last of ``sessions`` served."""
    from playwright.async_api import async_playwright

    from benchmarks import browser
    from tests.conftest import CHROMIUM, CHROMIUM_FLAGS

    class Running:  # a server someone else started
        def __init__(self, url: str):
            self.url = url.rstrip("/")

        def link(self, to: str) -> str:
            return f"{self.url}/{to}"

    server, alone, last = Running(url), [], []
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)

        async def one() -> dict:
            context, page = await browser.new_page(chromium)
            await page.goto(server.link(path), wait_until="commit")
            done = await browser.finished(page)
            await context.close()
            return done

        await one()  # the caches of this link filled
        for _ in range(repeats):
            alone.append(await one())
            last.append(await browser.open_among(chromium, server, path, sessions - 1))
        await chromium.close()
    one_s, last_s = statistics.median(a["s"] for a in alone), statistics.median(m["s"] for m in last)
    return {"alone_s": one_s, "last_of_meeting_s": last_s, "last_vs_alone": round(last_s / one_s, 1),
            "alone": alone, "meeting": last}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sessions", description=__doc__.split("\n")[0])
    parser.add_argument("url", help="the running server, e.g. http://127.0.0.1:8501")
    parser.add_argument("--path", default="", help="the page's url path (default: the Overview)")
    parser.add_argument("--query", default="", help="the link's query string, without '?'")
    parser.add_argument("--sessions", type=int, default=15)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--meeting", action="store_true",
                        help="in Chromium: one person alone, then the last of the sessions to be served")
    args = parser.parse_args()
    if args.meeting:
        print("RESULT " + json.dumps(asyncio.run(meeting(args.url, args.path, args.sessions, args.repeats))))
        return

    async def run() -> dict:
        await open_session(args.url, args.path, args.query)  # the caches of this link filled
        alone, together = [], []
        for _ in range(args.repeats):
            alone.append(await open_session(args.url, args.path, args.query))
            together.append(await at_once(args.url, args.sessions, args.path, args.query))
        one = statistics.median(a["s"] for a in alone)
        slowest = statistics.median(t["slowest_s"] for t in together)
        return {"alone_s": one, "slowest_s": slowest, "slowest_vs_alone": round(slowest / one, 1),
                "alone": alone, "at_once": together}

    print("RESULT " + json.dumps(asyncio.run(run())))


if __name__ == "__main__":
    main()
