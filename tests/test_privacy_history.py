"""Property test: random histories of loads, late batches, undos and re-loads, every pair of versions.

After each random history the test opens every version (as a pinned link or ``--asof`` would)
and checks, independently of how the product decides:

1. the issue's rule: a group (partner or programme x wave x factor, and the index rows) shown
   in two versions either shows the same value or counts that differ by 0 or at least k;
2. what is shown is what the releases say: each shown value is the mean of the respondent set
   the release holds (recomputed here from the rows the test loaded), and the programme is the
   exact sum of the partner sets of its release;
3. no attacker combining two versions (each programme plus or minus any of the partners shown
   beside it, either version's partners with any sign) isolates one partner's hidden set, or a
   set of one partner of fewer than k people, or a change of one partner of fewer than k.
"""
from __future__ import annotations

from collections import Counter, defaultdict

import builders as b
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_privacy import file_copies, one_store_settings

from pipelines.programme.factors import FACTORS
from pipelines.query import items, releases, scores
from pipelines.store import Store

WAVES = {"2025-Q1": "2025-01-01", "2025-Q2": "2025-04-01"}
PARTNERS = [1, 2, 3, 4]
ITEMS = [f"{f}_{i}" for f in FACTORS for i in (1, 2)]


def answers(draw, count: int) -> list[dict]:
    out = []
    for _ in range(count):
        values = draw(st.lists(st.integers(1, 5), min_size=len(ITEMS), max_size=len(ITEMS)))
        skip = draw(st.sampled_from([None, None, None, *FACTORS]))  # a few skip a factor
        alone = draw(st.sampled_from([None, None, *ITEMS]))  # or one question
        out.append({item: v for item, v in zip(ITEMS, values)
                    if (skip is None or not item.startswith(skip)) and item != alone})
    return out


@st.composite
def histories(draw):
    k = draw(st.sampled_from([3, 5]))
    steps, people = [], 0
    for _ in range(draw(st.integers(2, 7))):
        kind = draw(st.sampled_from(["wave", "late", "late", "undo", "undo", "reanswer"]))
        if kind in ("wave", "late"):
            wave = draw(st.sampled_from(sorted(WAVES)))
            sizes = ({p: draw(st.integers(0, 8)) for p in PARTNERS} if kind == "wave"
                     else {draw(st.sampled_from(PARTNERS)): draw(st.integers(1, k))})
            rows = []
            for partner, size in sizes.items():
                rows += b.responses(partner, wave, WAVES[wave], answers(draw, size), prefix=f"p{people}")
                people += 1
            steps.append(("load", rows))
        elif kind == "undo":
            steps.append(("undo", draw(st.integers(0, 20))))
        else:  # some respondents of an earlier load answer again (a corrected re-export)
            steps.append(("reanswer", draw(st.integers(0, 20)), draw(st.integers(1, 6)),
                          draw(st.integers(1, 5))))
    return k, steps


# -- the truth, from the rows the test loaded -------------------------------------------------
class History:
    def __init__(self):
        self.batches: dict[int, list[dict]] = {}
        self.undone: dict[int, int] = {}  # batch -> version of its undo
        self._sets: dict[int, dict] = {}

    def visible(self, version: int) -> list[dict]:
        latest: dict[tuple, tuple[int, dict]] = {}
        for batch, rows in self.batches.items():
            if batch > version or self.undone.get(batch, version + 1) <= version:
                continue
            for row in rows:
                key = (row["respondent"], row["wave"], row["item_id"])
                if key not in latest or latest[key][0] < batch:
                    latest[key] = (batch, row)
        return [row for _, row in latest.values()]

    def sets(self, version: int) -> dict:
        """(wave, partner, factor) -> Counter of (respondent, score) at ``version``."""
        if version not in self._sets:
            self._sets[version] = self._count(version)
        return self._sets[version]

    def item_sets(self, version: int) -> dict:
        """(wave, partner, item) -> Counter of (respondent, answer) at ``version``."""
        out: dict = defaultdict(Counter)
        for row in self.visible(version):
            out[(row["wave"], row["partner_id"], row["item_id"])][(row["respondent"], row["value"])] += 1
        return out

    def _count(self, version: int) -> dict:
        per: dict = defaultdict(list)
        for row in self.visible(version):
            factor = row["item_id"].rsplit("_", 1)[0]
            per[(row["wave"], row["partner_id"], factor, row["respondent"])].append((row["value"] - 1) * 25)
        out: dict = defaultdict(Counter)
        for (wave, partner, factor, key), xs in per.items():
            out[(wave, partner, factor)][(key, round(sum(xs) / len(xs), 9))] += 1
        return out


