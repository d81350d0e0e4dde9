"""Property test: nothing the score layer returns lets anyone work out a hidden group.

Within one wave x factor the programme total is the sum of the partner groups, both in
n and in n x mean. For every shown group G and every subset of the other shown groups
we subtract, and fail if the result is exactly a hidden group: the same respondents
(an identity, so it holds for any answers) and therefore its exact n and n x mean, which
we also check numerically against an independent computation of the truth.

Differences of unrelated groups that happen to be numerically equal to a hidden group
(e.g. every respondent answered "1", so every sum is 0) are coincidences that tell the
reader nothing, so they are not counted as disclosures.
"""
from __future__ import annotations

import itertools
import math
import shutil
from collections import Counter
from collections.abc import Callable

import builders as b
import pandas as pd
import pytest
from conftest import store_built_once
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from pipelines.programme.factors import FACTORS
from pipelines.query import scores
from pipelines.store import Store

ITEMS = [(f, i) for f in FACTORS for i in (1, 2)]
REVERSED = {"shared_goals_2", "open_communication_2"}
WAVES = [("2024-Q1", "2024-01-01"), ("2024-Q2", "2024-04-01"), ("2024-Q3", "2024-07-01")]
PARTNER_IDS = list(range(1, 7))


def with_partners_and_instrument(store: Store) -> Store:
    """What every example loads its answers into (also the lake run's starting point)."""
    b.add_partners(store, [f"Partner {p}" for p in PARTNER_IDS])
    b.load(store, "instrument_items", b.instrument(reverse=REVERSED))
    return store


class Copies:
    """A store of its own for every example: ``fresh()`` closes the last one and opens a copy of a
    store built once (its partners and instrument, no answers). Releases compare every version of a
    store, so an example loaded into the store the last one used would be checked against the last
    one's releases too (``test_privacy_versions`` tests that); here each history starts empty."""

    def __init__(self, open_copy: Callable[[int], Store], drop: Callable[[int], None]):
        self._open_copy, self._drop = open_copy, drop
        self._numbers = itertools.count()
        self._open: tuple[int, Store] | None = None

    def fresh(self) -> Store:
        self.close()
        number = next(self._numbers)
        self._open = (number, self._open_copy(number))
        return self._open[1]

    def close(self) -> None:
        if self._open is not None:
            number, store = self._open
            store.close()
            self._drop(number)
            self._open = None


def file_copies(tmp_path_factory, name: str, build: Callable[[Store], object]) -> Copies:
    """``Copies`` of a DuckDB file built once by ``build`` (beside its own salt)."""
    template = store_built_once(tmp_path_factory, name, build)
    template.close()
    folder = template.path.parent

    def open_copy(number: int) -> Store:
        shutil.copyfile(template.path, folder / f"example-{number}.duckdb")
        return Store(folder / f"example-{number}.duckdb")

    def drop(number: int) -> None:
        for path in folder.glob(f"example-{number}.duckdb*"):
            path.unlink()
    return Copies(open_copy, drop)


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    copies = file_copies(tmp_path_factory, "privacy", with_partners_and_instrument)
    yield copies
    copies.close()


@st.composite
def programmes(draw):
    k = draw(st.sampled_from([3, 5]))
    n_partners = draw(st.integers(2, 6))
    n_waves = draw(st.integers(1, 3))
    respondents = []  # (partner_id, wave, wave_start, {item_id: value})
    for wave, start in WAVES[:n_waves]:
        for partner in PARTNER_IDS[:n_partners]:
            size = draw(st.integers(0, 12))
            for _ in range(size):
                values = draw(st.lists(st.integers(1, 5), min_size=len(ITEMS), max_size=len(ITEMS)))
                # most answer everything; some skip items (a mask over the ten items)
                mask = draw(st.one_of(st.just((1 << len(ITEMS)) - 1),
                                      st.integers(1, (1 << len(ITEMS)) - 1)))
                answers = {f"{f}_{i}": v for (bit, ((f, i), v)) in enumerate(zip(ITEMS, values))
                           if mask >> bit & 1}
                respondents.append((partner, wave, start, answers))
    return k, respondents


def _truth(respondents) -> dict:
    """(wave, factor) -> {partner_id: (n, sum of respondent factor scores)} computed in Python."""
    out: dict = {}
    for partner, wave, _start, answers in respondents:
        per_factor: dict = {}
        for item, value in answers.items():
            factor = item.rsplit("_", 1)[0]
            x = (value - 1) * 100.0 / 4
            per_factor.setdefault(factor, []).append(100 - x if item in REVERSED else x)
        for factor, xs in per_factor.items():
            n, s = out.setdefault((wave, factor), {}).get(partner, (0, 0.0))
            out[(wave, factor)][partner] = (n + 1, s + sum(xs) / len(xs))
    return out


def _close(a: float, b_: float) -> bool:
    return math.isclose(a, b_, rel_tol=1e-9, abs_tol=1e-6)


def _load(stores: Copies, respondents) -> Store:
    """A fresh store with these answers loaded as one survey file."""
    store = stores.fresh()
    rows = []
    for j, (partner, wave, start, answers) in enumerate(respondents):
        rows += b.responses(partner, wave, start, [answers], prefix=f"r{j}")
    if rows:
        b.load(store, "survey_responses", rows)
    return store


