"""The actions a programme agrees per partner and factor: add one, edit it, mark it done.

Every change is a version of the programme's history, like a load: it draws the next number
(``Store.next_version``), writes the action's new state as a row of ``actions`` with that number
(the earlier state stays, no longer current) and records itself with ``versions.record_change``.
So a pinned view shows the actions as they were, ``history`` lists the changes, and ``undo`` takes
one back. ``pipelines.query.actions`` reads them.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from pipelines.ingest import partners
from pipelines.programme.factors import key as factor_key
from pipelines.store import versions

DATASET = "actions"  # how the store's history names these changes
MAX_TEXT = 200  # a title or an owner longer than this is a paragraph pasted into the wrong field


class Status(StrEnum):
    OPEN = "open"
    DONE = "done"


class Change(StrEnum):
    ADD = "add"
    EDIT = "edit"
    DONE = "done"


DONE_AS = {Change.ADD: "added", Change.EDIT: "edited", Change.DONE: "done"}  # "action 5 added"
EDITABLE = ("title", "owner", "due")  # the fields an edit may change, in the order its words name them


@dataclass(frozen=True)
class Action:
    action_id: int
    partner_id: int
    factor: str
    title: str
    owner: str
    due: dt.date
    status: Status
    created: dt.date
    closed: dt.date | None = None


@dataclass(frozen=True)
class Edit:
    """What one version did to an action, as fields (the history's words are made from them,
    ``versions``): the change, the action, and for an edit the fields it changed, as (field, new value)."""
    change: Change
    action_id: int
    partner: str
    factor: str
    title: str
    changed: tuple[tuple[str, str], ...] = ()
    closed: dt.date | None = None


def edits(cursor) -> dict[int, Edit]:
    """Every version an action's change made -> what it did, read from the actions' own rows (each
    change writes the action's new state with its version; the state before is the row before)."""
    rows = cursor.execute("""SELECT a.batch_id, a.action_id, p.name, a.factor, a.title, a.owner, a.due, a.status,
               a.closed, lag(a.title) OVER w, lag(a.owner) OVER w, lag(a.due) OVER w, lag(a.status) OVER w
        FROM actions a JOIN partners p USING (partner_id)
        WINDOW w AS (PARTITION BY a.action_id ORDER BY a.batch_id)""").fetchall()
    found = {}
    for version, action_id, partner, factor, title, owner, due, status, closed, *before in rows:
        title_was, owner_was, due_was, status_was = before
        if status_was is None:
            change = Change.ADD
        elif status != status_was and status == Status.DONE:
            change = Change.DONE
        else:
            change = Change.EDIT
        changed = tuple((name, str(now)) for name, now, was in zip(EDITABLE, (title, owner, due),
                                                                  (title_was, owner_was, due_was))
                        if change is Change.EDIT and now != was)
        found[int(version)] = Edit(change, int(action_id), partner, factor, title, changed, closed)
    return found


def due_date(text: str) -> dt.date:
    """A due date as a person types it on the command line: YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError(f"The due date must be a date written YYYY-MM-DD, such as 2026-03-31, not '{text}'.") from None


def _text(value: str, what: str) -> str:
    text = " ".join(str(value).split())
    if not text:
        raise ValueError(f"The {what} of an action cannot be empty.")
    if len(text) > MAX_TEXT:
        raise ValueError(f"The {what} is {len(text)} characters long; keep it within {MAX_TEXT}.")
    return text


def add(store, *, partner: str, factor: str, title: str, owner: str, due: str | dt.date,
        created: dt.date | None = None, is_demo: bool = False) -> tuple[int, int]:
    """Add an open action; returns (its id, the version that added it)."""
    due = due if isinstance(due, dt.date) else due_date(due)
    factor, title, owner = factor_key(factor), _text(title, "title"), _text(owner, "owner")
    with store.write() as cursor:
        partner_id, name = partners.find(cursor, partner)
        action_id = int(cursor.execute("SELECT coalesce(max(action_id), 0) + 1 FROM actions").fetchone()[0])
        action = Action(action_id, partner_id, factor, title, owner, due, Status.OPEN, created or dt.date.today())
        version = _write(store, cursor, action, Edit(Change.ADD, action_id, name, factor, title), is_demo)
    return action_id, version


def edit(store, action_id: int, *, title: str | None = None, due: str | dt.date | None = None,
         owner: str | None = None, is_demo: bool = False) -> int:
    """Change an action's title, due date or owner; returns the version."""
    if title is None and due is None and owner is None:
        raise ValueError("Say what to change: --title, --due or --owner.")
    with store.write() as cursor:
        action = _current(cursor, action_id)
        changed = replace(action, title=action.title if title is None else _text(title, "title"),
                          owner=action.owner if owner is None else _text(owner, "owner"),
                          due=action.due if due is None else (due if isinstance(due, dt.date) else due_date(due)))
        fields = tuple((name, str(getattr(changed, name))) for name in EDITABLE
                       if getattr(changed, name) != getattr(action, name))
        return _write(store, cursor, changed, _edit(cursor, changed, Change.EDIT, fields), is_demo)


def done(store, action_id: int, *, closed: dt.date | None = None, is_demo: bool = False) -> int:
    """Mark an action done (today, unless ``closed``); returns the version."""
    with store.write() as cursor:
        action = _current(cursor, action_id)
        if action.status is Status.DONE:
            raise ValueError(f"Action {action_id} is already done (since {action.closed.isoformat()}).")
        finished = replace(action, status=Status.DONE, closed=closed or dt.date.today())
        return _write(store, cursor, finished, _edit(cursor, finished, Change.DONE), is_demo)


def _current(cursor, action_id: int) -> Action:
    row = cursor.execute("""SELECT action_id, partner_id, factor, title, owner, due, status, created, closed
        FROM actions WHERE current AND action_id = ?""", [int(action_id)]).fetchone()
    if row is None:
        raise ValueError(f"There is no action {action_id}. `python -m pipelines action list` lists the actions.")
    return Action(int(row[0]), int(row[1]), row[2], row[3], row[4], row[5], Status(row[6]), row[7], row[8])


def _edit(cursor, action: Action, change: Change, changed: tuple[tuple[str, str], ...] = ()) -> Edit:
    name = cursor.execute("SELECT name FROM partners WHERE partner_id = ?", [action.partner_id]).fetchone()[0]
    return Edit(change, action.action_id, name, action.factor, action.title, changed, action.closed)


def _write(store, cursor, action: Action, edit: Edit, is_demo: bool) -> int:
    version = store.next_version(cursor)
    cursor.execute("INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, true)",
                   [action.action_id, action.partner_id, action.factor, action.title, action.owner, action.due,
                    str(action.status), action.created, action.closed, version])
    versions.supersede(cursor, "actions", version)
    versions.record_change(cursor, batch_id=version, dataset=DATASET,
                           what=f"action {action.action_id} {DONE_AS[edit.change]}",
                           summary=versions.edit_words(edit) + ".", is_demo=is_demo)
    return version
