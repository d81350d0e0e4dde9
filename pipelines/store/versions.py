"""The programme's history: load batches, data versions, "as of", and their labels.

This is the only module that reads or writes the ``batches`` table. Loads and undos draw
their numbers from one sequence (``Store.next_version``), so a number is a moment in the
store's history: ``batches.batch_id`` is the version at which a batch loaded, and
``batches.undone_version`` the version at which it was undone. Undo never deletes rows,
so any version can be rebuilt (``visible``) and a pinned link keeps showing what it showed.

A pinned version travels in the browser's links as its label (a bound Streamlit widget writes the
option's label into the URL), which says what the version did ("v10 · survey responses 2026-Q3
from pulse.csv · 6 Dec 2026 18:32"); the links the pack and the command line write carry its
number ("asof=10"), which the app respells as the label. ``labels`` makes the labels; ``match``
is the one rule that reads a version back from a link or a command (its label, a label links were
written with before, or its number), by looking it up among the versions the programme has, never
by pattern over display text. A label is made only from what never changes once recorded (the
batch, its file, its survey waves, an action's row at that version), so a link keeps its label; if
its wording changes, the wording before goes to ``Version.former_labels``.

This module is also the one owner of the history's words: the labels, the pinned banner
(``in_words``), the load history (``history_in_words``) and an action's change (``edit_words``).
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from pipelines.store.schema import NATURAL_KEYS

if TYPE_CHECKING:  # pandas is imported where a frame is made: the command line's --help stays light
    import pandas as pd

    from pipelines.programme.actions import Edit

LABEL_WHAT = 64  # characters a label keeps of what its version did: the sidebar's picker is narrow
WAVES_LISTED = 2  # a survey load's waves named in its label; more are counted


class Event(StrEnum):
    """What made a version."""
    LOAD = "load"
    UNDO = "undo"


class UnknownVersion(ValueError):
    """A link or a command names a data version this programme does not have."""

    def __init__(self, requested, known: list[int]):
        self.requested, self.known = requested, known
        if known:
            shown = ", ".join(str(v) for v in known[-12:])
            more = f" (and {len(known) - 12} earlier)" if len(known) > 12 else ""
            there = f"The versions there are: {shown}{more}; `python -m pipelines history` lists them."
        else:
            there = "No data has been loaded yet."
        super().__init__(f"This programme does not have data version {requested}. {there}")


@dataclass(frozen=True)
class Version:
    """One moment of the store's history: a load, or an undo of one."""
    number: int
    event: Event
    batch: int
    at: dt.datetime
    dataset: str
    source_name: str
    is_demo: bool
    summary: str = ""
    waves: tuple[str, ...] = ()  # a survey load's waves (``described``)
    action: Edit | None = None  # an edit's fields (``described``)

    @property
    def is_edit(self) -> bool:
        """Made by an edit (``record_change``: an action added, edited or closed), not by a file."""
        from pipelines.programme.actions import DATASET  # here: programme.actions imports this module

        return self.dataset == DATASET

    @property
    def edit(self) -> str:
        """An edit in words (``edit_words``), from its recorded fields."""
        return edit_words(self.action) if self.action is not None else (self.summary or self.source_name).rstrip(".")

    @property
    def label(self) -> str:
        """How the "Data as of" picker and a link name this version, by what it did:
        "v10 · survey responses 2026-Q3 from pulse.csv · 6 Dec 2026 18:32", "v21 · action 5 added: Weekly
        look-ahead · ...", "v22 · undo of v12, issue log from raid.csv · ..."."""
        return self._label(self._what(from_file(self.source_name)))

    def _label(self, what: str) -> str:
        what = what if self.event is Event.LOAD else f"undo of v{self.batch}, {what}"
        if len(what) > LABEL_WHAT:  # cut between words: a title can be 200 characters long
            what = what[:LABEL_WHAT].rsplit(" ", 1)[0].rstrip(",:;") + "\u2026"
        return f"v{self.number} · {what} · {_when(self.at)}"

    def _what(self, file: str) -> str:
        """What the load (the undone load, for an undo) was: its data and ``file`` (its file in words),
        or the action's change."""
        if self.action is not None:
            from pipelines.programme.actions import Change  # here: programme.actions imports this module

            return f"{self._brief}: " + (_changed(self.action) if self.action.change is Change.EDIT
                                         else self.action.title)
        return f"{self._brief} {file}"

    @property
    def _brief(self) -> str:
        """``_what`` in a few words: "survey responses 2026-Q3", "action 5 added"."""
        from pipelines.ingest.fields import DATASET_NOUNS  # here: ingest imports this module

        if self.action is not None:
            from pipelines.programme.actions import DONE_AS  # here: programme.actions imports this module

            return f"action {self.action.action_id} {DONE_AS[self.action.change]}"
        # a history of many waves in one export is counted: listed, it pushed the file out of the label
        waves = ("" if not self.waves else f" {', '.join(self.waves)}" if len(self.waves) <= WAVES_LISTED
                 else f" of {len(self.waves)} waves")
        return f"{DATASET_NOUNS.get(self.dataset, self.dataset)}{waves}"

    @property
    def former_labels(self) -> tuple[str, ...]:
        """How links written before spelled this version (pinned links in the wild keep opening)."""
        prefix = "undo of batch" if self.event is Event.UNDO else "batch"
        # the file in brackets, until the built-in instrument's "(built in)" nested them
        bracketed = self._label(self._what(f"({self.source_name})"))
        return (f"{prefix} {self.batch} ({_stamp(self.at)})", f"version {self.number} · {_when(self.at)}",
                *([bracketed] if bracketed != self.label else []))


