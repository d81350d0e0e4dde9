"""present/exports.slug: the one maker of download and pack file names from outside text."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.present import exports, links, pack


@pytest.mark.parametrize("parts,expected", [
    (("compare", "2026-Q3"), "compare-2026-q3"),
    (("profile", "Harbour Civils", "2026-Q1"), "profile-harbour-civils-2026-q1"),
    (("evidence", "Zürich Bau AG", "2026-Q2"), "evidence-zurich-bau-ag-2026-q2"),
    (("profile", "Société Générale d'Études", "2026-Q2"), "profile-societe-generale-d-etudes-2026-q2"),
    (("invalid-rows", "../../etc/passwd"), "invalid-rows-etc-passwd"),
    (("invalid-rows", "pulse survey (final) v2.xlsx"), "invalid-rows-pulse-survey-final-v2-xlsx"),
    (("profile", "北京建设", "2026-Q3"), "profile-2026-q3"),  # nothing left of a part: no '--'
    (("profile", "Acme ![x](http://127.0.0.9:9/x.png) [Sign in](http://evil)", "2026-Q4"),
     "profile-acme-x-http-127-0-0-9-9-x-png-sign-in-http-evil-2026-q4"),
])
def test_slug(parts, expected):
    assert exports.slug(*parts) == expected


@given(st.lists(st.text(max_size=40), max_size=4))
def test_slug_is_always_a_plain_file_name_stem(parts):
    stem = exports.slug("download", *parts)
    assert stem.startswith("download")
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in stem), stem
    assert "--" not in stem and not stem.endswith("-")


def test_a_pack_of_a_partner_with_an_accented_name_is_named_by_it():
    state = links.LinkState(page="partner", partner="Zürich Bau AG", wave="2026-Q2", asof=7)
    assert pack.pack_filename(state, "pdf", today=date(2026, 12, 6)) == \
        "steering-pack-partner-zurich-bau-ag-2026-q2-v7-2026-12-06.pdf"
