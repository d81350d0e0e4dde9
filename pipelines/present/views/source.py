"""What the view models read: the query layer's results for one database at one k.

``Source(cursor)`` runs each query once per source (a pack of many slides asks for the same
frames again and again); the app gives its view models a ``Source`` whose ``fetch`` is its
cached query (``app_pages/ui/queries.py``), so a page reuses what other pages fetched. Every
query a view model may make is in ``QUERIES``: the one list of what views read.
"""
from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from pipelines import settings
from pipelines.query import actions as agreed
from pipelines.query import (
    alerts,
    comments,
    dyads,
    evidence,
    freshness,
    items,
    participation,
    reliability,
    respondents,
    scores,
    warm,
    whatif,
)
from pipelines.query import scenario as scenarios
from pipelines.store import versions


def _waves(cursor, k, asof):
    return [str(w) for w in scores.waves(cursor, asof)["wave"]]


def _labels(cursor, k):
    found = versions.versions(cursor)
    return {int(v): str(label) for v, label in zip(found["version"], found["label"])}


def _check(cursor, k, asof):
    versions.check(asof, cursor)  # raises ValueError naming the versions there are
    return True


class Composed:
    """A query made from other queries' results, read through the caller's ``fetch``: where
    the caller caches (the app), the results it reads are computed once for every query and
    page that reads them."""

    def __init__(self, build: Callable[..., Any]):
        self.build = build  # (cursor, k, fetch, *args)


QUERIES: dict[str, Callable[..., Any] | Composed] = {
    "factor_scores": lambda cursor, k, asof: scores.factor_scores(cursor, asof=asof, k=k),
    "index_scores": lambda cursor, k, asof: scores.index_scores(cursor, asof=asof, k=k),
    "changes": lambda cursor, k, asof: scores.changes(cursor, asof=asof, k=k),
    "waves": _waves,
    "partners": lambda cursor, k: scores.partners(cursor),
    "indicators": lambda cursor, k, asof: evidence.indicators(cursor, asof=asof),
    # the Partner profile reads the pooled evidence and the agreement built on it; the Overview
    # the alerts built on the agreement: each pooled once
    "agreement": Composed(lambda cursor, k, fetch, asof, wave: evidence.agreement(
        cursor, asof=asof, wave=wave, k=k, pooled_frame=fetch("pooled_evidence", asof, wave))),
    "pooled_evidence": lambda cursor, k, asof, wave: evidence.pooled(cursor, asof=asof, wave=wave),
    # each partner's latest period per modelled indicator: the same for every slider move
    "latest_observed": Composed(lambda cursor, k, fetch, asof: whatif.latest_observed(fetch("indicators", asof))),
    "alerts": Composed(lambda cursor, k, fetch, asof, wave: alerts.alerts(
        cursor, asof=asof, wave=wave, k=k, agreement=fetch("agreement", asof, wave))),
    "reliability": lambda cursor, k, asof: reliability.reliability(cursor, asof=asof, k=k),
    "freshness": lambda cursor, k, asof: freshness.freshness(cursor, asof),
    "whatif_current": lambda cursor, k, asof: whatif.current_scores(cursor, asof=asof, k=k),
    # a slider move changes no weight: the partner's index interval at these weights is read once
    "partner_index": lambda cursor, k, asof, partner_id, wave, weights: scenarios.partner_index(
        cursor, asof, k, partner_id, wave, dict(weights)),
    # shared with the warm-up thread and the whatif command: fitted once per data content
    "whatif_model": lambda cursor, k, asof: warm.whatif_model(cursor, asof, k=k),
    "participation": lambda cursor, k, asof: participation.participation(cursor, asof=asof, k=k),
    "dyads": lambda cursor, k, asof: dyads.dyads(cursor, asof=asof, k=k, margins=True),
    "items": lambda cursor, k, asof, partner, wave: items.items(cursor, partner=partner, wave=wave, asof=asof, k=k),
    # comments have their own k (the comment_k setting), as the command line's
    "comments": lambda cursor, k, asof, partner, wave: comments.comments(
        cursor, partner=partner, wave=wave, asof=asof),
    "comments_shown": lambda cursor, k, asof, partner_id, wave: comments.shown_for(
        cursor, partner_id=partner_id, wave=wave, asof=asof),
    # why a partner's number of respondents is not told in a wave (None: told), the scores' own decision
    "counts_hidden": lambda cursor, k, asof: respondents.counts_hidden(cursor, asof, k),
    "action_board": lambda cursor, k, asof, partner: agreed.board(cursor, partner=partner, asof=asof, k=k),
    "version_labels": _labels,
    "version_names": lambda cursor, k: versions.names(cursor),
    "describe": lambda cursor, k, asof: versions.describe(cursor, asof),
    "in_words": lambda cursor, k, asof: versions.in_words(cursor, asof),
    "is_demo": lambda cursor, k, asof: versions.is_demo(cursor, asof),
    "check_asof": _check,
}


