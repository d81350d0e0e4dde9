"""Small programmes in the shapes the tools export, loaded through `python -m pipelines`
(``pipelines.cli.main``): an instrument of two items, partners, pulse surveys with grid columns
rating other partners and a free-text question, and headcount lists."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from pipelines import cli

ITEMS = ("Item ID,Question text,Factor,Scale min,Scale max,Reverse-scored\n"
         "SG1,We agreed the programme goals together,shared goals,1,5,No\n"
         "PS1,I can admit a mistake to another partner,psychological safety,1,5,No\n")
RATING = "How well does your organisation work with each partner?"  # a grid question's title
COMMENT = "Anything else you would like to tell us?"


def run(*argv, store=None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], store=store, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def records(*argv, store=None) -> list[dict]:
    code, out, err = run(*argv, "--format", "json", store=store)
    assert code == 0, err
    return json.loads(out)


def csv_text(header: list[str], rows: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buffer.getvalue()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def load(folder: Path, dataset: str, name: str, text: str, *options, store=None) -> str:
    code, out, err = run("load", "--dataset", dataset, write(folder, name, text), *options, store=store)
    assert code == 0, err
    return out


def programme(folder: Path, partners: list[str], store=None) -> None:
    """The instrument and the partner list."""
    load(folder, "instrument", "items.csv", ITEMS, store=store)
    load(folder, "partners", "partners.csv", csv_text(["Partner"], [[p] for p in partners]), store=store)


def survey(wave: str, groups: dict[str, int], *, ratings: dict[tuple[str, str], list] | None = None,
           targets: tuple[str, ...] = (), comments: dict[str, list[str]] | None = None,
           answer=lambda partner, i: (4, 3), start: int = 1, grid: str = "google") -> str:
    """A pulse survey of one wave: ``groups`` respondents per partner (ids R<start>...), two answers
    each; grid columns rating each of ``targets`` (``ratings[(rater, target)]`` the rater's answers in
    order, blank when missing); one free-text column when ``comments`` is given (a partner's comments
    in order; other respondents leave it blank). ``grid`` is the tool's header shape: google
    (``Title [Partner]``) or qualtrics (``Title - Partner``)."""
    def grid_header(target: str) -> str:
        return f"{RATING} [{target}]" if grid == "google" else f"{RATING} - {target}"

    header = ["Respondent ID", "Organisation", "Wave", "SG1", "PS1"] + [grid_header(t) for t in targets]
    if comments is not None:
        header.append(COMMENT)
    rows, number = [], start
    for partner, count in groups.items():
        for i in range(count):
            row = [f"R{number}", partner, wave, *answer(partner, i)]
            for target in targets:
                given = (ratings or {}).get((partner, target), [])
                row.append(given[i] if i < len(given) else None)
            if comments is not None:
                given = comments.get(partner, [])
                row.append(given[i] if i < len(given) else None)
            rows.append(row)
            number += 1
    return csv_text(header, rows)
