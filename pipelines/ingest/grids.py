"""Grid (matrix) questions: one column per row of the grid, its header the question's title and the
row's statement, written as each tool writes it.

* Google Forms: ``Title [statement]``;
* SurveyMonkey (as the reader joins its two header rows) and Qualtrics: ``Title - statement``;
  Qualtrics' legacy export: ``Title-statement``;
* Microsoft Forms (Likert): ``Title.statement``; others: ``Title: statement``.

:func:`grid_parts` gives every way a header may split into (title, statement), most likely first:
a caller keeps the first whose statement it knows (an instrument item, a partner name), so a split
inside a statement ("co-defined goals") can only match what a real statement matches.
"""
from __future__ import annotations

import re

_BRACKETS = re.compile(r"^(?P<title>.*?\S)\s*\[(?P<statement>[^\[\]]+)\]\s*$")
# separators, the spaced ones first: " - " is a grid's, "-" may be a word's
_SEPARATORS = (re.compile(r"\s+[-\u2013\u2014]\s+"), re.compile(r":\s*"), re.compile(r"(?<=[?.!:)])\s*[-\u2013]\s*"),
               re.compile(r"(?<=\S)[-\u2013](?=\S)"), re.compile(r"(?<=[?)])\s*\.\s*|(?<=[a-z])\.(?=[A-Z])"))


def grid_parts(header: str) -> list[tuple[str, str]]:
    """Each (title, statement) a grid header may be, most likely first; [] for a plain header."""
    text = " ".join(str(header).split())
    parts: list[tuple[str, str]] = []
    bracketed = _BRACKETS.match(text)
    if bracketed:
        parts.append((bracketed["title"], bracketed["statement"].strip()))
    for separator in _SEPARATORS:
        for found in separator.finditer(text):
            title, statement = text[:found.start()].strip(), text[found.end():].strip(" -\u2013\u2014:")
            if title and statement and (title, statement) not in parts:
                parts.append((title, statement))
    return parts


def statements(header: str) -> list[str]:
    """The statements :func:`grid_parts` finds in a header, most likely first."""
    return list(dict.fromkeys(statement for _, statement in grid_parts(header)))


__all__ = ["grid_parts", "statements"]