def run(cursor, k: int, name: str, *args, fetch: Callable[..., Any] | None = None):
    """One query of ``QUERIES`` on ``cursor`` at ``k``; a ``Composed`` one reads the queries
    it is made from through ``fetch`` (by default: runs them)."""
    query = QUERIES[name]
    if isinstance(query, Composed):
        return query.build(cursor, k, fetch or (lambda other, *more: run(cursor, k, other, *more)), *args)
    return query(cursor, k, *args)


class Source:
    """The query layer for view models. ``fetch(name, *args)`` answers a query of
    ``QUERIES``; by default from ``cursor``, each query once."""

    def __init__(self, cursor=None, *, k: int | None = None,
                 fetch: Callable[..., Any] | None = None):
        self._cursor = cursor
        self.k = settings.anonymity_k() if k is None else int(k)
        self.thresholds = settings.band_thresholds()
        if fetch is None:
            memo: dict[tuple, Any] = {}

            def fetch(name, *args):
                if (name, *args) not in memo:
                    memo[(name, *args)] = run(cursor, self.k, name, *args, fetch=fetch)
                return memo[(name, *args)]
        self._fetch = fetch

    def factor_scores(self, asof: int | None) -> pd.DataFrame:
        return self._fetch("factor_scores", asof)

    def index_scores(self, asof: int | None) -> pd.DataFrame:
        return self._fetch("index_scores", asof)

    def changes(self, asof: int | None) -> pd.DataFrame:
        return self._fetch("changes", asof)

    def waves(self, asof: int | None) -> list[str]:
        return self._fetch("waves", asof)

    def partners(self) -> pd.DataFrame:
        return self._fetch("partners")

    def indicators(self, asof: int | None) -> pd.DataFrame:
        return self._fetch("indicators", asof)

    def latest_observed(self, asof: int | None) -> pd.DataFrame:
        return self._fetch("latest_observed", asof)

    def agreement(self, asof: int | None, wave: str | None) -> pd.DataFrame:
        return self._fetch("agreement", asof, wave)

    def pooled_evidence(self, asof: int | None, wave: str | None) -> pd.DataFrame:
        return self._fetch("pooled_evidence", asof, wave)

    def alerts(self, asof: int | None, wave: str | None) -> pd.DataFrame:
        return self._fetch("alerts", asof, wave)

    def reliability(self, asof: int | None) -> pd.DataFrame:
        return self._fetch("reliability", asof)

    def freshness(self, asof: int | None) -> pd.DataFrame:
        return self._fetch("freshness", asof)

    def whatif_current(self, asof: int | None) -> pd.DataFrame:
        return self._fetch("whatif_current", asof)

    def whatif_model(self, asof: int | None):
        return self._fetch("whatif_model", asof)

    def scenario(self, asof: int | None, partner: str, deltas: dict[str, float],
                 weights: dict[str, float]) -> scenarios.Scenario:
        """``query.scenario.scenario`` (what ``python -m pipelines whatif`` prints), on this
        source's fitted model and current scores, so a slider move refits nothing."""
        return scenarios.scenario(self._cursor, partner, deltas, weights, asof=asof, k=self.k,
                                  model=self.whatif_model(asof), current=self.whatif_current(asof),
                                  thresholds=self.thresholds, index_of=lambda pid, wave, at: self._fetch(
                                      "partner_index", asof, pid, wave, tuple(sorted(at.items()))))

    def participation(self, asof: int | None) -> pd.DataFrame:
        return self._fetch("participation", asof)

    def dyads(self, asof: int | None) -> pd.DataFrame:
        """Every wave's partner-to-partner cells with their margins ("All partners")."""
        return self._fetch("dyads", asof)

    def items(self, asof: int | None, partner: str, wave: str) -> pd.DataFrame:
        return self._fetch("items", asof, partner, wave)

    def comments(self, asof: int | None, partner: str, wave: str) -> pd.DataFrame:
        return self._fetch("comments", asof, partner, wave)

    def comments_shown(self, asof: int | None, partner_id: int, wave: str) -> bool:
        return self._fetch("comments_shown", asof, partner_id, wave)

    def counts_hidden(self, asof: int | None) -> dict[tuple[int, str], str | None]:
        return self._fetch("counts_hidden", asof)

    def action_board(self, asof: int | None, partner: str) -> pd.DataFrame:
        return self._fetch("action_board", asof, partner)

    def version_labels(self) -> dict[int, str]:
        return self._fetch("version_labels")

    def version_names(self) -> dict[str, int]:
        """Every spelling a link may name a version by -> its number (``versions.match``)."""
        return self._fetch("version_names")

    def describe(self, asof: int | None) -> str:
        return self._fetch("describe", asof)

    def in_words(self, asof: int | None) -> str:
        """The data ``asof`` shows as a director reads it ("data as loaded on ..., before ...")."""
        return self._fetch("in_words", asof)

    def is_demo(self, asof: int | None) -> bool:
        return self._fetch("is_demo", asof)

    def check_asof(self, asof: int | None) -> None:
        self._fetch("check_asof", asof)
