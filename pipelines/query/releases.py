"""Releases: what every data version shows of each survey wave, so that no two versions a person
can reach (the latest data, a pinned link, ``--asof``, before and after an undo or a re-load)
together give away a group or a late respondent.

The rule
--------
A group's *set* is its respondents, each with their answers (a respondent whose answers changed
counts as one leaving and one arriving). A partner x wave's *state* is its five factor sets at
a version, and its sets of the finer groups other views show of the same people (``Detail``: each
question's answers, each rated partner's ratings, all its ratings), each checked like a factor.

What a version shows of a wave is a *release*: a state per partner, made at some
version, and the suppression decided for it (``pattern``). The shown value of a group at version
V comes from the release in force at V, the latest made at or before V. Releases are decided in
the order of the store's history, so a pinned version always shows the same thing.

When a load or an undo changes a wave, a new release is made only if, against EVERY earlier
release of that wave (``_Pair``):

* every group shown in both (partner, programme; factors and the index) has the same set, or
  sets whose one-sided differences (old minus new, new minus old) and whose counts each differ
  by 0 or at least k;
* no partner's hidden set, and no small change of one partner, can be isolated by combining
  the two releases: the programme minus the partners shown beside it, in either release, minus
  or plus the other release's groups (a hidden group later shown with the same set, or a shown
  group later hidden, would otherwise leave one hidden group's set as the difference);
* the programme is the exact sum of the partner states the release holds.

A partner whose change fails is kept at an earlier state (the nearest earlier release of it,
else the one in force); if nothing passes, the release in force stays. Until a change passes,
the earlier value stays and a note says how many responses are not shown yet (``note``).
A wave whose data is all undone is released empty (nothing of it is shown).

Known limits: checks are between two releases at a time. Combinations of three or more
releases (e.g. two hidden groups each isolated to a sum of two, then one of the sums shown)
are not searched; neither are groups mixing partners (the within-version rule lets the sum of
two or more hidden partners be worked out). Changing ``anonymity_k``, ``lead_partner`` or the
index weights decides every release again.
"""
from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field, replace
from enum import IntEnum, StrEnum
from typing import Protocol

import numpy as np

from pipelines.programme.factors import FACTORS
from pipelines.store import versions

PROGRAMME = -1  # the programme's key among a release's partners
SURVEY_DATASETS = ("survey", "instrument")


class Hidden(IntEnum):
    """Why a group of a release is not shown (0: it is shown)."""
    SHOWN = 0
    SMALL = 1       # fewer than k respondents
    COMPLEMENT = 2  # hidden so a smaller group cannot be worked out by subtraction
    NO_TOTAL = 3    # the programme of a detail no view adds up (a partner's raters)


class Detail(StrEnum):
    """The sets beside the five factors that views show of the same respondents, each checked
    like a factor: a question's answers (the item view), the ratings of one partner (a dyad
    cell; its programme is the dyad column) and a partner's raters (a dyad row: no programme)."""
    QUESTION = "question"
    RATED = "rated"
    RATER = "rater"

    @property
    def prefix(self) -> str:
        """A dimension's name starts with this; the question's item id or the rated partner follows."""
        return f"{self.value}:"

    @staticmethod
    def totalled(dimension: str) -> bool:
        return not dimension.startswith(Detail.RATER.prefix)

    @staticmethod
    def factor_of(dimension: str) -> int | None:
        """A question's factor (its number among FACTORS, from 0), else None: 'question:<1-5>:<item>'."""
        if not dimension.startswith(Detail.QUESTION.prefix):
            return None
        number = int(dimension[len(Detail.QUESTION.prefix):].split(":", 1)[0])
        return number - 1 if number else None

    @staticmethod
    def id_of(dimension: str) -> str:
        """The item id or the rated partner's id of a dimension ('' for a partner's raters)."""
        rest = dimension.split(":", 1)[1]
        return rest.split(":", 1)[1] if dimension.startswith(Detail.QUESTION.prefix) else rest


Dimension = int | str  # a factor's number, or a detail's name (``Detail``)
_EMPTY = np.empty(0, np.uint64)
_NO_DIGEST = (0, 0, 0, 0)


class Pending(StrEnum):
    """What kind of change a release does not show yet."""
    LATE = "late"
    WITHDRAWN = "withdrawn"
    CHANGED = "changed"


def note(added: int, removed: int, changed: int) -> str | None:
    """The note beside a value that keeps an earlier release: how many responses it does not show,
    each kind by name ("2 late and 1 changed responses are not shown yet; 1 withdrawn response is
    still counted")."""
    def responses(n: int) -> str:
        return "response is" if n == 1 else "responses are"

    clauses = []
    waiting = [(n, kind) for n, kind in ((added, Pending.LATE), (changed, Pending.CHANGED)) if n]
    if waiting:
        named = " and ".join(f"{n} {kind}" for n, kind in waiting)
        clauses.append(f"{named} {responses(sum(n for n, _ in waiting))} not shown yet")
    if removed:
        clauses.append(f"{removed} {Pending.WITHDRAWN} {responses(removed)} still counted")
    return "; ".join(clauses) or None