def from_file(name: str) -> str:
    """A load's file as every history text names it: "from pulse.csv" (never in brackets: a name such as
    the built-in instrument's "default-instrument.csv (built in)" brings its own)."""
    return f"from {name}"


def edit_words(edit: Edit) -> str:
    """An action's change as the history says it: "Action 5 added for Harbour Civils (Open
    communication): Weekly joint look-ahead", "Action 5 (Weekly joint look-ahead) edited: owner now
    Site lead", "Action 1 done on 10 Sep 2025: No-blame design reviews"."""
    from pipelines.programme.actions import Change  # here: programme.actions imports this module
    from pipelines.programme.factors import label

    if edit.change is Change.ADD:
        return f"Action {edit.action_id} added for {edit.partner} ({label(edit.factor)}): {edit.title}"
    if edit.change is Change.DONE:
        return f"Action {edit.action_id} done on {_day(edit.closed)}: {edit.title}"
    return f"Action {edit.action_id} ({edit.title}) edited: {_changed(edit)}"


def _changed(edit: Edit) -> str:
    """What an edit changed: "owner now Site lead, due now 2027-02-28"."""
    return ", ".join(f"{name} now {value}" for name, value in edit.changed) or "nothing changed"


# -- reading the history ------------------------------------------------------------------

def all_versions(cursor) -> list[Version]:
    """Every version a view can be pinned to, oldest first: each load, and each undo."""
    rows = cursor.execute("""
        SELECT batch_id, 'load', batch_id, loaded_at, dataset, source_name, is_demo, summary FROM batches
        UNION ALL
        SELECT undone_version, 'undo', batch_id, undone_at, dataset, source_name, is_demo, summary FROM batches
        WHERE undone_version IS NOT NULL
        ORDER BY 1""").fetchall()
    return [Version(int(n), Event(e), int(b), at, d, s, bool(demo), summary or "")
            for n, e, b, at, d, s, demo, summary in rows]


def described(cursor) -> list[Version]:
    """``all_versions`` with what each did beyond its batch: a survey load's waves, an edit's fields
    (what labels and the history's words are made from)."""
    from pipelines.programme import actions  # here: programme.actions imports this module

    waves = dict(cursor.execute("""SELECT batch_id, list(DISTINCT wave ORDER BY wave) FROM survey_responses
        GROUP BY batch_id""").fetchall())
    edits = actions.edits(cursor)
    return [replace(v, waves=tuple(waves.get(v.batch) or ()), action=edits.get(v.batch) if v.is_edit else None)
            for v in all_versions(cursor)]


