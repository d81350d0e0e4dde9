"""No group can be worked out by comparing two data versions (issue 19 item 1).

Each test plays an attacker who can open every version: the latest data, any pin, and the
versions before and after an undo or a re-load. Scenarios are the traps written down in the
issue; tests/test_privacy_history.py runs random histories against the same rule.
"""
from __future__ import annotations

import io

import builders as b
import pandas as pd
import pytest

from pipelines import cli
from pipelines.programme.factors import FACTORS, INDEX
from pipelines.query import releases, scores

W, START = "2025-Q1", "2025-01-01"
K = 5


def setup(store, names):
    ids = b.add_partners(store, names)
    b.load(store, "instrument_items", b.instrument())
    return ids


def people(partner: int, count: int, prefix: str, value=None) -> list[dict]:
    """``count`` respondents of a partner keyed '<prefix>-r<j>'; answers vary with j unless ``value``."""
    answers = [b.all_items(value if value is not None else 1 + (j * 7 + partner) % 5) for j in range(count)]
    return b.responses(partner, W, START, answers, prefix=prefix)


def frame_at(store, version=None):
    cursor = store.cursor()
    factors = scores.factor_scores(cursor, asof=version, k=K)
    index = scores.index_scores(cursor, asof=version, k=K).assign(factor=INDEX)
    return pd.concat([factors, index], ignore_index=True)


def cell(frame, partner, factor="shared_goals"):
    sel = frame[(frame["partner"] == partner) & (frame["factor"] == factor)]
    assert len(sel) == 1, sel
    return sel.iloc[0]


def shown(frame) -> dict:
    rows = frame[~frame["suppressed"]]
    return {(r.partner, r.wave, r.factor): (int(r.n), round(float(r.score), 9)) for r in rows.itertuples()}


def assert_no_small_difference(frames: dict) -> None:
    """The issue's acceptance rule, over every pair of versions: a group shown in both either has the
    same value or counts that differ by 0 or at least k."""
    items = list(frames.items())
    for i, (v1, f1) in enumerate(items):
        for v2, f2 in items[i + 1:]:
            a, c = shown(f1), shown(f2)
            for group in set(a) & set(c):
                if a[group] != c[group]:
                    gap = abs(a[group][0] - c[group][0])
                    assert gap == 0 or gap >= K, (v1, v2, group, a[group], c[group])


def test_a_late_respondent_loaded_then_undone_is_never_shown(store):
    """The measured case: Alder 5, Birch 6, Cedar 7; one late respondent for Alder; undone."""
    ids = setup(store, ["Alder Works", "Birch Lane", "Cedar Group"])
    wave = b.load(store, "survey_responses", people(ids["Alder Works"], 5, "alder")
                  + people(ids["Birch Lane"], 6, "birch") + people(ids["Cedar Group"], 7, "cedar"))
    late = b.load(store, "survey_responses", people(ids["Alder Works"], 1, "alder-late", value=1))
    undone = b.undo(store, late)
    frames = {v: frame_at(store, v) for v in (wave, late, undone, None)}
    for version, frame in frames.items():
        programme = cell(frame, "Programme")
        assert programme["n"] == 18, version
        assert cell(frame, "Alder Works")["n"] == 5
    assert shown(frames[wave]) == shown(frames[late]) == shown(frames[undone]) == shown(frames[None])
    assert (frames[late]["pending"].dropna().unique().tolist()
            == ["1 late response is not shown yet"])
    assert set(frames[late].loc[frames[late]["pending"].notna(), "partner"]) == {"Alder Works", "Programme"}
    assert frames[undone]["pending"].isna().all()
    # the command line says the same at every version
    for version in (wave, late, undone):
        out = io.StringIO()
        assert cli.main(["scores", "--asof", str(version)], store=store, out=out, err=io.StringIO()) == 0
        lines = [line for line in out.getvalue().splitlines() if line.startswith("Programme,2025-Q1,shared_goals,")]
        assert lines[0].split(",")[4] == "18"
        assert lines[0].endswith("1 late response is not shown yet" if version == late else ",")