# -- states ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class State:
    """A partner x wave at one version: per factor, its respondents' keys and answer tokens (sorted
    by token), and the same per detail (name -> keys, tokens, digest). Two equal states of one
    partner x wave are the same object (``Plan._known``)."""
    made_at: int
    keys: tuple[np.ndarray, ...]
    tokens: tuple[np.ndarray, ...]
    digest: tuple[tuple[int, ...], ...]  # per factor: equal digests, equal sets
    detail: dict[str, tuple[np.ndarray, np.ndarray, tuple[int, ...]]] = field(default_factory=dict)

    @property
    def n(self) -> np.ndarray:
        return np.array([len(t) for t in self.tokens], dtype=np.int64)

    @property
    def identity(self) -> tuple:
        return self.digest, tuple(sorted((d, v[2]) for d, v in self.detail.items()))

    def keyed(self, dimension: Dimension) -> tuple[np.ndarray, np.ndarray]:
        """(keys, tokens) of a factor or detail (empty when it has none)."""
        if isinstance(dimension, int):
            return self.keys[dimension], self.tokens[dimension]
        keys, tokens, _ = self.detail.get(dimension, (_EMPTY, _EMPTY, None))
        return keys, tokens

    def tokens_of(self, dimension: Dimension) -> np.ndarray:
        return self.keyed(dimension)[1]

    def digest_of(self, dimension: Dimension) -> tuple[int, ...]:
        if isinstance(dimension, int):
            return self.digest[dimension]
        found = self.detail.get(dimension)
        return _NO_DIGEST if found is None else found[2]

    def sets(self):
        """(keys, tokens) of every factor and detail."""
        yield from zip(self.keys, self.tokens)
        yield from ((keys, tokens) for keys, tokens, _ in self.detail.values())

    def respondents(self, factors: range | list[int] | None = None) -> np.ndarray:
        """The respondents of the ``factors`` (default: of anything, details included)."""
        chosen = [k for k, _ in self.sets()] if factors is None else [self.keys[f] for f in factors]
        return np.unique(np.concatenate(chosen or [_EMPTY]))


def _states(made_at: int, group: np.ndarray, keys: np.ndarray, tokens: np.ndarray,
            answered: np.ndarray) -> list[State]:
    """One state per group: ``group`` numbers the rows' partner x wave (0, 1, ... in row order),
    ``keys`` the respondents, ``tokens``/``answered`` (rows x factors) their answer tokens. Sorted
    and split per factor in one pass over all groups (a sort per group would cost a call each)."""
    groups = int(group[-1]) + 1 if len(group) else 0
    per_keys, per_tokens, digests = [], [], []
    for f in range(len(FACTORS)):
        rows = np.flatnonzero(answered[:, f])
        order = rows[np.lexsort((tokens[rows, f], group[rows]))]
        sizes = np.bincount(group[order], minlength=groups)
        ends = np.cumsum(sizes)
        starts = ends - sizes
        t, k = tokens[order, f], keys[order]
        bounds = list(zip(starts.tolist(), ends.tolist()))
        per_tokens.append([t[a:b] for a, b in bounds])
        per_keys.append([k[a:b] for a, b in bounds])
        digests.append(_run_digests(t, starts, sizes))
    return [State(made_at, tuple(per_keys[f][g] for f in range(len(FACTORS))),
                  tuple(per_tokens[f][g] for f in range(len(FACTORS))),
                  tuple(digests[f][g] for f in range(len(FACTORS))))
            for g in range(groups)]