def versions(cursor) -> pd.DataFrame:
    """Every version, newest first: version, label."""
    import pandas as pd

    found = described(cursor)[::-1]
    return pd.DataFrame({"version": pd.array([v.number for v in found], dtype="int64"),
                         "label": pd.array([v.label for v in found], dtype=object)})


def labels(cursor) -> dict[int, str]:
    """Version number -> its label, newest first."""
    return {v.number: v.label for v in described(cursor)[::-1]}


def names(cursor) -> dict[str, int]:
    """Every spelling a link or a command may name a version by (its label, its former labels) ->
    its number: what ``match`` looks a link's text up in."""
    return {name: v.number for v in described(cursor) for name in (v.label, *v.former_labels)}


def match(value, known: Mapping[str, int]) -> int | None:
    """The version ``value`` names among ``known`` (``names``): one of its spellings, or its
    number as typed by hand or given to ``--asof`` ("12", " 12", "012", "+12"); None when the
    programme has no such version."""
    text = str(value).strip()
    if text in known:
        return known[text]
    if text.removeprefix("+").isdigit() and int(text) in known.values():
        return int(text)
    return None


def parse(value, cursor) -> int | None:
    """The version a link or a command names (``match``); None for the latest. Raises
    UnknownVersion (naming the versions there are) for anything else."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    known = names(cursor)
    found = match(value, known)
    if found is None:
        raise UnknownVersion(str(value).strip(), sorted(set(known.values())))
    return found


def check(asof: int | None, cursor) -> int | None:
    """``asof`` when the programme has that version (None stays None); else UnknownVersion."""
    if asof is None:
        return None
    known = [v.number for v in all_versions(cursor)]
    if int(asof) not in known:
        raise UnknownVersion(asof, known)
    return int(asof)


def find(cursor, number: int) -> Version | None:
    return next((v for v in all_versions(cursor) if v.number == int(number)), None)


def describe(cursor, asof: int | None) -> str:
    """The data a view shows, in words: the latest data or the pinned version, and what made it."""
    found = described(cursor)
    if not found:
        return "no data loaded yet"
    if asof is None:
        last = found[-1]
        what = (f"loaded {_when(last.at)}" if last.event is Event.LOAD
                else f"undo of version {last.batch}, {last._brief}, {_when(last.at)}")
        return f"latest data, version {last.number}, {what}"
    pinned = next((v for v in found if v.number == int(asof)), None)
    if pinned is None:
        raise UnknownVersion(asof, [v.number for v in found])
    loaded = "" if pinned.is_edit else "loaded "  # an action's change was made, not loaded
    what = (f"{pinned._brief}, {loaded}{_when(pinned.at)}" if pinned.event is Event.LOAD
            else f"undo of version {pinned.batch}, {pinned._brief}, {_when(pinned.at)}")
    return f"pinned to version {pinned.number} ({what})"


def in_words(cursor, asof: int | None) -> str:
    """The data a view shows, as a director reads it: "the latest data, as loaded on 3 Dec 2026 14:05", or
    a pin as "data as loaded on 3 Dec 2026 14:05, before the undo of the issue log upload from raid.xlsx"."""
    found = described(cursor)
    if not found:
        return "no data loaded yet"
    if asof is None:
        return "the latest data, " + _state_after(found[-1])
    at = next((i for i, v in enumerate(found) if v.number == int(asof)), None)
    if at is None:
        raise UnknownVersion(asof, [v.number for v in found])
    after = f", before {_event(found[at + 1])}" if at + 1 < len(found) else ", the latest"
    return "data " + _state_after(found[at]) + after


def _upload(version: Version, file: bool) -> str:
    from pipelines.ingest.fields import DATASET_NOUNS  # here: ingest imports this module

    if version.is_edit:  # no file, and the demo's edits are named by the banner already
        return f"the edit \u201c{version.edit}\u201d"
    demo = " of the demo programme" if version.is_demo else ""
    named = f" {from_file(version.source_name)}" if file else ""
    return f"the {DATASET_NOUNS.get(version.dataset, version.dataset)} upload{demo}{named}"


def _event(version: Version, file: bool = True) -> str:
    """A version as what happened: "the issue log upload from raid.xlsx", "the undo of ..."."""
    return _upload(version, file) if version.event is Event.LOAD else f"the undo of {_upload(version, file)}"


def _state_after(version: Version) -> str:
    if version.event is Event.LOAD:
        return f"as loaded on {moment(version.at)}"
    return f"as left by {_event(version)} on {moment(version.at)}"


def moment(value) -> str:
    """A time as people write it: 3 Dec 2026 14:05."""
    import pandas as pd

    return f"{_day(value)} {pd.Timestamp(value):%H:%M}"


def history_in_words(cursor) -> pd.DataFrame:
    """Every load and every undo, newest first, in words: number (loads and undos draw their numbers from
    one sequence, so an undo's row shows where a load's number went), event, batch, dataset, file, when
    ("3 Dec 2026 14:05"), what ("The undo of the issue log upload"), rows, now (whether a load's rows still
    count, or the number that undid them) and entry (the row as the Data page says it: what with its file,
    and the undo of an undone load: "The issue log upload from raid.csv, undone by number 3"). Every cell
    is text or a number: nothing is None."""
    import pandas as pd

    records = []
    for v in described(cursor)[::-1]:
        records.append({"number": v.number, "event": str(v.event), "batch": v.batch, "dataset": v.dataset,
                        "edit": v.is_edit, "file": "" if v.is_edit else v.source_name, "when": moment(v.at),
                        "what": _sentence(_event(v, file=False)), "entry": _sentence(_event(v))})
    columns = ["number", "event", "batch", "dataset", "file", "when", "what"]
    frame = pd.DataFrame(records, columns=[*columns, "entry", "edit"])
    counts = cursor.execute(
        "SELECT batch_id AS batch, rows_in, rows_accepted, rows_rejected, undone_version FROM batches").df()
    frame = frame.merge(counts, on="batch", how="left")
    load = frame["event"] == str(Event.LOAD)
    # an action's change is one row made, not loaded: its "what" says it
    frame["rows"] = [_rows(*r) if is_load and not edit else "" for is_load, edit, r in
                     zip(load, frame["edit"],
                         frame[["rows_in", "rows_accepted", "rows_rejected"]].itertuples(index=False))]
    # an undone load names the row of its undo, which says when
    undone = [is_load and pd.notna(by) for is_load, by in zip(load, frame["undone_version"])]
    frame["now"] = [("undone by number " + str(int(by)) if gone else "in the data") if is_load else ""
                    for is_load, gone, by in zip(load, undone, frame["undone_version"])]
    frame["entry"] = [entry + (f", {now}" if gone else "") for entry, gone, now in
                      zip(frame["entry"], undone, frame["now"])]
    return frame[[*columns, "rows", "now", "entry"]]


def _sentence(text: str) -> str:
    """``text`` with a capital first letter; str.capitalize would lower a partner's name."""
    return text[:1].upper() + text[1:]


