"""Deterministic synthetic programmes for the benchmarks (numpy RNG with fixed seeds).

* ``survey_csv(respondents, invalid)``: a wide survey export as a survey tool writes it: one
  row per respondent, ``Respondent ID``, ``Organisation``, ``Response date`` and one column per
  item of the default instrument (20), answers 1..5 with ~3% skipped. ``invalid`` is the share of
  respondent rows given one bad cell (a third each: an answer outside the scale, an answer that is
  not a number, an unreadable response date).
* ``issues_csv(rows, invalid)``: a Jira-like issue log.
* ``milestones_csv(rows)``: a schedule as MS Project exports it (its columns, its dates).
* ``insert_long_rows(...)``: the long survey rows inserted straight into a Store.

``waves`` (default 40) is the number of quarterly waves; the last is always 2026-Q3.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from pipelines.programme.instrument import default_item_ids

SEED = 20261125
PARTNERS = 200
WAVES = 40
LAST_WAVE = (2026, 3)  # 40 waves: 2016-Q4 .. 2026-Q3, none in the future on 2026-11-25
LAST_RAISED = dt.date(2026, 4, 24)  # issues raised by then (resolved < 200 days later: past); 2017-01-01 + 3400 days


def partner_names(count: int = PARTNERS) -> list[str]:
    # distinct words so no two names are near twins of each other
    first = ["Kestrel", "Harbour", "Granite", "Meridian", "Orchard", "Summit", "Beacon", "Willow",
             "Falcon", "Quarry", "Lantern", "Cobalt", "Juniper", "Vantage", "Northgate", "Saltire",
             "Heron", "Bramble", "Corvid", "Tamar"]
    second = ["Design", "Civils", "Rail", "Systems", "Energy", "Water", "Digital", "Survey",
              "Structures", "Logistics"]
    names = [f"{a} {b} {i:03d}" for i, (a, b) in enumerate(
        (a, b) for b in second for a in first)]
    return names[:count]


def wave_starts(count: int = WAVES) -> list[dt.date]:
    year, quarter = LAST_WAVE
    quarters = year * 4 + quarter - 1 - (count - 1)
    year, quarter = quarters // 4, quarters % 4 + 1
    out = []
    for _ in range(count):
        out.append(dt.date(year, 3 * (quarter - 1) + 1, 1))
        quarter += 1
        if quarter == 5:
            year, quarter = year + 1, 1
    return out


def wave_label(start: dt.date) -> str:
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


def survey_frame(respondents: int, invalid: float = 0.0, seed: int = SEED, waves: int = WAVES) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    items = default_item_ids()
    names = np.array(partner_names(), dtype=object)
    starts = wave_starts(waves)
    day0 = np.array([np.datetime64(s) for s in starts])
    wave = rng.integers(0, len(starts), respondents)
    dates = day0[wave] + rng.integers(0, 80, respondents).astype("timedelta64[D]")
    frame = pd.DataFrame({
        "Respondent ID": [f"R{i:08d}" for i in range(respondents)],
        "Organisation": names[rng.integers(0, len(names), respondents)],
        "Response date": pd.to_datetime(dates).strftime("%Y-%m-%d"),
    })
    answers = rng.integers(1, 6, (respondents, len(items))).astype(object)
    answers[rng.random((respondents, len(items))) < 0.03] = ""
    for j, item in enumerate(items):
        frame[item] = answers[:, j]
    if invalid:
        bad = rng.choice(respondents, int(round(respondents * invalid)), replace=False)
        bad.sort()
        kinds = np.arange(len(bad)) % 3
        cols = rng.integers(0, len(items), len(bad))
        for row, kind, col in zip(bad, kinds, cols):
            if kind == 0:
                frame.iat[row, 3 + col] = "9"
            elif kind == 1:
                frame.iat[row, 3 + col] = "not sure"
            else:
                frame.iat[row, 2] = "31/02/20xx"
    return frame


def survey_csv(respondents: int, invalid: float = 0.0, seed: int = SEED, waves: int = WAVES) -> bytes:
    return to_csv(survey_frame(respondents, invalid, seed, waves))


def cached_file(path: Path, make) -> Path:
    """``path``, written with ``make()`` (bytes) unless it is there already (generation is
    deterministic); written under a temporary name first, so a half-written file is never used."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(make())
        tmp.rename(path)
    return path


def to_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode()