def play(store, steps) -> tuple[History, list[int]]:
    history, versions = History(), []
    for step in steps:
        live = [batch for batch in history.batches if batch not in history.undone]
        if step[0] == "load":
            if not step[1]:
                continue
            batch = b.load(store, "survey_responses", step[1])
            history.batches[batch] = step[1]
            versions.append(batch)
        elif step[0] == "undo" and live:
            batch = live[step[1] % len(live)]
            version = b.undo(store, batch)
            history.undone[batch] = version
            versions.append(version)
        elif step[0] == "reanswer" and live:
            source = history.batches[live[step[1] % len(live)]]
            keys = list(dict.fromkeys(r["respondent"] for r in source))[:step[2]]
            rows = [dict(r, value=float((int(r["value"]) + step[3] - 1) % 5 + 1))
                    for r in source if r["respondent"] in keys]
            if any(rows == history.batches[x] for x in live):
                continue  # the very same file again: the product loads nothing, makes no version
            batch = b.load(store, "survey_responses", rows)
            history.batches[batch] = rows
            versions.append(batch)
    return history, versions


# -- the checks ----------------------------------------------------------------------------------
def published(store, version: int, k: int) -> pd.DataFrame:
    cursor = store.cursor()
    factors = scores.factor_scores(cursor, asof=version, k=k)
    index = scores.index_scores(cursor, asof=version, k=k).assign(factor=scores.INDEX)
    return pd.concat([factors, index], ignore_index=True)


def check_same_or_k_apart(frames: dict, k: int) -> None:
    values = {v: {(r.partner, r.wave, r.factor): (int(r.n), round(float(r.score), 6))
                  for r in f[~f["suppressed"]].itertuples()} for v, f in frames.items()}
    items = list(values.items())
    for i, (v1, a) in enumerate(items):
        for v2, c in items[i + 1:]:
            for group in set(a) & set(c):
                if a[group] != c[group]:
                    gap = abs(a[group][0] - c[group][0])
                    assert gap == 0 or gap >= k, (v1, v2, group, a[group], c[group])


def released_sets(store, history: History, version: int, k: int) -> dict:
    """wave -> {partner: {factor: Counter}} the release in force at ``version`` holds."""
    cursor = store.cursor()
    plan = releases.plan(cursor, scores._SURVEY, scores._rules(cursor, k, scores._weights(None)))
    out = {}
    for wave, entry in plan.at(version).items():
        if entry.release is None:
            continue
        out[wave] = {p: {f: history.sets(state.made_at)[(wave, p, f)] for f in FACTORS}
                     for p, state in entry.release.partners.items()}
    return out


def released_item_sets(store, history: History, version: int, k: int) -> dict:
    """wave -> {partner: {item: Counter}} the release in force at ``version`` holds."""
    cursor = store.cursor()
    plan = releases.plan(cursor, scores._SURVEY, scores._rules(cursor, k, scores._weights(None)))
    return {wave: {p: {i: history.item_sets(state.made_at)[(wave, p, i)] for i in ITEMS}
                   for p, state in entry.release.partners.items()}
            for wave, entry in plan.at(version).items() if entry.release is not None}


def published_items(store, version: int, k: int) -> pd.DataFrame:
    """The per-question table of every wave the version has, as the factor frames are read here:
    the question in ``factor``, its favourable share in ``score``."""
    cursor = store.cursor()
    frames = [items.items(cursor, wave=w, asof=version, k=k) for w in scores.waves(cursor, version)["wave"]]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=items.COLUMNS)
    return frame.drop(columns="factor").rename(columns={"item_id": "factor", "favourable": "score"})


def check_shown_values_are_the_released_sets(frame: pd.DataFrame, sets: dict) -> None:
    for row in frame[(~frame["suppressed"]) & (frame["factor"] != scores.INDEX)].itertuples():
        partners = sets[row.wave]
        chosen = partners.values() if pd.isna(row.partner_id) else [partners[int(row.partner_id)]]
        members = sum((p[row.factor] for p in chosen), Counter())
        assert int(row.n) == sum(members.values())
        assert row.score == pytest.approx(sum(x for (_, x), c in members.items()) / int(row.n), abs=1e-6)


def _vector(a: int, first: Counter, c: int, second: Counter) -> frozenset:
    total = Counter()
    for token in first:
        total[token] += a
    for token in second:
        total[token] += c
    return frozenset((t, v) for t, v in total.items() if v)