def _rows(rows_in, accepted, rejected) -> str:
    skipped = int(rows_in) - int(accepted) - int(rejected)
    return (f"{int(accepted)} of {int(rows_in)} loaded" + (f", {int(rejected)} invalid" if rejected else "")
            + (f", {skipped} skipped" if skipped else ""))


def _when(value) -> str:
    import pandas as pd

    if value is None or pd.isna(value):
        return "date unknown"
    return moment(value)


def _day(value) -> str:
    import pandas as pd

    stamp = pd.Timestamp(value)
    return f"{stamp.day} {stamp:%b %Y}"


def _stamp(value) -> str:
    import pandas as pd

    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def data_version(cursor) -> int:
    """The latest load or undo: it changes whenever what queries see may change."""
    return int(cursor.execute(
        "SELECT coalesce(max(greatest(batch_id, coalesce(undone_version, 0))), 0) FROM batches"
    ).fetchone()[0])


def is_empty(cursor) -> bool:
    return cursor.execute("SELECT count(*) FROM batches").fetchone()[0] == 0


def is_demo(cursor, asof: int | None = None) -> bool:
    """Whether the demo programme is part of the data at ``asof`` (None: the latest data)."""
    live, params = _live("b", asof)
    return bool(cursor.execute(f"SELECT count(*) FROM batches b WHERE is_demo AND {live}",
                               params).fetchone()[0])


