"""A server's warm-up moves the heap it leaves out of Python's collector's reach (``gc.freeze``), and
gives the last warm-up's back first, so what a load made garbage is still collected; a process that
is not a server (tests, commands) freezes nothing."""
import gc
import weakref

import pytest

from app_pages.ui import warmup


class Node:
    def __init__(self):
        self.me = self  # a cycle: only the collector frees it


@pytest.fixture
def warm_only(monkeypatch):
    """``warmup._warm`` with the views' warm-up left out; the heap given back after the test."""
    monkeypatch.setattr(warmup.queries, "warm_first_views", lambda store: None)
    yield
    gc.unfreeze()


def test_outside_a_server_the_warm_up_freezes_nothing(warm_only, monkeypatch):
    monkeypatch.setattr(warmup, "_settle", False)
    before = gc.get_freeze_count()
    warmup._warm(None)
    assert gc.get_freeze_count() == before


def test_a_servers_warm_up_freezes_the_heap_and_the_next_one_collects_what_it_left(warm_only, monkeypatch):
    monkeypatch.setattr(warmup, "_settle", False)
    warmup.settle_heap_after_warming()
    assert warmup._settle
    node = Node()
    left = weakref.ref(node)
    warmup._warm(None)
    assert gc.get_freeze_count() > 0
    del node  # garbage now, but frozen: a collection does not reach it
    gc.collect()
    assert left() is not None
    warmup._warm(None)  # the next load's warm-up
    assert left() is None


def test_the_servers_start_turns_it_on(monkeypatch):
    from app_pages.ui import server

    monkeypatch.setattr(warmup, "_settle", False)
    monkeypatch.setattr(warmup, "warmer", lambda: object())  # no store: only the start's own steps
    start = server.Start(retry_seconds=0)
    start._run()
    assert warmup._settle and start.warmer is not None
