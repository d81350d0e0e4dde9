"""app_pages/ui/text.md: outside text made safe for Streamlit's Markdown, and unchanged to read.

(The browser tests in test_browser_text.py show what Streamlit's renderer makes of it.)"""
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from test_pages import shown

from app_pages.ui.text import WORD_JOINER, md

ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


one_line = st.text(st.characters(blacklist_categories=("Cc", "Zl", "Zp", "Cs"),
                                 blacklist_characters=WORD_JOINER), max_size=80)


@given(one_line)
def test_md_reads_exactly_as_the_text(text):
    assert shown(md(text)) == text


@given(one_line)
def test_md_leaves_nothing_markdown_could_act_on(text):
    bare = ESCAPED.sub("", md(text))  # what is left unescaped
    assert not re.search(r"[\\`*\[\]!<>&$|~]", bare)
    assert not re.search(r":[^\s\u2060]", bare)  # a colon touching text (autolink, :shortcode:)
    assert not re.search(r"[^\u2060]@", bare)
    assert not re.search(r"(?i)www\.", bare)


@pytest.mark.parametrize("text", ["Harbour Civils", "2026-Q3", "jira_issues.csv", "-1.2 since 2026-Q2",
                                  "+0.4 since 2025-Q4", "Not shown: fewer than 5 responses", "n = 18",
                                  "45.2 (n 18)", "Collaboration index, 2026-Q3"])
def test_ordinary_text_is_unchanged(text):
    assert md(text) == text


@pytest.mark.parametrize("text,expected", [
    ("[Sign in](http://evil)", "\\[Sign in\\](http\\:\u2060//evil)"),
    ("![p](http://x/p.png)", "\\!\\[p\\](http\\:\u2060//x/p.png)"),
    (":red[alarm]", "\\:\u2060red\\[alarm\\]"),
    (":streamlit:", "\\:\u2060streamlit:"),
    ("<b>bold</b>", "\\<b\\>bold\\</b\\>"),
    ("$x^2$", "\\$x^2\\$"),
    ("_em_ *em* `code` ~~s~~", "\\_em\\_ \\*em\\* \\`code\\` \\~\\~s\\~\\~"),
    ("a@b.com www.evil.example", "a\u2060@b.com www\u2060.evil.example"),
    ("# Heading", "\\# Heading"),
    ("- item", "\\- item"),
    ("12. item", "12\\. item"),
    ("two\nlines", "two lines"),
])
def test_what_would_act_is_escaped(text, expected):
    assert md(text) == expected