def history(cursor) -> pd.DataFrame:
    """Every batch, newest first, with its state."""
    return cursor.execute("""SELECT batch_id AS batch, dataset, source_name AS file, loaded_at,
            rows_in, rows_accepted, rows_rejected, encoding, is_demo AS demo,
            CASE WHEN undone_version IS NULL THEN 'loaded' ELSE 'undone' END AS state, undone_at, summary
        FROM batches ORDER BY batch_id DESC""").df()


def live_loads(cursor, asof: int | None = None) -> pd.DataFrame:
    """Per dataset, the loads live at ``asof``: dataset, last_loaded, batches."""
    live, params = _live("b", asof)
    return cursor.execute(f"""SELECT dataset, max(loaded_at) AS last_loaded, count(*) AS batches
        FROM batches b WHERE {live} GROUP BY dataset ORDER BY dataset""", params).df()


def _live(alias: str, asof: int | None) -> tuple[str, list]:
    """SQL true for a batch whose rows count at ``asof``: loaded by then, not undone by then."""
    if asof is None:
        return f"{alias}.undone_version IS NULL", []
    return (f"{alias}.batch_id <= ? AND ({alias}.undone_version IS NULL OR {alias}.undone_version > ?)",
            [int(asof), int(asof)])


def visible(table: str, asof: int | None, waves: list[str] | None = None) -> tuple[str, list]:
    """SQL (and its parameters) for the rows of ``table`` visible at version ``asof``.

    ``asof=None`` is the latest state, kept in the ``current`` flag. A pinned version
    rebuilds the state from history: rows loaded up to it, by batches not undone by
    then, the latest per natural key. ``waves`` keeps only those waves' rows (survey
    responses: the wave is part of the natural key, so it filters before the rebuild).
    """
    if table not in NATURAL_KEYS:
        raise ValueError(f"not a versioned table: {table}")
    where, wave_params = ("", [])
    if waves is not None:
        if "wave" not in NATURAL_KEYS[table]:
            raise ValueError(f"{table} has no waves")
        where, wave_params = " AND list_contains(?::VARCHAR[], t.wave)", [list(waves)]
    if asof is None:
        return f"(SELECT * FROM {table} t WHERE current{where})", wave_params
    keys = ", ".join(f"t.{column}" for column in NATURAL_KEYS[table])
    live, params = _live("b", asof)
    sql = f"""(SELECT * EXCLUDE (version_rank) FROM (
        SELECT t.*, row_number() OVER (PARTITION BY {keys} ORDER BY t.batch_id DESC) AS version_rank
        FROM {table} t JOIN batches b ON b.batch_id = t.batch_id
        WHERE {live}{where}
    ) WHERE version_rank = 1)"""
    return sql, params + wave_params


def visible_at(table: str, moments: str, on: str = "") -> str:
    """SQL for the rows of ``table`` visible at each version of ``moments`` (a relation with a
    ``version`` column, joined on ``on`` as well when given), with that version as a column: what
    ``visible`` gives for one version, for many at once."""
    if table not in NATURAL_KEYS:
        raise ValueError(f"not a versioned table: {table}")
    keys = ", ".join(f"t.{column}" for column in NATURAL_KEYS[table])
    join = f" AND {on}" if on else ""
    return f"""(SELECT * EXCLUDE (version_rank) FROM (
        SELECT m.version, t.*, row_number() OVER (PARTITION BY m.version, {keys} ORDER BY t.batch_id DESC)
               AS version_rank
        FROM {moments} m JOIN {table} t ON t.batch_id <= m.version{join}
        JOIN batches b ON b.batch_id = t.batch_id
        WHERE b.undone_version IS NULL OR b.undone_version > m.version
    ) WHERE version_rank = 1)"""


def fingerprint(cursor) -> tuple:
    """Changes whenever the history does (a load, an undo, demo batches forgotten): what a result
    computed from the whole history is cached under."""
    return cursor.execute("""SELECT count(*), coalesce(max(batch_id), 0), coalesce(max(undone_version), 0),
               coalesce(bit_xor(hash(batch_id, dataset, sha256, coalesce(undone_version, -1))), 0),
               (SELECT path FROM duckdb_databases() WHERE database_name = current_database())
        FROM batches""").fetchone()


