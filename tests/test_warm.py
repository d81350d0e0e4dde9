"""The what-if model fitted once per data content, shared by threads, bounded, and warmed by a
background thread with its own cursor (pipelines.query.warm). Real DuckDB stores; the fits are
counted, never timed."""
from __future__ import annotations

import threading

import builders as b
import numpy as np
import pytest
from test_whatif import planted  # noqa: F401 (the fitted programme, as test_whatif builds it)

from pipelines.query import warm, whatif

WAIT = 120  # seconds: only a guard against a hang; every wait is on a state


@pytest.fixture(autouse=True)
def empty_cache():
    warm.MODELS.clear()
    yield
    warm.MODELS.clear()


@pytest.fixture
def fits(monkeypatch):
    """Every ``whatif.fit`` call of this test: (thread name, cursor, asof), the real fit still run.
    Not the fits of threads that were running before it (a page test's warm-up thread, still
    warming its own store)."""
    calls, real = [], whatif.fit
    before = {t.ident for t in threading.enumerate()}

    def counted(cursor, asof=None, **kwargs):
        if threading.current_thread().ident not in before or threading.current_thread() is threading.main_thread():
            calls.append((threading.current_thread().name, cursor, asof))
        return real(cursor, asof, **kwargs)

    monkeypatch.setattr(whatif, "fit", counted)
    return calls


# -- Shared: one computation per key, at most `keep` kept ------------------------------------

def test_two_callers_of_one_key_compute_once():
    shared, calls = warm.Shared(keep=4), []
    first = shared.get("k", lambda: calls.append(1) or ["value"])
    second = shared.get("k", lambda: calls.append(2) or ["other"])
    assert calls == [1]
    assert second is first


