"""The queries a What-if slider step reads on every move are one object per process
(``queries.STEP_QUERIES``): read again, nothing is unpickled or asked of Streamlit's cache; a reader's
change to what it was given never reaches the next reader; a data change or ``forget_computed``
drops them."""
from app_pages.ui import queries


def test_a_step_query_read_twice_is_taken_from_the_cache_once(demo, monkeypatch):
    queries.forget_computed()
    asked, real = [], queries._query
    monkeypatch.setattr(queries, "_query", lambda *a: asked.append(a[3]) or real(*a))
    try:
        first = queries.source().whatif_current(None)
        second = queries.source().whatif_current(None)
        assert asked == ["whatif_current"]
        assert first is not second and first.equals(second)
        queries.source().factor_scores(None)
        queries.source().factor_scores(None)  # not a step query: Streamlit's cache each time
        assert asked == ["whatif_current", "factor_scores", "factor_scores"]
    finally:
        queries.forget_computed()


def test_a_change_to_a_shared_frame_stays_with_its_reader(demo):
    queries.forget_computed()
    try:
        mine = queries.source().whatif_current(None)
        partner = mine["partner"].iloc[0]
        mine.loc[mine.index[0], "partner"] = "Somebody else"
        mine["extra"] = 1
        theirs = queries.source().whatif_current(None)
        assert theirs["partner"].iloc[0] == partner
        assert "extra" not in theirs
        waves = queries.source().waves(None)
        waves.append("2099-Q1")
        assert "2099-Q1" not in queries.source().waves(None)
    finally:
        queries.forget_computed()


def test_forgetting_what_was_computed_drops_the_step_queries(demo, monkeypatch):
    queries.forget_computed()
    queries.source().partners()
    asked, real = [], queries._query
    monkeypatch.setattr(queries, "_query", lambda *a: asked.append(a[3]) or real(*a))
    queries.forget_computed()
    try:
        queries.source().partners()
        assert asked == ["partners"]
    finally:
        queries.forget_computed()


def test_the_step_queries_kept_are_bounded(demo, monkeypatch):
    from pipelines.query import warm

    queries.forget_computed()
    monkeypatch.setattr(queries, "_step_results", warm.Shared(3))
    try:
        for asof in (None, 1, 2, 3, 4):
            queries.source().is_demo(asof)
        assert len(queries._step_results) == 3
        kept = [asof for asof in (None, 1, 2, 3, 4)
                if (*queries._qkey(), "is_demo", (asof,)) in queries._step_results]
        assert kept == [2, 3, 4]
    finally:
        queries.forget_computed()