# -- writing it (inside a Store.write transaction) ----------------------------------------

def loaded_as(cursor, dataset: str, sha256: str) -> int | None:
    """The live batch that already loaded this very file, if any."""
    row = cursor.execute(
        "SELECT batch_id FROM batches WHERE dataset = ? AND sha256 = ? AND undone_version IS NULL",
        [dataset, sha256]).fetchone()
    return int(row[0]) if row else None


def record_load(cursor, *, batch_id: int, dataset: str, source_name: str, sha256: str,
                encoding: str | None, rows_in: int, rows_accepted: int, rows_rejected: int,
                is_demo: bool, summary: str, mapping: dict, read_notes: list[str]) -> None:
    cursor.execute(
        """INSERT INTO batches (batch_id, dataset, source_name, sha256, encoding, rows_in, rows_accepted,
           rows_rejected, loaded_at, is_demo, summary, mapping, read_notes)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?)""",
        [batch_id, dataset, source_name, sha256, encoding, rows_in, rows_accepted, rows_rejected,
         is_demo, summary, json.dumps(mapping), "\n".join(read_notes)])


def record_change(cursor, *, batch_id: int, dataset: str, what: str, summary: str, is_demo: bool = False) -> None:
    """A version made by an edit, not a file (an action added, edited or closed): recorded like a
    load of one row, so pins, ``history`` and ``undo`` treat it as they treat a load."""
    import hashlib

    record_load(cursor, batch_id=batch_id, dataset=dataset, source_name=what,
                sha256=hashlib.sha256(f"{dataset}:{batch_id}".encode()).hexdigest(), encoding=None,
                rows_in=1, rows_accepted=1, rows_rejected=0, is_demo=is_demo, summary=summary, mapping={},
                read_notes=[])


def batch(cursor, batch_id: int) -> tuple[str, str, int | None] | None:
    """(dataset, source_name, undone_version) of a batch, or None."""
    return cursor.execute("SELECT dataset, source_name, undone_version FROM batches WHERE batch_id = ?",
                          [batch_id]).fetchone()


def record_undo(cursor, batch_id: int, version: int) -> None:
    cursor.execute("UPDATE batches SET undone_version = ?, undone_at = now() WHERE batch_id = ?",
                   [version, batch_id])


def demo_batches(cursor) -> list[int]:
    return [int(r[0]) for r in cursor.execute("SELECT batch_id FROM batches WHERE is_demo").fetchall()]


def forget(cursor, batch_ids: list[int]) -> None:
    """Delete batches outright (only the demo programme leaves no history)."""
    cursor.execute("DELETE FROM batches WHERE list_contains(?, batch_id)", [batch_ids])


def supersede(cursor, table: str, batch_id: int) -> None:
    """Rows of ``batch_id`` replace the current rows with the same natural key (they stop being current)."""
    keys = NATURAL_KEYS[table]
    match = " AND ".join(f"t.{k} = n.{k}" for k in keys)
    cursor.execute(f"""UPDATE {table} t SET current = false
        WHERE t.current AND t.batch_id <> ? AND EXISTS (
            SELECT 1 FROM {table} n WHERE n.batch_id = ? AND {match})""", [batch_id, batch_id])


def current_of_undone_sql(table: str) -> str:
    """SQL (one parameter: the undone batch) that makes the latest live row of each key the batch
    had touched current again."""
    keys = NATURAL_KEYS[table]
    key_list = ", ".join(keys)
    match = " AND ".join(f"t.{k} = w.{k}" for k in keys)
    return f"""UPDATE {table} t SET current = true FROM (
            SELECT {key_list}, max(x.batch_id) AS latest FROM {table} x
            JOIN batches b ON b.batch_id = x.batch_id
            WHERE b.undone_version IS NULL AND ({key_list}) IN (
                SELECT ({key_list}) FROM {table} WHERE batch_id = ?)
            GROUP BY {key_list}) w
        WHERE {match} AND t.batch_id = w.latest"""