def test_k_late_respondents_are_shown_and_k_minus_one_more_wait(store):
    ids = setup(store, ["Alder Works", "Birch Lane"])
    first = b.load(store, "survey_responses", people(ids["Alder Works"], 6, "a") + people(ids["Birch Lane"], 6, "b"))
    five = b.load(store, "survey_responses", people(ids["Alder Works"], 5, "a-late"))
    four = b.load(store, "survey_responses", people(ids["Alder Works"], 4, "a-later"))
    assert cell(frame_at(store, first), "Alder Works")["n"] == 6
    assert cell(frame_at(store, five), "Alder Works")["n"] == 11   # five more: a new release
    at_four = frame_at(store, four)
    assert cell(at_four, "Alder Works")["n"] == 11                 # four more: not yet
    assert cell(at_four, "Alder Works")["pending"] == "4 late responses are not shown yet"
    assert cell(at_four, "Programme")["n"] == 17
    assert_no_small_difference({v: frame_at(store, v) for v in (first, five, four)})


def test_a_change_is_checked_against_every_earlier_release_not_only_the_last(store):
    """A (10 people); B = A + 5 (shown); C = B with 3 of A and 2 of B's five answering anew: against
    B that is 5 people gone and 5 come (safe), but against A only 3 of its people are gone, so
    sum(C) - sum(A) would mix just those 3 with the rest: C is never shown."""
    ids = setup(store, ["Alder Works", "Birch Lane"])
    alder = ids["Alder Works"]
    a = b.load(store, "survey_responses", people(alder, 10, "a") + people(ids["Birch Lane"], 8, "b"))
    b_ = b.load(store, "survey_responses", people(alder, 5, "x"))
    c = b.load(store, "survey_responses", b.responses(alder, W, START, [b.all_items(5)] * 3, prefix="a")
               + b.responses(alder, W, START, [b.all_items(5)] * 2, prefix="x"))
    frames = {v: frame_at(store, v) for v in (a, b_, c)}
    assert cell(frames[a], "Alder Works")["n"] == 10 and cell(frames[b_], "Alder Works")["n"] == 15
    assert shown(frames[c]) == shown(frames[b_])
    assert cell(frames[c], "Alder Works")["pending"] == "5 changed responses are not shown yet"
    assert_no_small_difference(frames)


def test_a_change_of_fewer_than_k_each_way_is_not_shown_though_k_people_moved(store):
    """B = A + 5 (3 then 2); then the 3 are undone and 2 others arrive: 5 people moved since B, but 3
    left and 2 came, and either sum would give them away."""
    ids = setup(store, ["Alder Works", "Birch Lane"])
    alder = ids["Alder Works"]
    a = b.load(store, "survey_responses", people(alder, 10, "a") + people(ids["Birch Lane"], 8, "b"))
    three = b.load(store, "survey_responses", people(alder, 3, "x3"))
    two = b.load(store, "survey_responses", people(alder, 2, "x2"))  # A + 5: shown
    gone = b.undo(store, three)
    came = b.load(store, "survey_responses", people(alder, 2, "y"))
    frames = {v: frame_at(store, v) for v in (a, three, two, gone, came)}
    # after the undo (12) and the two arrivals (14) the nearest release shown before is A (10)
    assert [cell(frames[v], "Alder Works")["n"] for v in (a, three, two, gone, came)] == [10, 10, 15, 10, 10]
    assert cell(frames[three], "Alder Works")["pending"] == "3 late responses are not shown yet"
    assert cell(frames[gone], "Alder Works")["pending"] == "2 late responses are not shown yet"
    assert cell(frames[came], "Alder Works")["pending"] == "4 late responses are not shown yet"
    assert shown(frames[came]) == shown(frames[a])
    assert_no_small_difference(frames)


def test_the_small_group_stays_hidden_until_its_complement_changes_too(store):
    """Version 1: H 4 (hidden), S 6 hidden to protect it, the programme shown. H gets five more: shown
    now, with S (same people) shown too, programme(v1) - shown(v1) - S(v2) would be H's 4 people."""
    ids = setup(store, ["H", "S", "T", "U"])
    first = b.load(store, "survey_responses", people(ids["H"], 4, "h") + people(ids["S"], 6, "s")
                   + people(ids["T"], 8, "t") + people(ids["U"], 12, "u"))
    v1 = frame_at(store, first)
    assert cell(v1, "H")["suppression_reason"] == scores.Suppression.SMALL_GROUP
    assert cell(v1, "S")["suppression_reason"] == scores.Suppression.COMPLEMENT
    grown = b.load(store, "survey_responses", people(ids["H"], 5, "h-late"))
    v2 = frame_at(store, grown)
    assert cell(v2, "H")["suppressed"] and cell(v2, "S")["suppressed"]
    assert cell(v2, "H")["pending"] == "5 late responses are not shown yet"
    assert shown(v1) == shown(v2)
    # once S changes by k as well, both are shown: neither release's hidden set can be isolated
    s_grown = b.load(store, "survey_responses", people(ids["S"], 5, "s-late"))
    v3 = frame_at(store, s_grown)
    assert not cell(v3, "H")["suppressed"] and cell(v3, "H")["n"] == 9
    assert not cell(v3, "S")["suppressed"] and cell(v3, "S")["n"] == 11
    assert v3["pending"].isna().all()
    assert_no_small_difference({first: v1, grown: v2, s_grown: v3})