def _run_digests(tokens: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> list[tuple[int, ...]]:
    """The digest (``_digest``) of each run ``tokens[start:start + size]`` at once, empty runs too: a
    call per run would cost ~10 us each."""
    at = np.minimum(starts, max(len(tokens) - 1, 0))
    sums = [np.where(sizes > 0, np.add.reduceat(x, at) if len(tokens) else 0, 0) for x in _mixes(tokens)]
    return list(zip(sizes.tolist(), *(x.tolist() for x in sums)))


def _mixes(tokens: np.ndarray) -> tuple[np.ndarray, ...]:
    """A set's digest is its size and the wrapping sums of these (its tokens are hashes already)."""
    return tokens, tokens * np.uint64(0x9E3779B97F4A7C15), tokens ^ (tokens >> np.uint64(29))


def _digest(tokens: np.ndarray) -> tuple[int, ...]:
    return (len(tokens), *(int(np.add.reduce(x, dtype=np.uint64)) for x in _mixes(tokens)))


def _replace(old_keys, old_tokens, touched, new_keys, new_tokens) -> tuple[np.ndarray, np.ndarray]:
    keep = ~np.isin(old_keys, touched)
    t = np.concatenate([old_tokens[keep], new_tokens])
    k = np.concatenate([old_keys[keep], new_keys])
    order = np.argsort(t, kind="stable")
    return k[order], t[order]


def _merge(old: State, touched: np.ndarray, fresh: State | None, made_at: int) -> State:
    """``old`` with the respondents ``touched`` replaced by those of ``fresh``."""
    keys, tokens, digest = [], [], []
    for f in range(len(FACTORS)):
        k, t = _replace(old.keys[f], old.tokens[f], touched, fresh.keys[f] if fresh else _EMPTY,
                        fresh.tokens[f] if fresh else _EMPTY)
        keys.append(k)
        tokens.append(t)
        digest.append(_digest(t))
    new = fresh.detail if fresh else {}
    detail = {}
    for d in sorted(set(old.detail) | set(new)):
        before, after = old.detail.get(d, (_EMPTY, _EMPTY, None)), new.get(d, (_EMPTY, _EMPTY, None))
        k, t = _replace(before[0], before[1], touched, after[0], after[1])
        if len(t):
            detail[d] = (k, t, _digest(t))
    return State(made_at, tuple(keys), tuple(tokens), tuple(digest), detail)


def _one_sided(old: np.ndarray, new: np.ndarray) -> tuple[int, int]:
    """(|old - new|, |new - old|) of two sorted, duplicate-free arrays."""
    common = np.intersect1d(old, new, assume_unique=True).size
    return old.size - common, new.size - common


def _safe(sizes: tuple[int, int], k: int) -> bool:
    """Two versions of a group may both be shown: each one-sided difference and the difference of
    the counts is 0 or at least k."""
    gone, came = sizes
    return all(d == 0 or d >= k for d in (gone, came, abs(came - gone)))


# -- releases ----------------------------------------------------------------------------------------
@dataclass(eq=False)
class Release:
    """What a version shows of one wave: a state per partner and the suppression decided for them
    (``hidden``: partner id or PROGRAMME -> a Hidden code per factor; ``detail_hidden``: detail ->
    partner id or PROGRAMME -> a Hidden code, where not shown)."""
    made_at: int
    partners: dict[int, State]
    hidden: dict[int, np.ndarray]
    detail_hidden: dict[str, dict[int, int]] = field(default_factory=dict)

    def code(self, partner: int, dimension: Dimension) -> int:
        if isinstance(dimension, int):
            return int(self.hidden[partner][dimension]) if partner in self.hidden else Hidden.SHOWN
        if partner == PROGRAMME and not Detail.totalled(dimension):
            return Hidden.NO_TOTAL
        return self.detail_hidden.get(dimension, {}).get(partner, Hidden.SHOWN)

    def withheld(self, partner: int) -> bool:
        """Whether a factor of the partner is hidden: its respondents are not counted anywhere."""
        return partner in self.hidden and bool(self.hidden[partner].any())

    def outside(self, partner: int, dimension: Dimension) -> bool:
        """Whether the programme of ``dimension`` leaves the partner out: a dyad column adds up only
        the raters whose respondents the scores show (every factor shown; ``dyads``)."""
        return isinstance(dimension, str) and dimension.startswith(Detail.RATED.prefix) and self.withheld(partner)


@dataclass(frozen=True)
class Entry:
    """From ``version`` on (until the wave's next entry): the release in force (None: nothing of the
    wave is shown) and, per partner whose data differs from it, (added, removed, changed) responses."""
    version: int
    release: Release | None
    pending: dict[int, tuple[int, int, int]]


@dataclass(frozen=True)
class Rules:
    k: int
    lead: int | None  # the lead partner's id: hidden to protect another only when nothing else is
    weighted: tuple[int, ...]  # the factors (numbers) with a positive index weight


def pattern(partners: dict[int, State], rules: Rules, before: Release | None = None) -> dict[int, np.ndarray]:
    """Suppression within one release, per factor (``_hide``)."""
    ids = sorted(partners)
    n = np.array([partners[p].n for p in ids], dtype=np.int64).reshape(len(ids), len(FACTORS))
    dimensions = list(range(len(FACTORS)))
    hidden, programme = _hide(ids, n, dimensions, rules, before)
    out = {p: hidden[i] for i, p in enumerate(ids)}
    out[PROGRAMME] = programme
    return out


def detail_pattern(release: Release, rules: Rules, before: Release | None = None) -> dict[str, dict[int, int]]:
    """Suppression within one release, per detail (``_hide``; ``release`` has its factors' decided),
    as the views beside the scores show it: each detail's codes other than Hidden.SHOWN, by partner
    (PROGRAMME for its total)."""
    partners = release.partners
    ids = sorted(partners)
    dimensions = sorted(set().union(*(s.detail for s in partners.values())))
    n = np.array([[len(partners[p].detail[d][1]) if d in partners[p].detail else 0 for d in dimensions]
                  for p in ids], dtype=np.int64).reshape(len(ids), len(dimensions))
    outside = np.outer([release.withheld(p) for p in ids],
                       [d.startswith(Detail.RATED.prefix) for d in dimensions]).reshape(n.shape)
    # a question of a factor the release hides for a partner is hidden too (its answers would
    # approach the factor's score), and protected as such
    factor = [Detail.factor_of(d) for d in dimensions]
    forced = np.array([[f is not None and bool(release.hidden[p][f]) for f in factor] for p in ids],
                      dtype=bool).reshape(n.shape) & (n > 0)
    hidden, programme = _hide(ids, n, dimensions, rules, before, outside, forced)
    for j, f in enumerate(factor):
        if f is not None and not programme[j] and release.hidden[PROGRAMME][f]:
            programme[j] = Hidden.COMPLEMENT
    out: dict[str, dict[int, int]] = {}
    for j, d in enumerate(dimensions):
        codes = {p: int(hidden[i, j]) for i, p in enumerate(ids) if hidden[i, j]}
        if programme[j] and Detail.totalled(d):
            codes[PROGRAMME] = int(programme[j])
        if codes:
            out[d] = codes
    return out


def _hide(ids: list[int], n: np.ndarray, dimensions: list[Dimension], rules: Rules,
          before: Release | None, outside: np.ndarray | None = None,
          forced: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per dimension (column of ``n``, partners x dimensions): a group under k is hidden; when that
    leaves exactly one hidden partner and the programme shown, a second group is hidden so the first
    cannot be worked out by subtraction: the partner hidden for it in the release ``before`` if it
    is still shown (had another been hidden now, the two releases together would give the small
    group away), else the smallest other shown partner (ties: lowest id); never the lead partner
    while another partner is shown; the programme when no other partner is. A detail no view adds
    up (``Detail.totalled``) needs no second group, nor does a group its total leaves out (``outside``).
    ``forced``: groups hidden for another reason (Hidden.COMPLEMENT), protected as a small one is."""
    inside = np.ones(n.shape, bool) if outside is None else ~outside
    total = (n * inside).sum(axis=0)
    k = rules.k
    hidden = np.where((n > 0) & (n < k), Hidden.SMALL, Hidden.SHOWN).astype(np.int8)
    if forced is not None:
        hidden[forced & (hidden == Hidden.SHOWN)] = Hidden.COMPLEMENT
    programme = np.where((total > 0) & (total < k), Hidden.SMALL, Hidden.SHOWN).astype(np.int8)
    for j, d in enumerate(dimensions):
        if ((hidden[:, j] != Hidden.SHOWN) & inside[:, j]).sum() != 1 or programme[j]:
            continue
        if isinstance(d, str) and not Detail.totalled(d):
            continue
        kept = {p for p in ids if before is not None and before.code(p, d) == Hidden.COMPLEMENT}
        shown = [(p == rules.lead, p not in kept, n[i, j], p, i) for i, p in enumerate(ids)
                 if n[i, j] >= k and inside[i, j] and not hidden[i, j]]
        others = [c for c in shown if not c[0]]
        if others:
            hidden[min(others)[-1], j] = Hidden.COMPLEMENT
        else:
            programme[j] = Hidden.COMPLEMENT
    return hidden, programme


class _Pair:
    """One earlier release against a candidate: which changed partners make showing both unsafe."""

    def __init__(self, old: Release, new: Release, changed: set[int], rules: Rules):
        self.old, self.new, self.changed, self.rules = old, new, changed, rules
        self.partners = sorted(set(old.partners) | set(new.partners))

    def _sets(self, p: int, f: Dimension) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.old.partners.get(p), self.new.partners.get(p)
        return (a.tokens_of(f) if a else _EMPTY), (b.tokens_of(f) if b else _EMPTY)

    def _same(self, p: int, f: Dimension) -> bool:
        a, b = self.old.partners.get(p), self.new.partners.get(p)
        return a is b or (a.digest_of(f) if a else _NO_DIGEST) == (b.digest_of(f) if b else _NO_DIGEST)

    def _code(self, release: Release, p: int, f: Dimension) -> int:
        return release.code(p, f)

    def _unchanged(self, f: Dimension) -> bool:
        """Both releases show the same of this dimension: together they tell nothing either does not."""
        return all(self._same(p, f) and self._code(self.old, p, f) == self._code(self.new, p, f)
                   and self.old.outside(p, f) == self.new.outside(p, f) for p in [*self.partners, PROGRAMME])

    def _in_total(self, p: int, f: Dimension) -> tuple[np.ndarray, np.ndarray]:
        """The partner's sets as its programme adds them up in each release (none where left out)."""
        old, new = self._sets(p, f)
        return (_EMPTY if self.old.outside(p, f) else old), (_EMPTY if self.new.outside(p, f) else new)

    def blame(self) -> set[int]:
        blamed: set[int] = set()
        details = set().union(*(s.detail for r in (self.old, self.new) for s in r.partners.values()))
        for f in [*range(len(FACTORS)), *sorted(details)]:
            if not self._unchanged(f):
                blamed |= self._programme(f) | self._isolation(f)
        return blamed | self._index()

    def _guilty(self, culprits: set[int]) -> set[int]:
        """The changed partners to take back: those named, else every changed partner."""
        named = culprits & self.changed
        return named or set(self.changed)

    def _smallest_change(self, sizes: dict[int, tuple[int, int]]) -> set[int]:
        k = self.rules.k
        small = {p for p, s in sizes.items() if p in self.changed and not _safe(s, k)}
        if small:
            return small
        moved = [(sum(s), p) for p, s in sizes.items() if p in self.changed and sum(s)]
        return {min(moved)[1]} if moved else set(self.changed)

    def _programme(self, f: Dimension) -> set[int]:
        """The programme shown in both: its sets (the union of the partners') must differ safely."""
        if self._code(self.old, PROGRAMME, f) or self._code(self.new, PROGRAMME, f):
            return set()
        sizes = {p: (0, 0) if self._same(p, f) and self.old.outside(p, f) == self.new.outside(p, f)
                 else _one_sided(*self._in_total(p, f)) for p in self.partners}
        total = (sum(s[0] for s in sizes.values()), sum(s[1] for s in sizes.values()))
        if _safe(total, self.rules.k):
            return set()
        return self._smallest_change(sizes)

    def _isolation(self, f: Dimension) -> set[int]:
        """Combine the two releases (each programme minus or plus its shown partners, each partner
        shown in either with any sign): may the result be exactly one partner's hidden set, or a
        small change of one partner?"""
        k = self.rules.k
        info = {}
        for p in self.partners:
            old, new = self._sets(p, f)
            info[p] = (old, new, self._code(self.old, p, f), self._code(self.new, p, f), self._same(p, f))
        free = (-1, 0, 1)
        blamed: set[int] = set()
        programme_old = (0,) if self._code(self.old, PROGRAMME, f) else free
        programme_new = (0,) if self._code(self.new, PROGRAMME, f) else free
        for c_old in programme_old:
            for c_new in programme_new:
                options = {}
                forced = []
                for p, (old, new, h_old, h_new, same) in info.items():
                    # a hidden group moves with its programme, unless the programme leaves it out
                    a = free if (not h_old or not old.size) else (0,) if self.old.outside(p, f) else (c_old,)
                    b = free if (not h_new or not new.size) else (0,) if self.new.outside(p, f) else (c_new,)
                    zero = (0 in a and 0 in b) or (same and old.size and any(-x in b for x in a if x))
                    options[p] = (a, b)
                    if not zero:
                        forced.append(p)
                if len(forced) > 1:
                    continue
                for q in (forced or list(info)):
                    old, new, h_old, h_new, same = info[q]
                    if self._discloses(old, new, h_old, h_new, same, *options[q], k):
                        blamed |= self._guilty({q})
        return blamed

    @staticmethod
    def _discloses(old, new, h_old, h_new, same, a, b, k) -> bool:
        """Whether one partner's contribution alpha*old + beta*new (alpha in a, beta in b) can be a
        hidden set of it, or a change of it that is not safe to show."""
        for alpha in a:
            for beta in b:
                if alpha and old.size and (beta == 0 or not new.size) and h_old:
                    return True  # its hidden set of the earlier release
                if beta and new.size and (alpha == 0 or not old.size) and h_new:
                    return True  # its hidden set of the new release
                if alpha and beta and old.size and new.size:
                    if alpha == -beta and not same and not _safe(_one_sided(old, new), k):
                        return True  # a small change
                    if alpha == beta and same and (h_old or h_new):
                        return True  # twice a hidden set
        return False

    def _index(self) -> set[int]:
        """The collaboration index shown in both: its n (the smallest weighted factor n) and its
        respondents must differ safely too."""
        weighted = list(self.rules.weighted)
        k = self.rules.k

        def shown(release: Release, p: int) -> bool:
            states = list(release.partners.values()) if p == PROGRAMME else [release.partners[p]]
            return all(release.hidden[p][f] == Hidden.SHOWN and sum(s.n[f] for s in states) > 0
                       for f in weighted)

        def members(release: Release, p: int) -> tuple[np.ndarray, int]:
            if p != PROGRAMME:
                state = release.partners[p]
                return state.respondents(weighted), int(min(state.n[f] for f in weighted))
            states = list(release.partners.values())
            keys = np.unique(np.concatenate([s.respondents(weighted) for s in states]))
            return keys, int(min(sum(s.n[f] for s in states) for f in weighted))

        blamed: set[int] = set()
        both = [p for p in self.partners if p in self.old.partners and p in self.new.partners]
        for p in [*both, PROGRAMME]:
            if not (shown(self.old, p) and shown(self.new, p)):
                continue
            if p != PROGRAMME and self.old.partners[p] is self.new.partners[p]:
                continue
            (old_keys, old_n), (new_keys, new_n) = members(self.old, p), members(self.new, p)
            gone, came = _one_sided(old_keys, new_keys)
            count = abs(new_n - old_n)
            if all(d == 0 or d >= k for d in (gone, came, count)):
                continue
            blamed |= self._guilty({p}) if p != PROGRAMME else set(self.changed)
        return blamed


# -- the plan: every wave's releases over the history ----------------------------------------------
Moment = tuple[int, str, int, str, str]  # version, load or undo, batch, dataset, when


class Survey(Protocol):
    """What the plan asks of the survey responses (``scores`` answers: it alone reads them)."""

    def changes(self, cursor, events: list[tuple[int, int, bool]]) -> dict[str, np.ndarray]: ...

    def details(self, cursor, events: list[tuple[int, int, bool]]) -> dict[str, np.ndarray]: ...


@dataclass
class Plan:
    rules: Rules
    events: list[Moment] = field(default_factory=list)
    timelines: dict[str, list[Entry]] = field(default_factory=dict)
    history: dict[str, list[Release]] = field(default_factory=dict)
    current: dict[str, dict[int, State]] = field(default_factory=dict)  # each wave's data, latest event
    _known: dict[tuple[str, int], dict[tuple, State]] = field(default_factory=dict)
    fingerprint: tuple | None = None
    _tables: dict[int, Shown] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def at(self, version: int) -> dict[str, Entry]:
        """Per wave, the entry in force at ``version``."""
        out = {}
        for wave, entries in self.timelines.items():
            at = bisect.bisect_right([e.version for e in entries], version) - 1
            if at >= 0:
                out[wave] = entries[at]
        return out

    def table(self, version: int) -> Shown:
        """What ``version`` shows, as arrays (kept: what a version shows never changes)."""
        with self._lock:
            found = self._tables.get(version)
        if found is None:
            found = _shown(self.at(version))
            with self._lock:
                self._tables[version] = found
        return found

    def advance(self, cursor, survey: Survey, events: list[Moment]) -> None:
        """Decide, in order, what each of ``events`` changes (one read of the store for all)."""
        if not events:
            return
        asked = [(v, batch, dataset != "survey") for v, _, batch, dataset, _ in events]
        rows, details = survey.changes(cursor, asked), survey.details(cursor, asked)
        edges = [e[0] for e in events] + [np.iinfo(np.int64).max]
        bounds = np.searchsorted(np.asarray(rows["version"], dtype=np.int64), edges)
        detail_bounds = np.searchsorted(np.asarray(details["version"], dtype=np.int64), edges)
        for i, event in enumerate(events):
            self._apply(event[0], {name: values[bounds[i]:bounds[i + 1]] for name, values in rows.items()},
                        {name: values[detail_bounds[i]:detail_bounds[i + 1]] for name, values in details.items()})
            self.events.append(event)

    def _apply(self, version: int, rows: dict[str, np.ndarray], details: dict[str, np.ndarray]) -> None:
        """One event: its touched respondents' states replace their old ones, wave by wave."""
        wave = np.asarray(rows["wave"], dtype=object)
        keys = np.ma.getdata(rows["respondent_key"]).astype(np.uint64)
        found = ~np.ma.getmaskarray(rows["partner_id"])  # something of theirs is visible then
        partner = np.ma.getdata(rows["partner_id"]).astype(np.int64)
        columns = [rows[f"t{f}"] for f in range(1, len(FACTORS) + 1)]
        tokens = np.column_stack([np.ma.getdata(c).astype(np.uint64) for c in columns]) \
            if len(keys) else np.empty((0, len(FACTORS)), np.uint64)
        answered = np.column_stack([~np.ma.getmaskarray(c) for c in columns]) \
            if len(keys) else np.empty((0, len(FACTORS)), bool)
        rows_found = np.flatnonzero(found)
        w_f, p_f = wave[rows_found], partner[rows_found]
        first = np.r_[True, (w_f[1:] != w_f[:-1]) | (p_f[1:] != p_f[:-1])] if len(rows_found) else np.empty(0, bool)
        fresh: dict[str, dict[int, State]] = {}
        for start, state in zip(np.flatnonzero(first), _states(version, np.cumsum(first) - 1, keys[rows_found],
                                                               tokens[rows_found], answered[rows_found])):
            fresh.setdefault(str(w_f[start]), {})[int(p_f[start])] = state
        for (w, p), detail in _grouped_details(details).items():
            if p in fresh.get(w, {}):
                fresh[w][p] = replace(fresh[w][p], detail=detail)
        starts = np.flatnonzero(np.r_[True, wave[1:] != wave[:-1]]) if len(wave) else np.empty(0, np.int64)
        for start, end in zip(starts.tolist(), [*starts[1:].tolist(), len(wave)]):
            w, touched = str(wave[start]), keys[start:end]  # rows come ordered by wave
            now, new = self.current.get(w, {}), fresh.get(w, {})
            states = {}
            for p in sorted(set(now) | set(new)):
                old = now.get(p)
                if old is None:
                    state = new[p]
                elif p not in new and not np.isin(touched, old.respondents()).any():
                    state = old
                else:
                    state = _merge(old, touched, new.get(p), version)
                if any(len(t) for _, t in state.sets()):
                    states[p] = self._known.setdefault((w, p), {}).setdefault(state.identity, state)
            self.current[w] = states
            self._decide(w, states, version)

    def _decide(self, wave: str, states: dict[int, State], version: int) -> None:
        entries = self.timelines.setdefault(wave, [])
        history = self.history.setdefault(wave, [])
        in_force = entries[-1].release if entries else None
        release = None if not states else self._release(states, in_force, history, version)
        entries.append(Entry(version, release, _pending(states, release)))

    def _release(self, states: dict[int, State], in_force: Release | None, history: list[Release],
                 version: int) -> Release | None:
        held = in_force.partners if in_force else {}
        options: dict[int, list[State | None]] = {}
        for p in sorted(set(states) | set(held)):
            now = states.get(p)
            choices = [now]
            if now is not held.get(p) and now is not None:  # a changed partner may fall back
                earlier = {id(r.partners[p]): r.partners[p] for r in history if p in r.partners}
                if earlier:
                    choices.append(min(earlier.values(), key=lambda s: (_distance(s, now), -s.made_at)))
            choices.append(held.get(p))
            options[p] = list(dict.fromkeys(choices))  # in order, each once
        choice = dict.fromkeys(options, 0)
        while True:
            partners = {p: options[p][c] for p, c in choice.items() if options[p][c] is not None}
            if not partners:
                return in_force
            for earlier in (in_force, *history[::-1]):
                if earlier is not None and _same_states(earlier.partners, partners):
                    return earlier
            candidate = Release(version, partners, pattern(partners, self.rules, in_force))
            candidate.detail_hidden = detail_pattern(candidate, self.rules, in_force)
            changed = {p for p in options if partners.get(p) is not held.get(p)}
            blamed = set().union(*(_Pair(old, candidate, changed, self.rules).blame() for old in history))
            if not blamed:
                history.append(candidate)
                return candidate
            moved = False
            for p in blamed:
                if choice[p] < len(options[p]) - 1:
                    choice[p] += 1
                    moved = True
            if not moved:
                return in_force


@dataclass(frozen=True)
class Shown:
    """What one version shows, one row per released partner x wave: ``read_at`` the version whose
    data it shows (-1: the version's own data, which its release still matches), ``codes`` its
    Hidden code per factor, ``pending`` its note; ``programme`` per wave: (codes, note); ``detail``
    per wave: the release's ``detail_hidden``."""
    wave: np.ndarray
    partner_id: np.ndarray
    read_at: np.ndarray
    codes: np.ndarray
    pending: np.ndarray
    programme: dict[str, tuple[np.ndarray, str | None]]
    detail: dict[str, dict[str, dict[int, int]]]


def _shown(entries: dict[str, Entry]) -> Shown:
    waves, partners, read_at, codes, pending, programme, detail = [], [], [], [], [], {}, {}
    for wave, entry in entries.items():
        if entry.release is None:
            continue
        for partner, state in entry.release.partners.items():
            waiting = entry.pending.get(partner)
            waves.append(wave)
            partners.append(partner)
            read_at.append(state.made_at if waiting else -1)
            codes.append(entry.release.hidden[partner])
            pending.append(note(*waiting) if waiting else None)
        total = np.sum(list(entry.pending.values()) or [(0, 0, 0)], axis=0)
        programme[wave] = (entry.release.hidden[PROGRAMME], note(*total))
        detail[wave] = entry.release.detail_hidden
    return Shown(np.array(waves, dtype=object), np.array(partners, dtype=np.int64),
                 np.array(read_at, dtype=np.int64),
                 np.array(codes, dtype=np.int8).reshape(len(codes), len(FACTORS)),
                 np.array(pending, dtype=object), programme, detail)


def _grouped_details(rows: dict[str, np.ndarray]) -> dict[tuple[str, int], dict]:
    """An event's detail rows (``Survey.details``) per wave x partner, as ``State.detail``."""
    if not len(rows.get("version", ())):
        return {}
    wave = np.asarray(rows["wave"], dtype=object)
    found = ~np.ma.getmaskarray(rows["partner_id"])
    partner = np.ma.getdata(rows["partner_id"]).astype(np.int64)
    keys = np.ma.getdata(rows["respondent_key"]).astype(np.uint64)
    tokens = np.ma.getdata(rows["token"]).astype(np.uint64)
    dimension = np.asarray(rows["dimension"], dtype=object)
    group = np.r_[True, (wave[1:] != wave[:-1]) | (partner[1:] != partner[:-1])]
    starts = np.flatnonzero(group | np.r_[True, dimension[1:] != dimension[:-1]])
    ends = np.r_[starts[1:], len(tokens)]
    digests = _run_digests(tokens, starts, ends - starts)
    out: dict[tuple[str, int], dict] = {}
    for a, b, digest in zip(starts.tolist(), ends.tolist(), digests):
        if found[a]:
            detail = out.setdefault((str(wave[a]), int(partner[a])), {})
            detail[str(dimension[a])] = (keys[a:b], tokens[a:b], digest)
    return out


def _same_states(a: dict[int, State], b: dict[int, State]) -> bool:
    return a.keys() == b.keys() and all(a[p] is b[p] for p in a)


def _distance(a: State, b: State) -> int:
    return sum(sum(_one_sided(x, y)) for x, y in zip(a.tokens, b.tokens))


def _pending(states: dict[int, State], release: Release | None) -> dict[int, tuple[int, int, int]]:
    """Per partner whose data differs from the release: (added, removed, changed) respondents."""
    held = release.partners if release else {}
    out = {}
    for p in set(states) | set(held):
        now, shown = states.get(p), held.get(p)
        if now is shown:
            continue
        now_keys = now.respondents() if now else np.empty(0, np.uint64)
        shown_keys = shown.respondents() if shown else np.empty(0, np.uint64)
        removed, added = _one_sided(shown_keys, now_keys)
        changed = 0
        if now is not None and shown is not None:
            dimensions = [*range(len(FACTORS)), *(set(now.detail) | set(shown.detail))]
            differing = np.concatenate([
                np.r_[a_keys[~np.isin(a, b, assume_unique=True)], b_keys[~np.isin(b, a, assume_unique=True)]]
                for (a_keys, a), (b_keys, b) in ((now.keyed(d), shown.keyed(d)) for d in dimensions)])
            both = np.intersect1d(now_keys, shown_keys, assume_unique=True)
            changed = int(np.isin(np.unique(differing), both, assume_unique=True).sum())
        out[p] = (added, removed, changed)
    return out


# -- building and keeping plans --------------------------------------------------------------------
_PLANS: dict[tuple, Plan] = {}
_LOCK = threading.Lock()
_KEEP = 8


def survey_events(cursor) -> list[Moment]:
    """The loads and undos that change what the survey shows, oldest first. The time of each is part
    of it: a store rebuilt at the same path (a restored backup, a fresh file) with the same numbers
    is another history, and a plan kept for the first must not be continued for it."""
    return [(v.number, str(v.event), v.batch, v.dataset, str(v.at)) for v in versions.all_versions(cursor)
            if v.dataset in SURVEY_DATASETS]


def plan(cursor, survey: Survey, rules: Rules) -> Plan:
    """The releases of every wave over the store's history, for these rules. Built once per history
    and kept: a history that only grew (a new load or undo) continues the plan it had."""
    fingerprint = versions.fingerprint(cursor)
    key = (fingerprint[-1], rules)
    with _LOCK:
        known = _PLANS.get(key)
        if known is not None and known.fingerprint == fingerprint:
            return known
        events = survey_events(cursor)
        if known is not None and events[:len(known.events)] == known.events:
            built = known  # the history grew: decide only what is new
        elif known is not None and known.events[:len(events)] == events:
            return known   # an older snapshot of the same history: its decisions are the same
        else:
            built = Plan(rules)
        built.advance(cursor, survey, events[len(built.events):])
        built.fingerprint = fingerprint
        _PLANS.pop(key, None)
        _PLANS[key] = built
        while len(_PLANS) > _KEEP:
            _PLANS.pop(next(iter(_PLANS)))
        return built


def forget() -> None:
    """Drop every kept plan (tests that rewrite a store's history in place)."""
    with _LOCK:
        _PLANS.clear()