def _leak(vector: frozenset, hidden_sets: list[Counter], k: int) -> bool:
    plus = {t for t, v in vector if v > 0}
    minus = {t for t, v in vector if v < 0}
    if plus and minus:  # a change of one group: each side, and their difference, 0 or at least k
        return any(0 < d < k for d in (len(plus), len(minus), abs(len(plus) - len(minus))))
    side = plus or minus
    if any(abs(v) != 1 for _, v in vector):
        return any(set(h) == side for h in hidden_sets)
    return len(side) < k or any(set(h) == side for h in hidden_sets)


def check_no_isolation(frames: dict, sets: dict, k: int) -> None:
    """Every pair of versions (and each version with itself), every wave x factor cell."""
    versions = list(frames)
    for i, v1 in enumerate(versions):
        for v2 in versions[i:]:
            for wave in set(sets[v1]) | set(sets[v2]):
                for factor in FACTORS:
                    sides = [_side(frames[v], sets[v].get(wave, {}), wave, factor) for v in (v1, v2)]
                    _attack(*sides, k, (v1, v2, wave, factor))


def _side(frame, partners: dict, wave: str, factor: str) -> dict:
    cell = frame[(frame["wave"] == wave) & (frame["factor"] == factor)]
    hidden = {int(r.partner_id): bool(r.suppressed) for r in cell.itertuples() if not pd.isna(r.partner_id)}
    programme = cell[cell["partner_id"].isna()]
    return {"sets": {p: s[factor] for p, s in partners.items() if s[factor]},
            "hidden": hidden,
            "programme": bool(len(programme)) and not bool(programme["suppressed"].iloc[0])}


def _attack(one: dict, two: dict, k: int, where) -> None:
    partners = set(one["sets"]) | set(two["sets"])
    free = (-1, 0, 1)
    for c1 in (free if one["programme"] else (0,)):
        for c2 in (free if two["programme"] else (0,)):
            reach = {}
            for p in partners:
                first, second = one["sets"].get(p, Counter()), two["sets"].get(p, Counter())
                a_opts = free if not first or not one["hidden"].get(p) else (c1,)
                b_opts = free if not second or not two["hidden"].get(p) else (c2,)
                reach[p] = {_vector(a, first, c, second) for a in a_opts for c in b_opts}
            for q in partners:
                if not all(frozenset() in reach[p] for p in partners if p != q):
                    continue
                hidden_sets = [s["sets"][q] for s in (one, two) if q in s["sets"] and s["hidden"].get(q)]
                for vector in reach[q]:
                    assert not (vector and _leak(vector, hidden_sets, k)), (where, q, c1, c2, sorted(vector))


def check_no_question_isolated(frames: dict, sets: dict, k: int) -> None:
    versions = list(frames)
    for i, v1 in enumerate(versions):
        for v2 in versions[i:]:
            for wave in set(sets[v1]) | set(sets[v2]):
                for item in ITEMS:
                    sides = [_side(frames[v], sets[v].get(wave, {}), wave, item) for v in (v1, v2)]
                    _attack(*sides, k, (v1, v2, wave, item))


def with_partners_and_instrument(store: Store) -> None:
    b.add_partners(store, [f"Partner {p}" for p in PARTNERS])
    b.load(store, "instrument_items", b.instrument())


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    copies = file_copies(tmp_path_factory, "history", with_partners_and_instrument)
    yield copies
    copies.close()


@one_store_settings(120)
@given(histories())
def test_no_two_versions_give_a_group_away(stores, history_steps):
    k, steps = history_steps
    store = stores.fresh()  # a history of its own on the same partners and instrument
    history, versions = play(store, steps)
    if not versions:
        return
    frames = {v: published(store, v, k) for v in versions}
    check_same_or_k_apart(frames, k)
    sets = {v: released_sets(store, history, v, k) for v in versions}
    for v in versions:
        check_shown_values_are_the_released_sets(frames[v], sets[v])
    check_no_isolation(frames, sets, k)


@one_store_settings(60)
@given(histories())
def test_no_two_versions_give_a_question_away(stores, history_steps):
    """The same attacks on the per-question table: its groups are each question's answers."""
    k, steps = history_steps
    store = stores.fresh()
    history, versions = play(store, steps)
    if not versions:
        return
    frames = {v: published_items(store, v, k) for v in versions}
    check_same_or_k_apart(frames, k)
    check_no_question_isolated(frames, {v: released_item_sets(store, history, v, k) for v in versions}, k)
