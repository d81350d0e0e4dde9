"""Partner names in a file -> the programme's own partners: known names, aliases, near twins
that need a person's decision, and new partners."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pipelines.ingest import values

if TYPE_CHECKING:
    from pipelines.ingest.preview import Options, Preview


@dataclass
class PartnerName:
    name: str  # as written in the file
    kind: str  # known | near | new
    partner: str | None  # the existing partner it is (known) or may be (near)
    rows: int


_LIST_SEPARATORS = re.compile(r"\s*([;|,\n])\s*")  # captured: a comma may be part of a name
_ALLOCATION = re.compile(r"\[[^\]]*\]")  # MS Project "Kestrel Design[50%]"
PARTNER_COLUMNS = {"survey": ("partner",), "issues": ("raised_by", "owned_by"), "milestones": ("owners",),
                   "headcount": ("partner",)}
FEW_NEW_PARTNERS = 3  # more new partners than this from one issue log or plan is asked, never assumed
LOOSE_PARTNER_HEADER = "component"  # Jira's Component/s: a partner in some programmes, a software part in others


def tidy_name(name: str | None) -> str | None:
    return None if name is None else re.sub(r"\s+", " ", name).strip()


def known_partners(cursor) -> tuple[dict[str, int], dict[int, str]]:
    names = dict(cursor.execute("SELECT partner_id, name FROM partners").fetchall())
    aliases = {values.normalise_partner_name(name): pid for pid, name in names.items()}
    # keyed again from the alias as written: a key stored under an older normalisation still matches
    aliases.update({values.normalise_partner_name(alias): pid for alias, pid in
                    cursor.execute("SELECT alias, partner_id FROM partner_aliases").fetchall()})
    return aliases, names


def find(cursor, name: str) -> tuple[int, str]:
    """The known partner a person names (by its name or any of its other names): (partner_id, name).
    ValueError naming the partners there are, for any other name."""
    aliases, names = known_partners(cursor)
    partner_id = aliases.get(values.normalise_partner_name(str(name)))
    if partner_id is None:
        known = ", ".join(sorted(names.values())) or "none yet"
        raise ValueError(f"There is no partner '{name}'. The partners are: {known}.")
    return partner_id, names[partner_id]


# what follows a comma inside one organisation's name ("Atlas Rail, Inc."), not another owner
_LEGAL_FORM = re.compile(
    r"(?i)^(?:inc|incorporated|ltd|limited|llc|l\.l\.c|llp|lp|plc|corp|corporation|co|company|gmbh|ggmbh|ag|kg|"
    r"e\.?\s?v|s\.?\s?a|sas|sarl|s\.?\s?r\.?\s?l|s\.?\s?p\.?\s?a|b\.?\s?v|n\.?\s?v|oy|ab|aps|a/s|as|pty(?:\s+ltd)?|"
    r"cic|cio)\.?$")


def split_owners(text: str | None) -> list[str]:
    """The owners a cell names: split at ``;``, ``|``, ``,`` and line breaks, except a comma
    before a legal form ("Harbour Civils, Ltd" is one owner); allocations ("[50%]") dropped."""
    if text is None:
        return []
    parts = _LIST_SEPARATORS.split(text)
    names: list[str] = []
    for i in range(0, len(parts), 2):
        part = tidy_name(_ALLOCATION.sub("", parts[i]))
        if part and names and parts[i - 1] == "," and _LEGAL_FORM.match(part):
            names[-1] = f"{names[-1]}, {part}"
        elif part:
            names.append(part)
    return names


def resolve(cursor, dataset: str, canonical: pd.DataFrame, preview: Preview,
                      options: Options) -> pd.DataFrame:
    """Replace each partner name by the programme's own name for it, asking about near twins."""
    columns = PARTNER_COLUMNS.get(dataset, ())
    if not columns:
        return canonical
    aliases, names = known_partners(cursor)
    counts: dict[str, int] = {}
    for column in columns:
        series = canonical[column].dropna()
        if column == "owners":
            series = series.map(split_owners).explode().dropna()
        for name, count in series.value_counts().items():  # per distinct spelling, then tidied
            tidy = tidy_name(name)
            counts[tidy] = counts.get(tidy, 0) + int(count)
    resolved: dict[str, str] = {}
    by_key: dict[str, str] = {}
    unconfirmed: list[str] = []  # new names nobody confirmed
    for name in sorted(counts):
        link = options.partner_links.get(name)
        if link is not None:
            if link not in names.values() and link != name:
                raise ValueError(f"'{link}' is not a known partner; it cannot stand for '{name}'.")
            resolved[name] = link
            kind = "known" if link in names.values() else "new"
            preview.partners.append(PartnerName(name, kind, link, counts[name]))
            continue
        match = values.match_partner(name, aliases, names)
        if match.kind == "known":
            resolved[name] = names[match.partner_id]
            preview.partners.append(PartnerName(name, "known", resolved[name], counts[name]))
            continue
        key = values.normalise_partner_name(name)
        if key in by_key:  # two spellings of one new partner in the same file
            resolved[name] = by_key[key]
            preview.partners.append(PartnerName(name, "new", by_key[key], counts[name]))
            continue
        confirmed = options.new_partners is not None and name in options.new_partners
        if match.kind == "new" and options.accept_new_partners:
            confirmed = True
        if match.kind == "near" and not confirmed:
            preview.partners.append(PartnerName(name, "near", match.suggestion, counts[name]))
            preview.questions.append(
                f"Is '{name}' the partner '{match.suggestion}', or a new partner? "
                "Confirm before loading, so one organisation is not split in two.")
            continue
        if not confirmed:
            unconfirmed.append(name)
        resolved[name] = name
        by_key[key] = name
        preview.partners.append(PartnerName(name, "new", None, counts[name]))
    used = preview.mapping_used()
    # a column that names software parts as often as organisations: every new name in it is asked
    loose = any(re.sub(r"[^a-z]", "", used[c].lower()).startswith(LOOSE_PARTNER_HEADER) for c in columns if c in used)
    ask_all = dataset != "survey" and (len(unconfirmed) > FEW_NEW_PARTNERS or (bool(unconfirmed) and loose))
    if options.new_partners is not None and not ask_all:
        preview.questions.extend(f"'{name}' is not a partner yet. Confirm it as a new partner, or say which "
                                 "partner it is." for name in unconfirmed)
    elif ask_all:
        preview.unconfirmed_partners = unconfirmed
        mapped = ", ".join(f"'{used[c]}'" for c in columns if c in used)
        preview.questions.append(
            f"This file would add {len(unconfirmed)} new partner{'s' if len(unconfirmed) != 1 else ''}: "
            f"{_some(unconfirmed)}. Nothing was loaded: check "
            f"that {mapped} holds organisations, not people{' or software components' if loose else ''}, "
            "then confirm them all ('Add them all as new partners'; "
            "command line: --accept-new-partners), or each one (--new-partner NAME), or say which known partner a "
            "name is (--partner-alias NAME=PARTNER).")
    for column in columns:
        if column == "owners":
            canonical[column] = canonical[column].map(
                lambda text: "; ".join(dict.fromkeys(resolved.get(n, n) for n in split_owners(text))) or None
                if text is not None else None)
        else:  # resolved once per distinct name, then spread over the rows
            codes, uniques = pd.factorize(canonical[column], use_na_sentinel=True)
            names_of = np.array([resolved.get(tidy_name(n), n) for n in uniques] + [None], dtype=object)
            canonical[column] = pd.Series(names_of[codes], index=canonical.index, dtype=object)
    return canonical