def check_no_disclosure(frame: pd.DataFrame, truth: dict, k: int) -> None:
    for (wave, factor), parts in truth.items():
        cell = frame[(frame["wave"] == wave) & (frame["factor"] == factor)]
        total_n = sum(n for n, _ in parts.values())
        total_s = sum(s for _, s in parts.values())
        groups = {}  # name -> (membership Counter, true n, true sum, row)
        for _, row in cell.iterrows():
            if pd.isna(row["partner_id"]):
                name, members, (n, s) = "total", Counter(parts.keys()), (total_n, total_s)
            else:
                p = int(row["partner_id"])
                name, members, (n, s) = p, Counter([p]), parts[p]
            groups[name] = (members, n, s, row)
        assert set(groups) == set(parts) | {"total"}, "every group present, shown or hidden"

        shown, hidden = {}, {}
        for name, (members, n, s, row) in groups.items():
            if n < k:
                assert row["suppressed"], f"group of {n} < k={k} shown"
            if row["suppressed"]:
                # a hidden row says nothing about the group
                assert pd.isna(row["n"]) and pd.isna(row["score"]) and row["band"] is None
                assert pd.isna(row["ci_low"]) and pd.isna(row["ci_high"])
                assert row["suppression_reason"] in (scores.Suppression.SMALL_GROUP, scores.Suppression.COMPLEMENT)
                hidden[name] = (members, n, s)
            else:
                # what is shown is right (so the subtractions below use the published numbers)
                assert int(row["n"]) == n and _close(row["score"] * n, s)
                shown[name] = (members, int(row["n"]), float(row["score"]) * int(row["n"]))

        for g_name, (g_members, g_n, g_s) in shown.items():
            others = [x for x in shown if x != g_name]
            for size in range(len(others) + 1):
                for subset in itertools.combinations(others, size):
                    members = Counter(g_members)
                    n, s = g_n, g_s
                    for o in subset:
                        members.subtract(shown[o][0])
                        n -= shown[o][1]
                        s -= shown[o][2]
                    members = +members if all(v >= 0 for v in members.values()) else None
                    for h_name, (h_members, h_n, h_s) in hidden.items():
                        if members == h_members and n == h_n and _close(s, h_s):
                            pytest.fail(f"{wave}/{factor}: {g_name} minus {subset} gives hidden "
                                        f"group {h_name} exactly (n={h_n}, sum={h_s:.3f})")


def check_index(index: pd.DataFrame, frame: pd.DataFrame) -> None:
    factors = frame.assign(_key=frame["partner_id"].fillna(-1))
    hidden_any = factors.groupby(["_key", "wave"])["suppressed"].any()
    min_n = factors.groupby(["_key", "wave"])["n"].min()
    for _, row in index.iterrows():
        key = (-1 if pd.isna(row["partner_id"]) else row["partner_id"], row["wave"])
        assert bool(row["suppressed"]) == bool(hidden_any[key])
        if row["suppressed"]:
            assert pd.isna(row["n"]) and pd.isna(row["score"])
        else:
            assert int(row["n"]) == int(min_n[key])


def one_store_settings(examples: int):
    """Hypothesis settings for a property test whose examples share a module fixture (``Copies``)."""
    return hsettings(max_examples=examples, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                            HealthCheck.data_too_large])


@one_store_settings(300)
@given(programmes())
def test_no_hidden_group_can_be_derived_by_subtraction(stores, programme):
    k, respondents = programme
    cursor = _load(stores, respondents).cursor()
    frame = scores.factor_scores(cursor, k=k)
    truth = _truth(respondents)
    assert len(frame) == sum(len(parts) + 1 for parts in truth.values())
    check_no_disclosure(frame, truth, k)
    check_index(scores.index_scores(cursor, k=k), frame)
    export = scores.scores_export(cursor, k=k)
    assert export.loc[export["suppressed"], ["score", "respondents"]].isna().all().all()


@pytest.mark.parametrize("k", [3, 5])
def test_k_minus_one_hidden_and_k_shown(stores, k):
    # one partner per wave: the programme total is that partner, so both follow n alone
    respondents = [(1, "2024-Q1", "2024-01-01", b.all_items(4)) for _ in range(k - 1)]
    respondents += [(1, "2024-Q2", "2024-04-01", b.all_items(4)) for _ in range(k)]
    frame = scores.factor_scores(_load(stores, respondents).cursor(), k=k)
    q1, q2 = frame[frame["wave"] == "2024-Q1"], frame[frame["wave"] == "2024-Q2"]
    assert q1["suppressed"].all() and (q1["suppression_reason"] == scores.Suppression.SMALL_GROUP).all()
    assert q1["n"].isna().all() and q1["score"].isna().all()
    assert not q2["suppressed"].any() and (q2["n"] == k).all()


@pytest.mark.parametrize("key", [b"k" * 64, bytes(range(32)), b"x" * 100, b""])
def test_pseudonyms_are_hmac_sha256_of_the_id(key):
    import hashlib
    import hmac

    from pipelines.ingest import privacy
    ids = pd.Series(["id:R_1a2B", "row:Acme|2025-01-02|4|5", "id:é", "id:R_1a2B"])
    expected = [int.from_bytes(hmac.new(key, i.encode(), hashlib.sha256).digest()[:8], "big") for i in ids]
    assert privacy.pseudonymise(ids, key).tolist() == expected
