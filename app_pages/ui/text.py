"""Text from outside (a link's values, partner, wave, file, sheet and column names, cell
contents, comments) shown as text wherever Streamlit reads Markdown: bodies, captions,
notices, metric labels, values and deltas, help tooltips, page-link labels.

``md(text)`` is the one way in. On one line, it backslash-escapes every character that can
open an inline construct (links, images, emphasis, code, HTML, entities, LaTeX, tables,
``:colour[...]`` directives) and a block marker at the start (heading, list, quote); and it
puts an invisible word joiner (U+2060) where Streamlit's renderer would still turn plain
text into something else after parsing: after a colon that touches the next character
(``http://`` autolinks, ``:streamlit:`` and emoji shortcodes), before ``@`` (e-mail
autolinks) and before the dot of ``www.``. Ordinary text ("2026-Q3", "Harbour Civils",
"jira_issues.csv", "-1.2 since 2026-Q2": a delta keeps its sign, so its arrow) comes out as it
went in (an underscore inside a word cannot start emphasis, so it stays).
"""
from __future__ import annotations

import re

WORD_JOINER = "\u2060"
_INLINE = re.compile(r"([\\`*~\[\]!<>&$|]|:(?=\S)|_(?![^\W_])|(?<![^\W_])_)")
_LINKIFIED = re.compile(r"(?<=:)(?=\S)|(?=@)|(?i:(?<=www)(?=\.))")
_BLOCK = re.compile(r"^(\s*)(?:(#+|[+\-*])(?=\s|$)|(\d+)(?=[.)](?:\s|$)))")


def md(value) -> str:
    """``value`` as Markdown that shows exactly its text (on one line)."""
    text = " ".join(str(value).splitlines())
    text = _LINKIFIED.sub(WORD_JOINER, _INLINE.sub(r"\\\1", text))
    return _BLOCK.sub(lambda m: m.group(1) + (f"\\{m.group(2)}" if m.group(2) else f"{m.group(3)}\\"), text)
