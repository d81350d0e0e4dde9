"""What the programme has beside the scores (#25), as parts of the Overview and the Partner
profile: participation (per partner in a wave; one partner over the waves), what people wrote,
the actions agreed and what their factor did next, and the item-level view. Each part holds what
the page shows and the panel the pack shows of it.

Counts come as the query layer gives them: a group under k is "fewer than k" (or "k or more" when
it is hidden to protect a smaller one), never a number; comments only for groups of comment_k.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipelines import settings
from pipelines.present import words
from pipelines.present.views import parts
from pipelines.present.views.parts import EM_DASH, Context, Panel
from pipelines.programme.factors import FACTORS, INDEX, SHORT_LABELS
from pipelines.programme.factors import label as factor_label
from pipelines.query.scores import Suppression

RATE_COLUMNS = ("Response rate", "Respondents", "Invited", factor_label(INDEX))


def short_header(factor: str) -> tuple[str, str]:
    """A factor's (or the index's) column on a page where its full name would not fit 1024 px: its
    short label as the header, the full name said once in its help. CSVs and slides keep the full name."""
    return SHORT_LABELS[factor], f"{factor_label(factor)} (0-100)"


# the page's headers of a participation table (column -> header, help)
RATE_HEADERS = {factor_label(INDEX): short_header(INDEX)}


@dataclass(frozen=True)
class Participation:
    """Participation as a table (text cells), with the groups under the warning in sentences."""
    title: str
    caption: str
    table: pd.DataFrame | None      # None: no headcount and no respondents
    empty: str                      # ...and then what to do
    low: tuple[str, ...]            # one sentence per group under the warning
    panel: Panel


@dataclass(frozen=True)
class Comments:
    title: str
    note: str                        # why there are none, or how they are shown
    by_question: tuple[tuple[str, tuple[str, ...]], ...]  # (question, what people wrote)
    panel: Panel


@dataclass(frozen=True)
class Actions:
    title: str
    note: str
    table: pd.DataFrame | None
    by_factor: dict[str, tuple[str, ...]]  # factor -> its open and overdue actions, in a line each
    panel: Panel


@dataclass(frozen=True)
class Items:
    title: str
    caption: str
    table: pd.DataFrame | None
    panel: Panel


def _warning() -> float:
    return float(settings.get("participation_warning"))


def _index_cells(index: pd.DataFrame, rows: pd.DataFrame) -> dict[tuple, str]:
    """(partner, wave) -> the collaboration index beside the rate that weakens it, for ``rows``; in one
    pass (a filter of the whole index per row was 0.65 s of a pinned Overview's build at 1M answers)."""
    wanted = index.merge(rows[["partner", "wave"]].drop_duplicates(), on=["partner", "wave"])
    keys = list(zip(wanted["partner"], wanted["wave"]))
    keyed = wanted.set_index(pd.Index([f"{p}\x1f{w}" for p, w in keys]))  # score_cell looks a row up by label
    return {(p, w): parts.score_cell(keyed, f"{p}\x1f{w}") for p, w in keys}


def _rate_row(row, cells: dict[tuple, str], warning: float) -> list[str]:
    invited = EM_DASH if pd.isna(row["invited"]) else str(int(row["invited"]))
    below = None if pd.isna(row["below_warning"]) else bool(row["below_warning"])
    return [words.rate_cell(row["rate"], below, warning), str(row["respondents"]), invited,
            cells.get((row["partner"], row["wave"]), EM_DASH)]


def _low(rows: pd.DataFrame, warning: float) -> tuple[str, ...]:
    """The warnings beside a participation table: rates under the warning, and rates capped at 100%."""
    below = rows[rows["below_warning"].fillna(False).astype(bool)]
    over = rows[rows["over_invited"].astype(bool)]
    return (*(words.low_participation(r["partner"], r["wave"], None if pd.isna(r["rate"]) else r["rate"],
                                      r["invited"], warning) for _, r in below.iterrows()),
            *(words.more_than_invited(r["partner"], r["wave"], int(r["respondents"]), int(r["invited"]))
              for _, r in over.iterrows()))


def _headcount_note(ctx: Context, source) -> tuple[str, ...]:
    """Why invited and response rate are blank, when no headcount list is loaded at the view's data."""
    loaded = set(source.freshness(ctx.asof)["dataset"])
    return () if "headcount" in loaded else (words.no_headcount(ctx.asof is not None),)


def _rate_notes(ctx: Context, warning: float) -> tuple[str, ...]:
    return (f"Response rate: respondents of the invited (headcount list). Flagged below {warning:.0%}, the "
            "rate the programme asks for (your administrator can change it).",
            f"A group with fewer than {ctx.k} respondents is given as 'fewer than {ctx.k}', never exactly; "
            f"'{ctx.k} or more' protects a smaller group.")


def overview_participation(ctx: Context, source) -> Participation:
    """Every partner's participation in the Overview's wave, beside its collaboration index."""
    warning = _warning()
    frame = source.participation(ctx.asof)
    rows = frame[frame["wave"] == ctx.wave]
    index = _index_cells(source.index_scores(ctx.asof), rows)
    columns = ("Partner", *RATE_COLUMNS)
    cells = [[r["partner"], *_rate_row(r, index, warning)] for _, r in rows.iterrows()]
    low = _low(rows, warning)
    table = parts.table(columns, cells, [not words.rate(r["rate"]) for _, r in rows.iterrows()])
    title = f"Participation, {ctx.wave}"
    blank = _headcount_note(ctx, source) if cells else ()
    return Participation(
        title=title,
        caption=" ".join((f"How many of each partner's invited people answered, beside the index their answers "
                          f"make. Below {warning:.0%}, a partner's scores rest on few of its people.", *blank)),
        table=pd.DataFrame(cells, columns=list(columns)) if cells else None,
        empty=f"No headcounts and no survey responses for {ctx.wave} yet: load the headcount list on the Data page.",
        low=low,
        panel=Panel("participation", title, ctx.lines(f"Wave {ctx.wave}", "All partners"),
                    ctx.link("overview", wave=ctx.wave), (*low, *blank, *_rate_notes(ctx, warning)), table=table))


def partner_participation(ctx: Context, source, partner: str) -> Participation:
    """One partner's participation over the waves, beside its collaboration index."""
    warning = _warning()
    frame = source.participation(ctx.asof)
    rows = frame[frame["partner"] == partner]
    index = _index_cells(source.index_scores(ctx.asof), rows)
    columns = ("Wave", *RATE_COLUMNS)
    cells = [[r["wave"], *_rate_row(r, index, warning)] for _, r in rows.iterrows()]
    title = f"{partner}: participation over the waves"
    table = parts.table(columns, cells, [not words.rate(r["rate"]) for _, r in rows.iterrows()])
    blank = _headcount_note(ctx, source) if cells else ()
    return Participation(
        title=title,
        caption=" ".join((f"Response rate per wave, beside the index it rests on. Below {warning:.0%}, the scores "
                          "rest on few of the partner's people.", *blank)),
        table=pd.DataFrame(cells, columns=list(columns)) if cells else None,
        empty=f"No headcount for {partner} yet: load the headcount list on the Data page.",
        low=_low(rows[rows["wave"] == ctx.wave], warning),
        panel=Panel("partner_participation", title, ctx.lines(f"Partner {partner}", "Every wave"),
                    ctx.link("partner", partner=partner, wave=ctx.wave), (*blank, *_rate_notes(ctx, warning)),
                    table=table))


def comments(ctx: Context, source, partner: str) -> Comments:
    """What the partner's people wrote in the wave, by question (groups of comment_k or more)."""
    wave = ctx.wave
    found = source.comments(ctx.asof, partner, wave)
    shown = source.comments_shown(ctx.asof, ctx.partner_ids[partner], wave)
    if not shown:
        why = source.counts_hidden(ctx.asof).get((ctx.partner_ids[partner], str(wave)))
        note = words.comments_withheld(partner, wave, settings.comment_k(), why == Suppression.COMPLEMENT, ctx.k)
    elif found.empty:
        note = f"No one from {partner} wrote a comment in {wave}."
    else:
        note = words.COMMENTS_ORDER
    by_question = tuple((str(q), tuple(str(t) for t in group["text"]))
                        for q, group in found.groupby("question", sort=False))
    rows = [[q, text] for q, texts in by_question for text in texts]
    title = f"{partner}: what people wrote, {wave}"
    return Comments(title, note, by_question, Panel(
        "comments", title, ctx.lines(f"Partner {partner}", f"Wave {wave}"),
        ctx.link("partner", partner=partner, wave=wave), (note,),
        table=parts.table(["Question", "What was written"], rows) if rows else None))


def actions(ctx: Context, source, partner: str) -> Actions:
    """The partner's agreed actions on the view's factors beside their factor, and what the factor did
    after each."""
    every = source.action_board(ctx.asof, partner)
    board = every[every["factor"].isin(ctx.factors)]
    rows, by_factor = [], {f: [] for f in FACTORS}
    for r in board.to_dict("records"):
        status = words.action_status(r["status"], bool(r["overdue"]), r["due"], r["closed"])
        rows.append([factor_label(r["factor"]), r["title"], r["owner"], status, words.action_moved(r, ctx.k)])
        if r["open"]:
            by_factor[r["factor"]].append(f"{r['title']} ({r['owner']}; {status})")
    columns = ["Factor", "Action", "Owner", "Status", "The factor since"]
    title = f"Agreed actions: {partner}"
    others = len(every) - len(board)
    none = (f"No actions agreed for {partner} on the factors chosen ({others} on others)." if others else
            f"No actions agreed for {partner} yet: your administrator records them as the steering group agrees them.")
    note = (none if not rows else
            "Open actions with the factor's latest score; a closed one with the factor's change over the "
            f"wave after it closed (beyond noise: {words.BEYOND_NOISE}).")
    return Actions(
        title=title, note=note,
        table=pd.DataFrame(rows, columns=columns) if rows else None,
        by_factor={f: tuple(lines) for f, lines in by_factor.items() if lines},
        panel=Panel("actions", title, ctx.lines(f"Partner {partner}", ctx.factors_text(), "Every action, by id"),
                    ctx.link("partner", partner=partner, wave=ctx.wave), (note,),
                    table=parts.table(columns, rows, [False] * len(rows)) if rows else None))


def _favourable(row, k: int) -> str:
    if bool(row["suppressed"]):
        return words.reason(row["reason"], k, words.Form.CELL)
    return f"{row['favourable']:.0%} (n {int(row['n'])})"


def items(ctx: Context, source, partner: str) -> Items:
    """Per survey question on the view's factors: the partner's share of favourable answers against the
    programme's."""
    frame = source.items(ctx.asof, partner, ctx.wave)
    frame = frame[frame["factor"].isin(ctx.factors)]
    mine, programme = frame[frame["partner"] == partner], frame[frame["partner_id"].isna()].set_index("item_id")
    rows, muted = [], []
    for r in mine.to_dict("records"):
        rows.append([factor_label(r["factor"]), r["text"], _favourable(r, ctx.k),
                     _favourable(programme.loc[r["item_id"]], ctx.k)])
        muted.append(bool(r["suppressed"]))
    columns = ["Factor", "Question", partner, "Programme"]
    title = f"{partner}: question by question, {ctx.wave}"
    caption = (f"Share of favourable answers (the top two points of the scale towards collaboration) and n. "
               f"Not shown: {words.either_reason(ctx.k)}.")
    return Items(title, caption, pd.DataFrame(rows, columns=columns) if rows else None, Panel(
        "items", title, ctx.lines(f"Partner {partner}", f"Wave {ctx.wave}", ctx.factors_text()),
        ctx.link("partner", partner=partner, wave=ctx.wave), (caption,),
        table=parts.table(columns, rows, muted) if rows else None))
