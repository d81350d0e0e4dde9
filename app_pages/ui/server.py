"""The app server's own part, for ``serve.py`` (``st.App``): what happens when the server starts,
before anyone opens a page, and the readiness route a load balancer asks.

``lifespan``: a thread opens the programme store (``queries.open_store``: the same Store, the one
connection, the pages use) and starts the what-if warm-up (``warmup.warmer``), so a fresh server's
or replica's first view does not pay for either. The server answers at once meanwhile; a store that
cannot be reached yet is tried again every ``queries.RETRY_SECONDS`` (the pages say so meanwhile).

``GET /ready`` (``READY_PATH``): 200 ``ready`` once the store is open, ``python -m pipelines check``
would pass (``store.readiness``, the one owner of that verdict) and the warm-up has fitted the data
once (a failed fit counts: the pages then fit themselves); otherwise 503 ``not ready: <reason>``,
the reason a code (``Phase`` or ``readiness.Problem``). The full sentence goes to the log: the
answer names no path, host or user, since a proxy may pass it to anyone.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from enum import StrEnum
from typing import AsyncIterator

import duckdb
from starlette.requests import Request
from starlette.responses import PlainTextResponse

from pipelines.store import lake, readiness

# The pages' modules (app_pages.ui.queries, .warmup) are imported by the start thread, once
# Streamlit's runtime exists: their caches then belong to it (imported earlier, each cache
# decorator logs "No runtime found").
READY_PATH = "/ready"
_log = logging.getLogger(__name__)


class Phase(StrEnum):
    """Why a server is not ready, other than a ``readiness.Problem``."""
    OPENING = "opening the programme store"
    UNREACHABLE = "the programme store cannot be reached"
    PREPARING = "another server is preparing the programme store"
    WARMING = "fitting the what-if model"
    STORE_ERROR = "the programme store answered with an error"


class Start:
    """The thread that opens the store and starts the warm-up, retried until it has."""

    def __init__(self, retry_seconds: float | None = None):
        self.retry_seconds = retry_seconds  # None: as often as the pages retry (queries.RETRY_SECONDS)
        self.warmer = None
        self.problem: Phase | None = None
        self._said: str | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="partnership-start", daemon=True)

    def begin(self) -> "Start":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(1.0)  # an open under way is not waited for: a daemon thread
        if self.warmer is not None:
            self.warmer.stop(1.0)  # a fit under way is not waited for either

    def _run(self) -> None:
        from app_pages.ui import queries, warmup

        retry = queries.RETRY_SECONDS if self.retry_seconds is None else self.retry_seconds
        warmup.settle_heap_after_warming()
        while not self._stopping.is_set():
            try:
                self.warmer = warmup.warmer()
                self.problem = None
                return
            except (lake.LakeUnreachable, lake.LakeBusyError) as problem:
                self.problem = Phase.PREPARING if isinstance(problem, lake.LakeBusyError) else Phase.UNREACHABLE
                self.say(str(problem))  # its message holds no password
            except Exception as problem:  # noqa: BLE001  the server keeps answering; the pages say why
                self.problem = Phase.STORE_ERROR
                self.say(f"opening the programme store failed: {problem}")
            self._stopping.wait(retry)

    def say(self, sentence: str, level: int = logging.WARNING) -> None:
        """Log a reason once, not at every retry or probe."""
        if sentence != self._said:
            _log.log(level, "%s", sentence)
            self._said = sentence

    def verdict(self) -> tuple[bool, str]:
        """(ready, the reason's code): what ``/ready`` answers."""
        from app_pages.ui import queries

        warmer = self.warmer
        if warmer is None:
            return False, str(self.problem or Phase.OPENING)
        try:
            found = readiness.check(queries.open_store())
        except (lake.LakeUnreachable, lake.LakeBusyError) as problem:
            self.say(str(problem))
            return False, str(Phase.PREPARING if isinstance(problem, lake.LakeBusyError) else Phase.UNREACHABLE)
        except duckdb.Error as problem:
            location = lake.location_of(queries.open_store().location)
            reason = lake.reachable(location) if location else None
            self.say(str(lake.LakeUnreachable(location, reason)) if reason else f"check failed: {problem}")
            return False, str(Phase.UNREACHABLE if reason else Phase.STORE_ERROR)
        if not found.ready:
            self.say(found.line())
            return False, str(found.problem)
        if warmer.rounds < 1:
            return False, str(Phase.WARMING)
        self.say(found.line(), logging.INFO)
        return True, "ready"


_START: Start | None = None


@contextlib.asynccontextmanager
async def lifespan(app) -> AsyncIterator[None]:
    """``st.App``'s lifespan: the start thread runs while the server serves."""
    global _START
    _START = Start().begin()
    try:
        yield
    finally:
        _START.stop()
        _START = None


def ready(request: Request) -> PlainTextResponse:
    """``GET /ready`` (a plain function: Starlette runs it in a worker thread, off the event loop)."""
    start = _START
    ok, reason = start.verdict() if start is not None else (False, str(Phase.OPENING))
    return PlainTextResponse("ready\n" if ok else f"not ready: {reason}\n", status_code=200 if ok else 503,
                             headers={"Cache-Control": "no-store"})