def test_the_group_hidden_beside_a_small_one_stays_the_same(store):
    """S, hidden to protect H, grows by five: it stays the one hidden (had T, the smallest now,
    been hidden instead, programme(v2) - shown(v2) - T(v1) would be H)."""
    ids = setup(store, ["H", "S", "T", "U"])
    b.load(store, "survey_responses", people(ids["H"], 4, "h") + people(ids["S"], 6, "s")
           + people(ids["T"], 8, "t") + people(ids["U"], 12, "u"))
    grown = b.load(store, "survey_responses", people(ids["S"], 5, "s-late"))
    v2 = frame_at(store, grown)
    assert cell(v2, "S")["suppression_reason"] == scores.Suppression.COMPLEMENT
    assert not cell(v2, "T")["suppressed"]
    assert cell(v2, "Programme")["n"] == 35 and v2["pending"].isna().all()  # S's five count


def test_a_small_group_arriving_late_cannot_make_a_group_shown_before_its_complement(store):
    """The mirror case: S, T, U are shown; then H (4) arrives. Hiding S beside it (the smallest) would
    let programme(v2) - shown(v2) - S(v1) give H's 4 people, so H waits and what was shown stays."""
    ids = setup(store, ["H", "S", "T", "U"])
    first = b.load(store, "survey_responses", people(ids["S"], 6, "s") + people(ids["T"], 8, "t")
                   + people(ids["U"], 12, "u"))
    late = b.load(store, "survey_responses", people(ids["H"], 4, "h"))
    v1, v2 = frame_at(store, first), frame_at(store, late)
    assert shown(v2) == shown(v1) and not v2["suppressed"].any()
    assert "H" not in set(v2["partner"])
    assert cell(v2, "Programme")["n"] == 26
    assert cell(v2, "Programme")["pending"] == "4 late responses are not shown yet"
    # once another group is hidden with it (two small groups need no complement), H is there, hidden
    g = b.add_partners(store, ["G"])["G"]
    both = b.load(store, "survey_responses", people(g, 3, "g"))
    v3 = frame_at(store, both)
    assert cell(v3, "H")["suppression_reason"] == cell(v3, "G")["suppression_reason"] == scores.Suppression.SMALL_GROUP
    assert not cell(v3, "S")["suppressed"] and cell(v3, "Programme")["n"] == 33
    assert_no_small_difference({first: v1, late: v2, both: v3})


def test_an_index_whose_n_would_move_by_fewer_than_k_keeps_its_release(store):
    """Per factor the change is 0 or 5 people, but the index's n (its smallest factor n) would move
    from 10 to 14: its value would change with 4 people between."""
    ids = setup(store, ["Alder Works", "Birch Lane"])
    alder = ids["Alder Works"]
    no_first = {k: v for k, v in b.all_items(4).items() if not k.startswith(FACTORS[0])}
    only_first = {k: v for k, v in b.all_items(2).items() if k.startswith(FACTORS[0])}
    base = b.load(store, "survey_responses",
                  people(alder, 10, "a") + b.responses(alder, W, START, [no_first] * 4, prefix="nf")
                  + people(ids["Birch Lane"], 9, "b"))
    v1 = frame_at(store, base)
    assert [cell(v1, "Alder Works", f)["n"] for f in (*FACTORS, INDEX)] == [10, 14, 14, 14, 14, 10]
    more = b.load(store, "survey_responses", b.responses(alder, W, START, [only_first] * 5, prefix="of"))
    v2 = frame_at(store, more)
    assert [cell(v2, "Alder Works", f)["n"] for f in (*FACTORS, INDEX)] == [10, 14, 14, 14, 14, 10]
    assert cell(v2, "Alder Works", INDEX)["pending"] == "5 late responses are not shown yet"
    assert_no_small_difference({base: v1, more: v2})