def test_fifteen_threads_at_once_compute_once():
    shared, calls, results = warm.Shared(keep=4), [], []
    arrived, everyone = [], threading.Event()

    def compute():
        everyone.wait(WAIT)  # the others arrive while this computes
        calls.append(1)
        return object()

    def open_link():
        arrived.append(1)
        if len(arrived) == 15:
            everyone.set()
        results.append(shared.get("same data", compute))

    threads = [threading.Thread(target=open_link) for _ in range(15)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert len(calls) == 1
    assert len(results) == 15 and all(r is results[0] for r in results)


def test_different_keys_compute_each():
    shared = warm.Shared(keep=4)
    assert shared.get("a", lambda: "A") == "A"
    assert shared.get("b", lambda: "B") == "B"
    assert len(shared) == 2


def test_never_more_than_keep_entries_least_recently_used_dropped():
    shared = warm.Shared(keep=3)
    for key in range(10):
        shared.get(key, lambda key=key: key)
        assert len(shared) <= 3
    shared.get(7, lambda: "recomputed")  # used again: kept longer than 8
    shared.get(10, lambda: 10)
    assert 7 in shared and 9 in shared and 10 in shared
    assert 8 not in shared and 0 not in shared


def test_a_failed_computation_is_not_kept():
    shared = warm.Shared(keep=2)

    def fails():
        raise RuntimeError("store closed")

    with pytest.raises(RuntimeError):
        shared.get("k", fails)
    assert "k" not in shared
    assert shared.get("k", lambda: "second try") == "second try"


# -- the what-if model, keyed by the data it reads ------------------------------------------

def test_two_sessions_share_one_fit(store, fits):
    b.add_partners(store, ["Acme", "Borough"])
    first = warm.whatif_model(store.cursor(), None, k=5)
    second = warm.whatif_model(store.cursor(), None, k=5)
    assert len(fits) == 1
    assert second is first


def test_a_new_data_version_refits_and_a_pin_keeps_its_fit(store, fits):
    before = b.add_partners(store, ["Acme"]) and store.data_version()
    warm.whatif_model(store.cursor(), None, k=5)
    b.add_partners(store, ["Borough"])
    warm.whatif_model(store.cursor(), None, k=5)
    assert len(fits) == 2
    warm.whatif_model(store.cursor(), before, k=5)  # a link pinned to the version before the load
    assert len(fits) == 2
    warm.whatif_model(store.cursor(), store.data_version(), k=5)  # pinned to the newest: the latest's fit
    assert len(fits) == 2


def test_another_k_fits_again(store, fits):
    b.add_partners(store, ["Acme"])
    warm.whatif_model(store.cursor(), None, k=5)
    warm.whatif_model(store.cursor(), None, k=7)
    assert [asof for _, _, asof in fits] == [None, None]
    assert len(warm.MODELS) == 2


def test_pinned_links_keep_memory_bounded(store, fits):
    made = [b.add_partners(store, [f"Partner {i}"]) and store.data_version() for i in range(warm.KEEP + 3)]
    for version in made:
        warm.whatif_model(store.cursor(), version, k=5)
        assert len(warm.MODELS) <= warm.KEEP
    assert len(fits) == warm.KEEP + 3
    assert len(warm.MODELS) == warm.KEEP


def test_the_shared_fit_gives_the_same_numbers(planted):  # noqa: F811
    cursor = planted.cursor()
    shared = warm.whatif_model(cursor, None, k=5)
    fresh = whatif.fit(cursor, None, k=5)
    assert isinstance(shared, whatif.FittedModel)
    current = whatif.current_scores(cursor, k=5)
    row = current[~current["suppressed"]].iloc[0]
    scores = {f: float(row[f]) for f in whatif.FACTORS}
    moved = {"accountability": 10}
    a = whatif.project(shared, scores, moved, int(row["partner_id"]))
    c = whatif.project(fresh, scores, moved, int(row["partner_id"]))
    assert a.equals(c)
    for name in whatif.MODEL_INDICATORS:
        assert np.array_equal(shared.indicators[name].beta, fresh.indicators[name].beta)
        assert shared.indicators[name].held_back == fresh.indicators[name].held_back


# -- the warm-up thread -----------------------------------------------------------------------

def test_the_warm_up_thread_fits_with_its_own_cursor_and_again_after_a_load(store, fits):
    b.add_partners(store, ["Acme"])
    mine = store.cursor()
    warmer = warm.Warmer(store, poll_seconds=0.05).start()
    try:
        assert warmer.wait_for(store.data_version(), WAIT)
        assert [(name, asof) for name, _, asof in fits] == [("partnership-warm-up", None)]
        assert fits[0][1] is warmer.cursor and fits[0][1] is not mine
        b.add_partners(store, ["Borough"])
        assert warmer.wait_for(store.data_version(), WAIT)
        assert len(fits) == 2 and fits[1][0] == "partnership-warm-up"
        warm.whatif_model(mine, None, k=5)  # the page's first open after the load: ready
        assert len(fits) == 2
    finally:
        warmer.stop(WAIT)


def test_the_warm_up_thread_ends_cleanly_and_closes_its_cursor(store):
    b.add_partners(store, ["Acme"])
    warmer = warm.Warmer(store, poll_seconds=0.05).start()
    assert warmer.wait_for(store.data_version(), WAIT)
    warmer.stop(WAIT)
    assert not warmer._thread.is_alive()
    with pytest.raises(Exception, match="closed"):
        warmer.cursor.execute("SELECT 1")
    assert not warmer.wait_for(store.data_version() + 1, WAIT)  # stopped: answers at once


def test_a_warm_up_that_fails_is_said_once_and_not_retried(store, monkeypatch, caplog):
    calls = []

    def broken(cursor, asof=None, **kwargs):
        calls.append(asof)
        raise ValueError("no model today")

    monkeypatch.setattr(whatif, "fit", broken)
    b.add_partners(store, ["Acme"])
    caplog.set_level("WARNING", logger=warm.__name__)
    warmer = warm.Warmer(store, poll_seconds=0.01).start()
    try:
        assert warmer.wait_rounds(6, WAIT)
        assert calls == [None]
        assert warmer.warmed is None
        assert [r.getMessage() for r in caplog.records if r.name == warm.__name__] == [
            "warming the what-if model failed: no model today"]
        b.add_partners(store, ["Borough"])  # a new version is tried again
        assert warmer.wait_rounds(warmer.rounds + 3, WAIT)
        assert calls == [None, None]
    finally:
        warmer.stop(WAIT)


def test_the_first_views_are_warmed_before_the_fit_and_the_version_counts_after_both(store, fits):
    seen = []
    b.add_partners(store, ["Acme"])
    warmer = warm.Warmer(store, poll_seconds=0.05, after=lambda warmed: seen.append((len(fits), warmer.warmed, warmed is store))).start()
    try:
        assert warmer.wait_for(store.data_version(), WAIT)
        assert seen == [(0, None, True)] and len(fits) == 1  # before the fit; marked warmed after both
        b.add_partners(store, ["Borough"])
        assert warmer.wait_for(store.data_version(), WAIT)
        assert seen == [(0, None, True), (1, store.data_version() - 1, True)] and len(fits) == 2
    finally:
        warmer.stop(WAIT)


def test_a_first_view_that_fails_to_warm_is_said_and_the_version_still_counts(store, caplog):
    def broken(warmed):
        raise ValueError("no view today")

    b.add_partners(store, ["Acme"])
    caplog.set_level("WARNING", logger=warm.__name__)
    warmer = warm.Warmer(store, poll_seconds=0.05, after=broken).start()
    try:
        assert warmer.wait_for(store.data_version(), WAIT)
        assert "warming the pages' first views failed: no view today" in [
            r.getMessage() for r in caplog.records if r.name == warm.__name__]
    finally:
        warmer.stop(WAIT)


def test_after_the_pages_open_their_store_afresh_the_warm_up_moves_to_it(tmp_path, monkeypatch, fits):
    """As after a lake outage (``queries.store_guard`` drops the pages' store): the next page run
    starts a warm-up thread on the store it opens, and the one on the old store stops."""
    from app_pages.ui import queries, warmup

    monkeypatch.setenv("PARTNERSHIP_DB", str(tmp_path / "programme.duckdb"))
    monkeypatch.setenv("PARTNERSHIP_SALT_FILE", str(tmp_path / "salt"))
    queries._store.clear()
    warmup._warmer.clear()
    second = None
    try:
        first = warmup.warmer()
        assert first.store is queries.open_store()
        assert warmup.warmer() is first  # the same store: the same thread
        queries.open_store().close()  # a file cannot be opened twice; a lake's old connection is just dropped
        queries._store.clear()
        second = warmup.warmer()
        assert second is not first and second.store is queries.open_store()
        first._thread.join(WAIT)
        assert not first._thread.is_alive()
        assert second._thread.is_alive()
    finally:
        if second is not None:
            second.stop(WAIT)
            second.store.close()
        for cached in (warmup._warmer, queries._store):
            cached.clear()


def test_the_first_views_warmed_are_the_ones_a_bare_link_opens(demo, monkeypatch):
    """Every page with views opened without parameters after the warm-up builds no view: each
    state it asks for was warmed (as the page asks for it, so under the same cache key). Before,
    What-if's first open after a load built its partners' view and its first partner's, and the
    Partner profile's and Compare's first opens theirs; and each drew its charts (the Partner
    profile's factors over time: about 1 s at 1M answers)."""
    from test_pages import _app

    from app_pages.ui import queries

    from app_pages.ui import downloads

    built, real = [], queries.views.build
    monkeypatch.setattr(queries.views, "build", lambda source, state: built.append(state) or real(source, state))
    drawn, real_spec = [], downloads._spec
    monkeypatch.setattr(downloads, "_spec", lambda chart: drawn.append(chart.builder) or real_spec(chart))
    queries.forget_computed()
    queries._store.clear()
    try:
        queries.warm_first_views(queries.open_store())
        warmed = list(built)
        assert [(s.page, len(s.scenarios)) for s in warmed] == [
            ("what-if", 0), ("what-if", 1), ("overview", 0), ("partner", 0), ("compare", 0)]
        assert warmed[1].scenarios[0].partner == "Brackwater Systems" and not warmed[1].scenarios[0].deltas
        assert (warmed[3].partner, warmed[3].wave, warmed[4].sort) == ("Brackwater Systems", "2026-Q3", "partner")
        assert {"factors_over_time", "factor_profile", "spectrum"} <= set(drawn)
        built.clear()
        drawn.clear()
        for page in ("app_pages/overview.py", "app_pages/whatif.py", "app_pages/partner.py", "app_pages/compare.py"):
            _app(page=page)
            assert built == [], page  # every view the page asked for was warmed
            assert drawn == [], page  # and every chart it draws
    finally:
        queries.forget_computed()
        queries.open_store().close()
        queries._store.clear()