def _some(names: list[str], shown: int = 12) -> str:
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")


def add_new(cursor, batch_id: int, preview: Preview, valid: pd.DataFrame) -> list[str]:
    aliases, names = known_partners(cursor)
    existing = set(names.values())
    needed: list[str] = []
    if preview.dataset == "partners":
        needed = [n for n in valid["name"] if n not in existing]
    else:
        for column in PARTNER_COLUMNS.get(preview.dataset, ()):
            series = valid[column].dropna()
            if column == "owners":
                series = series.map(split_owners).explode().dropna()
            needed.extend(n for n in pd.unique(series) if n not in existing)
    new = list(dict.fromkeys(needed))
    next_id = int(cursor.execute("SELECT coalesce(max(partner_id), 0) FROM partners").fetchone()[0]) + 1
    for offset, name in enumerate(new):
        cursor.execute("INSERT INTO partners VALUES (?, ?, ?)", [next_id + offset, name, batch_id])
    _, names = known_partners(cursor)
    ids = {name: pid for pid, name in names.items()}
    links = [(p.name, ids[p.partner]) for p in preview.partners if p.partner in ids and p.name != p.partner]
    if preview.dataset == "partners":
        for name, text in zip(valid["name"], valid["aliases"]):
            links.extend((alias, ids[name]) for alias in split_owners(text))
    for alias, partner_id in links:
        key = values.normalise_partner_name(alias)
        if key not in aliases:
            cursor.execute("INSERT INTO partner_aliases VALUES (?, ?, ?, ?)", [key, alias, partner_id, batch_id])
            aliases[key] = partner_id
        elif aliases[key] != partner_id:
            raise ValueError(f"'{alias}' already stands for another partner; it cannot also stand for "
                             f"{names[partner_id]}.")
    return new