def test_reloading_the_same_answers_changes_nothing_and_a_wave_undone_whole_disappears(store):
    ids = setup(store, ["Alder Works", "Birch Lane"])
    rows = people(ids["Alder Works"], 6, "a") + people(ids["Birch Lane"], 3, "b")
    first = b.load(store, "survey_responses", rows)
    with pytest.raises(ValueError, match="loaded already"):  # the very same file makes no version
        b.load(store, "survey_responses", rows)
    # the same answers exported again, respondents in another order: a file of its own
    again = b.load(store, "survey_responses", rows[::-1], source="pulse (1).csv")
    assert again == first + 1
    assert shown(frame_at(store, first)) == shown(frame_at(store, again))
    assert frame_at(store, again)["pending"].isna().all()
    b.undo(store, again)
    gone = b.undo(store, first)
    assert scores.factor_scores(store.cursor(), asof=gone, k=K).empty
    assert scores.factor_scores(store.cursor(), k=K).empty


def test_a_corrected_reload_of_an_undone_wave_shows_the_earlier_release_until_k_change(store):
    """Loaded, undone (nothing shown), re-loaded with one answer corrected: showing the correction
    would give that person's change away against the first version, so the first stays."""
    ids = setup(store, ["Alder Works", "Birch Lane"])
    rows = people(ids["Alder Works"], 6, "a") + people(ids["Birch Lane"], 7, "b")
    first = b.load(store, "survey_responses", rows)
    gone = b.undo(store, first)
    corrected = [dict(r, value=5.0) if r["respondent"] == rows[0]["respondent"] else r for r in rows]
    again = b.load(store, "survey_responses", corrected)
    frames = {v: frame_at(store, v) for v in (first, gone, again)}
    assert frames[gone].empty
    assert shown(frames[again]) == shown(frames[first])
    assert cell(frames[again], "Alder Works")["pending"] == "1 changed response is not shown yet"
    assert_no_small_difference(frames)


def test_the_lead_partner_is_not_the_group_hidden_to_protect_a_small_one(store, monkeypatch):
    ids = setup(store, ["Client", "Contractor", "Designer", "Tiny"])
    b.load(store, "survey_responses", people(ids["Client"], 6, "c") + people(ids["Contractor"], 9, "k")
           + people(ids["Designer"], 8, "d") + people(ids["Tiny"], 3, "t"))
    cursor = store.cursor()
    plain = scores.factor_scores(cursor, k=K)
    assert cell(plain, "Client")["suppression_reason"] == scores.Suppression.COMPLEMENT  # the smallest
    monkeypatch.setenv("PARTNERSHIP_LEAD_PARTNER", "client")  # names match without regard to case
    led = scores.factor_scores(cursor, k=K)
    assert not cell(led, "Client")["suppressed"]
    assert cell(led, "Designer")["suppression_reason"] == scores.Suppression.COMPLEMENT  # the next smallest


def test_the_lead_partner_alone_beside_a_small_one_keeps_its_row_and_the_programme_is_hidden(store, monkeypatch):
    ids = setup(store, ["Client", "Tiny"])
    b.load(store, "survey_responses", people(ids["Client"], 9, "c") + people(ids["Tiny"], 3, "t"))
    monkeypatch.setenv("PARTNERSHIP_LEAD_PARTNER", "Client")
    frame = scores.factor_scores(store.cursor(), k=K)
    assert not cell(frame, "Client")["suppressed"]
    assert cell(frame, "Programme")["suppression_reason"] == scores.Suppression.COMPLEMENT


def test_the_demo_never_hides_its_client_to_protect_another(demo, monkeypatch):
    from pipelines.store import Store

    store = Store(demo / "demo.duckdb")
    try:
        frame = scores.factor_scores(store.cursor())
        complement = frame[frame["suppression_reason"] == scores.Suppression.COMPLEMENT]
        assert len(complement) == 6 * len(FACTORS)  # six waves need a second hidden group
        assert "Northline Infrastructure" not in set(complement["partner"])
        monkeypatch.setenv("PARTNERSHIP_LEAD_PARTNER", "nobody by this name")  # the rule without a lead
        plain = scores.factor_scores(store.cursor())
        assert set(plain.loc[plain["suppression_reason"] == scores.Suppression.COMPLEMENT, "partner"]) == {
            "Northline Infrastructure"}
        # as many cells shown either way: 180 of 240 partner x wave x factor cells
        for shown_frame in (frame, plain):
            partners = shown_frame[shown_frame["partner_id"].notna()]
            assert (~partners["suppressed"]).sum() == 180 and len(partners) == 240
    finally:
        store.close()


