"""Simulated programmes for the method's null tests: many partners, a few quarterly waves,
survey answers and delivery evidence drawn from known distributions, loaded into a real
Store the way a load would (``builders.load``). Deterministic for a seed.

``simulate`` draws every partner from the same distributions (a null programme) unless told
otherwise: ``sizes`` gives chosen partners another number of respondents, ``survey_shift`` moves chosen partner x factor x wave groups (in 1-5 scale
points), ``partner_levels`` gives every partner its own survey level (sd in scale points,
constant over waves: real differences between partners), and ``evidence`` overrides the
on-time, escalation, self-raised probabilities or the mean days to resolve of chosen
partners.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Mapping

import builders as b
import numpy as np
import pandas as pd

from pipelines.programme.factors import FACTORS

ITEMS = 2
BASE = dict(on_time=0.6, joint=0.2, escalated=0.2, self_raised=0.5, resolve_days=20.0)


def quarter(t: int) -> date:
    return date(2025 + t // 4, 3 * (t % 4) + 1, 1)


def wave(t: int) -> str:
    start = quarter(t)
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def simulate(store, seed: int, *, partners: int = 200, waves: int = 4, respondents: int = 8,
             milestones: int = 2, issues: int = 4, partner_levels: float = 0.0,
             sizes: Mapping[int, int] | None = None,
             survey_shift: Mapping[tuple[int, str, int], float] | None = None,
             evidence: Mapping[int, Mapping[str, float]] | None = None) -> dict[str, int]:
    """A programme of ``partners`` x ``waves`` quarters; returns partner name -> id (the
    partners are P000, P001, ...; partner index i has id ids[f'P{i:03d}'])."""
    rng = np.random.default_rng(seed)
    ids = b.add_partners(store, [f"P{i:03d}" for i in range(partners)])
    b.load(store, "instrument_items", b.instrument(items_per_factor=ITEMS))
    pids = np.array(list(ids.values()))
    item_ids = [f"{f}_{i}" for f in FACTORS for i in range(1, ITEMS + 1)]
    item_factor = np.repeat(np.arange(len(FACTORS)), ITEMS)
    level = rng.normal(0, partner_levels, (partners, len(FACTORS)))
    shift = survey_shift or {}
    counts = [(sizes or {}).get(i, respondents) for i in range(partners)]
    frames = []
    for t in range(waves):
        who = np.repeat(np.arange(partners), counts)
        latent = 3.1 + level[who] + rng.normal(0, 0.7, (len(who), 1))
        for (i, factor, at), points in shift.items():
            if at == t:
                latent[who == i, FACTORS.index(factor)] += points
        answers = latent[:, item_factor] + rng.normal(0, 0.8, (len(who), len(item_ids)))
        frame = pd.DataFrame(np.clip(np.rint(answers), 1, 5), columns=item_ids)
        frame["partner_id"] = pids[who]
        frame["respondent"] = [f"{seed}-{t}-{j}" for j in range(len(who))]
        long = frame.melt(id_vars=["partner_id", "respondent"], var_name="item_id",
                          value_name="value")
        frames.append(long.assign(wave=wave(t), wave_start=quarter(t)))
    b.load(store, "survey_responses", pd.concat(frames, ignore_index=True))
    b.load(store, "milestones", _milestones(rng, pids, waves, milestones, evidence or {}))
    b.load(store, "issues", _issues(rng, pids, waves, issues, evidence or {}))
    return ids


def _of(evidence, i: int, what: str) -> float:
    return evidence.get(i, {}).get(what, BASE[what])


def _milestones(rng, pids, waves, per_quarter, evidence) -> list[dict]:
    rows = []
    for i, pid in enumerate(pids):
        for t in range(waves):
            for m in range(per_quarter):
                baseline = quarter(t) + timedelta(days=int(rng.integers(0, 90)))
                on_time = rng.random() < _of(evidence, i, "on_time")
                actual = baseline + timedelta(days=0 if on_time else int(rng.integers(1, 60)))
                owners = [int(pid)]
                if rng.random() < _of(evidence, i, "joint"):
                    owners.append(int(pids[(i + 1) % len(pids)]))
                rows.append(dict(milestone_id=f"M{pid}-{t}-{m}", title="m", owner_partner_ids=owners,
                                 baseline_date=baseline, forecast_date=actual, actual_date=actual,
                                 status="complete"))
    return rows


def _issues(rng, pids, waves, per_quarter, evidence) -> list[dict]:
    end = quarter(waves) + timedelta(days=30)
    rows = []
    for i, pid in enumerate(pids):
        for t in range(waves):
            for n in range(per_quarter):
                raised = quarter(t) + timedelta(days=int(rng.integers(0, 90)))
                days = rng.exponential(_of(evidence, i, "resolve_days"))
                resolved = raised + timedelta(days=int(days))
                self_raised = rng.random() < _of(evidence, i, "self_raised")
                rows.append(dict(
                    issue_id=f"I{pid}-{t}-{n}", title="i", kind="issue",
                    raised_by_partner_id=int(pid if self_raised else pids[(i + 1) % len(pids)]),
                    owned_by_partner_id=int(pid), raised_date=raised,
                    resolved_date=resolved if resolved <= end else None, severity="medium",
                    status="closed" if resolved <= end else "open",
                    escalated=bool(rng.random() < _of(evidence, i, "escalated"))))
    return rows