def issues_csv(rows: int, invalid: float = 0.0, seed: int = SEED + 1, first: dt.date = dt.date(2017, 1, 1)) -> bytes:
    """Issues raised between ``first`` and ``LAST_RAISED``."""
    rng = np.random.default_rng(seed)
    names = np.array(partner_names(), dtype=object)
    raised = np.datetime64(first) + rng.integers(0, (LAST_RAISED - first).days, rows).astype("timedelta64[D]")
    resolved = raised + rng.integers(1, 200, rows).astype("timedelta64[D]")
    open_ = rng.random(rows) < 0.2
    resolved_text = pd.Series(pd.to_datetime(resolved).strftime("%Y-%m-%d")).where(~open_, "")
    frame = pd.DataFrame({
        "Issue key": [f"PRG-{i}" for i in range(1, rows + 1)],
        "Summary": [f"Issue number {i}" for i in range(1, rows + 1)],
        "Issue Type": np.array(["Issue", "Risk", "Dispute"], dtype=object)[rng.integers(0, 3, rows)],
        "Raised by": names[rng.integers(0, len(names), rows)],
        "Owned by": names[rng.integers(0, len(names), rows)],
        "Created": pd.to_datetime(raised).strftime("%Y-%m-%d"),
        "Resolved": resolved_text,
        "Priority": np.array(["Low", "Medium", "High", "Critical", "Major"], dtype=object)[
            rng.integers(0, 5, rows)],
        "Status": np.where(open_, "Open", "Closed"),
        "Escalated": np.array(["Yes", "No"], dtype=object)[(rng.random(rows) < 0.9).astype(int)],
    })
    if invalid:
        bad = np.sort(rng.choice(rows, int(round(rows * invalid)), replace=False))
        for n, row in enumerate(bad):
            if n % 3 == 0:
                frame.iat[row, 5] = "sometime"
            elif n % 3 == 1:
                frame.iat[row, 7] = "Whenever"
            else:
                frame.iat[row, 6] = "2016-01-01"  # resolved before raised
    return to_csv(frame)


def milestones_csv(rows: int, seed: int = SEED + 2, first: dt.date = dt.date(2017, 1, 1)) -> bytes:
    """An MS Project export of ``rows`` milestones (0-day tasks) spread over the partners, one in
    ten joint (two owners), baselined between ``first`` and a year after today; finished ones
    have an actual date, late or early against the baseline."""
    rng = np.random.default_rng(seed)
    names = np.array(partner_names(), dtype=object)
    today = np.datetime64("2026-12-06")
    span = (today - np.datetime64(first)).astype(int) + 365
    baseline = np.datetime64(first) + rng.integers(0, span, rows).astype("timedelta64[D]")
    forecast = baseline + rng.normal(12, 25, rows).round().astype("timedelta64[D]")
    done = (forecast < today) & (rng.random(rows) < 0.9)
    owners = names[rng.integers(0, len(names), rows)]
    joint = rng.random(rows) < 0.1
    owners[joint] = owners[joint] + ";" + names[rng.integers(0, len(names), int(joint.sum()))]

    def ms_project(days) -> pd.Series:  # "Thu 14/08/25"
        return pd.Series(pd.to_datetime(days).strftime("%a %d/%m/%y"))
    finish = ms_project(forecast)
    frame = pd.DataFrame({
        "ID": np.arange(1, rows + 1),
        "Name": [f"Milestone {i}" for i in range(1, rows + 1)],
        "Duration": "0 days",
        "Start": finish,
        "Finish": finish,
        "Baseline Finish": ms_project(baseline),
        "Actual Finish": finish.where(done, "NA"),
        "Resource Names": owners,
        "% Complete": np.where(done, "100%", "0%"),
    })
    return to_csv(frame)


def insert_long_rows(cursor, answers: int, partners: int = PARTNERS, waves: int = WAVES,
                     seed: int = SEED) -> None:
    """Put ``answers`` long survey rows (20 items per respondent) straight into survey_responses,
    with partners and one batch, bypassing the ingest (for the query benchmarks)."""
    items = default_item_ids()
    respondents = answers // len(items)
    names = partner_names(partners)
    cursor.execute("INSERT INTO partners SELECT i + 1, name, 1 FROM (SELECT unnest(?) AS name, "
                   "generate_subscripts(?, 1) - 1 AS i)", [names, names])
    cursor.execute("""INSERT INTO batches (batch_id, dataset, source_name, sha256, rows_in, rows_accepted,
        rows_rejected, loaded_at) VALUES (nextval('version_seq'), 'survey', 'synthetic', 'x', ?, ?, 0, now())""",
                   [respondents, respondents])
    batch = cursor.execute("SELECT max(batch_id) FROM batches").fetchone()[0]
    starts = wave_starts(waves)
    cursor.execute("CREATE TEMP TABLE w AS SELECT unnest(?) AS wave, unnest(?::DATE[]) AS wave_start, "
                   "generate_subscripts(?, 1) - 1 AS wi", [[wave_label(s) for s in starts], starts,
                                                          [wave_label(s) for s in starts]])
    cursor.execute("SELECT setseed(?)", [(seed % 1000) / 1000])
    # respondent r: a hashed partner and wave (so group sizes vary and some fall under k);
    # answers around a partner-level bias
    cursor.execute(f"""
        INSERT INTO survey_responses
        SELECT hash(r), 1 + p, w.wave, w.wave_start, it.item_id,  -- 64-bit keys spread like pseudonyms
               least(5, greatest(1, round(3 + (p % 7 - 3) / 3.0 + (random() * 2 - 1) * 1.6))),
               {batch}, true
        FROM (SELECT r, ((r * 2654435761) % 4294967291 % {partners})::INTEGER AS p,
                     ((r * 1103515245 + 12345) % 2147483647 % {waves})::INTEGER AS wi
              FROM range({respondents}) t(r)) t
        JOIN w ON w.wi = t.wi
        CROSS JOIN (SELECT unnest(?) AS item_id) it""", [items])
    cursor.execute("DROP TABLE w")
