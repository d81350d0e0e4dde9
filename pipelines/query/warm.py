"""Results computed once per data content and shared by every session and thread of the
process, and a background thread that computes them before anyone asks.

``whatif_model(cursor, asof, k=k)`` is the what-if delivery model (``whatif.fit``) of the data
a view sees. It is keyed by what the fit reads (``content_key``): the store, the history of
loads and undos up to the version the view shows (the latest data is the newest version, so
the latest view and a link pinned to the newest version share one fit; a pinned version keeps
its fit when later loads come), k and the settings the released scores follow. Fifteen
sessions opening What-if at once compute it once: the first computes, the others wait for it
(a lock per key). ``KEEP`` fits are kept, least recently used dropped first, so memory stays
flat however many pinned links are opened.

``Warmer(store).start()``: a daemon thread with its own cursor (DuckDB cursors must not be
shared across threads; the process keeps one connection) that fits the latest data when it
starts and again whenever the store's data version changes (a load or an undo, from the Data
page or a command handed to the app), so the first What-if open after a load finds it ready;
``after`` (the app passes its first views: What-if's, the Overview's, ...) is warmed first, in the
same round (What-if's views fit on the way), and the version counts as warmed when both are done.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from typing import Callable, Hashable

from pipelines import settings
from pipelines.store import versions

KEEP = 4                # what-if fits kept: the latest data and a few pinned versions
# how often the warm-up thread looks for a new data version: free on a file (the store knows its
# version) and on a lake read at most every LAKE_VERSION_SECONDS; a second's poll was a second's
# wait for What-if after a load
POLL_SECONDS = 0.2
_log = logging.getLogger(__name__)


class Shared:
    """At most ``keep`` results, least recently used dropped first; one computation per key
    however many threads ask at once."""

    def __init__(self, keep: int):
        self.keep = keep
        self._values: OrderedDict = OrderedDict()
        self._computing: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], object]):
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:  # a second caller of the same key waits here for the first
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]
            try:
                value = compute()
            except BaseException:
                with self._lock:
                    self._computing.pop(key, None)
                raise
            with self._lock:  # kept before its lock goes: a caller arriving now finds the value
                self._values[key] = value
                self._computing.pop(key, None)
                while len(self._values) > self.keep:
                    self._values.popitem(last=False)
            return value

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._values

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


MODELS = Shared(KEEP)


def content_key(cursor, asof: int | None, k: int) -> tuple:
    """What a result computed from the data a view sees depends on: the store, its history up to
    the version shown (None: the newest), k and the settings the released scores follow."""
    shown = versions.data_version(cursor) if asof is None else int(asof)
    history = [(v.number, str(v.event), v.batch, v.dataset, str(v.at))
               for v in versions.all_versions(cursor) if v.number <= shown]
    store = cursor.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
                           ).fetchone()[0]
    digest = hashlib.sha256(repr((store, history)).encode()).hexdigest()
    return (digest, int(k), settings.get("lead_partner").strip(), tuple(settings.index_weights().values()))


def whatif_model(cursor, asof: int | None = None, *, k: int | None = None):
    """``whatif.fit`` of the data at ``asof``, fitted once per data content (see the module)."""
    from pipelines.query import whatif

    k = settings.anonymity_k() if k is None else int(k)
    return MODELS.get(content_key(cursor, asof, k), lambda: whatif.fit(cursor, asof, k=k))


def whatif_ready(cursor, asof: int | None = None, *, k: int | None = None) -> bool:
    """Whether ``whatif_model`` would answer at once (a page may say it is fitting meanwhile)."""
    return content_key(cursor, asof, settings.anonymity_k() if k is None else int(k)) in MODELS


THREAD_NAME = "partnership-warm-up"


class Warmer:
    """The background fit of the latest data, at start and after every load or undo."""

    def __init__(self, store, poll_seconds: float = POLL_SECONDS, after: Callable[[object], None] | None = None):
        self.store = store
        self.poll_seconds = poll_seconds
        self.after = after  # the pages' first views, warmed before the fit (given the store)
        self.warmed: int | None = None  # the data version last warmed
        self.cursor = None
        self._tried: int | None = None  # the data version last fitted or failed (not retried)
        self._ended = False
        self.rounds = 0  # times it has looked at the data version
        self._stopping = threading.Event()
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)

    def start(self) -> "Warmer":
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        self._thread.join(timeout)

    def wait_for(self, version: int, timeout: float | None = None) -> bool:
        """Until the data version ``version`` (or a later one) is warmed; False if it was not
        within ``timeout`` or the thread stopped."""
        with self._changed:
            return self._changed.wait_for(
                lambda: self._warmed(version) or self._ended, timeout) and self._warmed(version)

    def wait_rounds(self, rounds: int, timeout: float | None = None) -> bool:
        """Until it has looked at the data version ``rounds`` times (or stopped)."""
        with self._changed:
            return self._changed.wait_for(lambda: self.rounds >= rounds or self._ended, timeout) \
                and self.rounds >= rounds

    def _warmed(self, version: int) -> bool:
        return self.warmed is not None and self.warmed >= version

    def _after(self) -> None:
        if self.after is None:
            return
        try:
            self.after(self.store)
        except Exception as problem:  # the pages compute their views themselves then
            _log.warning("warming the pages' first views failed: %s", problem)

    def _run(self) -> None:
        failed = None
        try:
            self.cursor = self.store.cursor()  # its own: never the cursor of a script run
            while not self._stopping.is_set():
                try:
                    version = self.store.data_version(self.cursor)
                    if version != self._tried:
                        self._tried = version
                        # the pages' first views (What-if's fit on the way; else it is made here)
                        self._after()
                        whatif_model(self.cursor, None)
                        with self._changed:
                            self.warmed = version
                            self._changed.notify_all()
                    failed = None
                except Exception as problem:  # the pages compute it themselves then; say why once
                    if repr(problem) != failed:
                        _log.warning("warming the what-if model failed: %s", problem)
                    failed = repr(problem)
                with self._changed:
                    self.rounds += 1
                    self._changed.notify_all()
                self._stopping.wait(self.poll_seconds)
        finally:
            if self.cursor is not None:
                self.cursor.close()
            with self._changed:
                self._ended = True
                self._changed.notify_all()