@pytest.mark.parametrize(("counts", "text"), [
    ((1, 0, 0), "1 late response is not shown yet"),
    ((0, 0, 5), "5 changed responses are not shown yet"),
    ((0, 1, 0), "1 withdrawn response is still counted"),
    ((2, 0, 2), "2 late and 2 changed responses are not shown yet"),
    ((1, 0, 1), "1 late and 1 changed responses are not shown yet"),
    ((2, 1, 0), "2 late responses are not shown yet; 1 withdrawn response is still counted"),
    ((0, 0, 0), None),
])
def test_a_note_names_each_kind_of_response_not_shown(counts, text):
    assert releases.note(*counts) == text


def test_a_late_batch_does_not_give_away_one_respondents_answer_to_a_question(store):
    from pipelines.query import items

    ids = setup(store, ["Alder Works", "Birch Lane"])
    first = b.load(store, "survey_responses", people(ids["Alder Works"], 6, "a") + people(ids["Birch Lane"], 6, "b"))
    skipped = {item: value for item, value in b.all_items(3).items() if item != "shared_goals_2"}
    late = b.load(store, "survey_responses", b.responses(ids["Alder Works"], W, START,
                                                         [b.all_items(4)] + [skipped] * 4, prefix="a-late"))
    waiting = cell(frame_at(store, late), "Alder Works")
    # five more in every factor, but one more alone on shared_goals_2: the batch waits
    assert (waiting["n"], waiting["pending"]) == (6, "5 late responses are not shown yet")

    def shown_items(version):
        frame = items.items(store.cursor(), wave=W, asof=version, k=K)
        return {(r.item_id, r.partner): int(r.n) for r in frame[~frame["suppressed"]].itertuples()}

    before, after = shown_items(first), shown_items(late)
    for group in set(before) & set(after):
        gap = abs(after[group] - before[group])
        assert gap == 0 or gap >= K, (group, before[group], after[group])


def test_a_question_hidden_for_few_answers_is_not_given_away_when_its_group_grows(store):
    """Three of Alder's eight answered a question (hidden, Birch hidden beside it); five late Alder
    respondents all answer it. Shown at once, the programme's gain (5) less Alder's 8 would leave
    the three's answers: Alder's batch waits until the question can be shown safely."""
    from pipelines.query import items

    ids = setup(store, ["Alder Works", "Birch Lane", "Cedar Group"])
    skipped = {item: value for item, value in b.all_items(2).items() if item != "open_communication_1"}
    first = b.load(store, "survey_responses", b.responses(ids["Alder Works"], W, START,
                                                          [b.all_items(5)] * 3 + [skipped] * 5, prefix="a")
                   + people(ids["Birch Lane"], 6, "b") + people(ids["Cedar Group"], 6, "c"))
    late = b.load(store, "survey_responses", b.responses(ids["Alder Works"], W, START, [b.all_items(1)] * 5,
                                                         prefix="a-late"))

    def question(version):
        frame = items.items(store.cursor(), wave=W, asof=version, k=K)
        rows = frame[frame["item_id"].eq("open_communication_1")]
        return {r.partner: (None if r.suppressed else int(r.n)) for r in rows.itertuples()}

    assert question(first) == {"Programme": 15, "Alder Works": None, "Birch Lane": None, "Cedar Group": 6}
    assert question(late) == question(first)
    assert cell(frame_at(store, late), "Alder Works")["pending"] == "5 late responses are not shown yet"


def test_a_question_is_hidden_as_the_release_decides_never_the_lead_partner(store, monkeypatch):
    """The item view hides what the scores' release decides for the question: beside a small group,
    the smallest other partner but not the lead partner."""
    from pipelines.query import items

    monkeypatch.setenv("PARTNERSHIP_LEAD_PARTNER", "Alder Works")
    ids = setup(store, ["Alder Works", "Birch Lane", "Cedar Group"])
    skipped = {item: value for item, value in b.all_items(2).items() if item != "open_communication_1"}
    b.load(store, "survey_responses", people(ids["Alder Works"], 5, "a")
           + b.responses(ids["Birch Lane"], W, START, [b.all_items(4)] * 2 + [skipped] * 4, prefix="b")
           + people(ids["Cedar Group"], 7, "c"))
    frame = items.items(store.cursor(), wave=W, k=K)
    rows = frame[frame["item_id"].eq("open_communication_1")]
    assert {r.partner: (r.suppressed, r.reason) for r in rows.itertuples()} == {
        "Programme": (False, None), "Alder Works": (False, None),
        "Birch Lane": (True, scores.Suppression.SMALL_GROUP), "Cedar Group": (True, scores.Suppression.COMPLEMENT)}
