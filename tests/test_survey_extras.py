"""A survey's partner-to-partner ratings and comments: found in the export's own header shapes
(Google Forms, Qualtrics, SurveyMonkey), checked, scrubbed of personal data, loaded in the survey's
batch, and undone with it."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from survey_files import COMMENT, RATING, csv_text, load, programme, run, survey, write

from pipelines import ingest

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
PARTNERS = ["Alder Works", "Birch Lane", "Cedar Group"]


def rows(store, sql, params=None):
    return store.cursor().execute(sql, params or []).fetchall()


RATINGS_SQL = """SELECT r.name, t.name, x.wave, x.question, x.value, x.scale_min, x.scale_max
    FROM partner_ratings x JOIN partners r ON r.partner_id = x.partner_id JOIN partners t ON t.partner_id = x.target_id
    WHERE x.current ORDER BY 1, 2, 5"""
COMMENTS_SQL = """SELECT p.name, c.wave, c.question, c.text FROM survey_comments c JOIN partners p USING (partner_id)
    WHERE c.current ORDER BY 1, 4"""


@pytest.fixture
def three(store, tmp_path):
    programme(tmp_path, PARTNERS, store=store)
    return store


def test_google_forms_grid_columns_naming_partners_are_ratings_of_the_respondents_organisation(three, tmp_path):
    text = survey("2025-Q3", {"Alder Works": 2, "Birch Lane": 1}, targets=("Alder Works", "Birch Lane", "Cedar Group"),
                  ratings={("Alder Works", "Birch Lane"): [4, "Strongly agree"], ("Alder Works", "Cedar Group"): [2],
                           ("Alder Works", "Alder Works"): [5, 5], ("Birch Lane", "Alder Works"): [1]})
    out = load(tmp_path, "survey", "pulse.csv", text, store=three)
    assert out == "Loaded 3 of 3 rows of pulse.csv as batch 3 (6 answers).\n"
    assert rows(three, RATINGS_SQL) == [  # a rating of one's own organisation is not kept
        ("Alder Works", "Birch Lane", "2025-Q3", RATING, 4.0, 1, 5),
        ("Alder Works", "Birch Lane", "2025-Q3", RATING, 5.0, 1, 5),
        ("Alder Works", "Cedar Group", "2025-Q3", RATING, 2.0, 1, 5),
        ("Birch Lane", "Alder Works", "2025-Q3", RATING, 1.0, 1, 5)]


def test_the_note_names_the_rated_partners_and_a_grid_row_naming_nobody_is_not_loaded(three, tmp_path):
    text = survey("2025-Q3", {"Alder Works": 1}, targets=("Birch Lane", "Oak Hill"),
                  ratings={("Alder Works", "Birch Lane"): [3], ("Alder Works", "Oak Hill"): [4]})
    preview = ingest.prepare(three, "survey", "pulse.csv", text.encode())
    assert "1 columns rate other partners (Birch Lane): loaded as partner ratings with the survey." in preview.notes
    assert preview.unmatched_columns == [f"{RATING} [Oak Hill]"]


QUALTRICS = [  # three header rows: ids, question texts, import ids (as tests/fixtures/exports/qualtrics_pulse.csv)
    ["ResponseId", "Finished", "RecordedDate", "Q1", "Q2_1", "Q2_2", "Q5_1", "Q5_2", "Q6"],
    ["Response ID", "Finished", "Recorded Date", "Which organisation do you work for?",
     "How strongly do you agree? - We agreed the programme goals together",
     "How strongly do you agree? - I can admit a mistake to another partner",
     "How well does your organisation work with each partner? - Birch Lane",
     "How well does your organisation work with each partner? - Cedar Group",
     "Anything else you would like to tell us? - Text"],
    ['{"ImportId":"_recordId"}', '{"ImportId":"finished"}', '{"ImportId":"recordedDate"}', '{"ImportId":"QID1"}',
     '{"ImportId":"QID2_1"}', '{"ImportId":"QID2_2"}', '{"ImportId":"QID5_1"}', '{"ImportId":"QID5_2"}',
     '{"ImportId":"QID6_TEXT"}'],
    ["R_a1", "True", "2025-08-14 09:05:41", "Alder Works", "Agree", "Agree", "Somewhat agree", "Disagree",
     "See www.alder.example.com/plan, or mail jo@alder.example.com"],
    ["R_a2", "True", "2025-08-14 10:20:04", "Alder Works", "Agree", "Disagree", "Strongly agree", "", ""],
    ["R_b1", "True", "2025-08-15 16:47:52", "BL", "Agree", "Agree", "", "Agree", "Phone me on +44 113 496 0000"],
]


def qualtrics_bytes(table) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(table)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode()


def test_qualtrics_ratings_are_found_through_the_question_text_and_aliases(three, tmp_path):
    load(tmp_path, "partners", "aliases.csv", "Partner,Aliases\nBirch Lane,BL\n", store=three)
    (tmp_path / "qualtrics.csv").write_bytes(qualtrics_bytes(QUALTRICS))
    code, out, err = run("load", "--dataset", "survey", tmp_path / "qualtrics.csv", store=three)
    assert code == 0, err
    # Qualtrics' 5-point 'Somewhat agree' is 4 on 1-5; the survey's scale is its items' (1-5)
    assert rows(three, RATINGS_SQL) == [
        ("Alder Works", "Birch Lane", "2025-Q3", "How well does your organisation work with each partner?", 4.0, 1, 5),
        ("Alder Works", "Birch Lane", "2025-Q3", "How well does your organisation work with each partner?", 5.0, 1, 5),
        ("Alder Works", "Cedar Group", "2025-Q3", "How well does your organisation work with each partner?", 2.0, 1, 5),
        ("Birch Lane", "Cedar Group", "2025-Q3", "How well does your organisation work with each partner?", 4.0, 1, 5)]
    assert rows(three, COMMENTS_SQL) == [
        ("Alder Works", "2025-Q3", "Anything else you would like to tell us? - Text",
         "See [web address], or mail [email]"),
        ("Birch Lane", "2025-Q3", "Anything else you would like to tell us? - Text", "Phone me on [phone]")]


SURVEYMONKEY = (  # two header rows, the grid's title over its statements (tests/fixtures/exports/surveymonkey_pulse.csv)
    "Respondent ID,Collector ID,End Date,Which organisation do you work for?,"
    "How strongly do you agree with each statement?,,How well do we work with each partner?,,Any other comments?\r\n"
    ",,,Response,We agreed the programme goals together,I can admit a mistake to another partner,Alder Works,"
    "Cedar Group,Open-Ended Response\r\n"
    "118234567890,431234567,08/14/2025 09:05:40 AM,Birch Lane,Agree,Agree,Agree,Neither agree nor disagree,\r\n"
    "118234567891,431234567,08/14/2025 10:20:03 AM,Cedar Group,Agree,Agree,Disagree,,Clearer roles would help\r\n")


def test_surveymonkey_grid_statements_under_one_title_are_ratings(three, tmp_path):
    load(tmp_path, "survey", "monkey.csv", SURVEYMONKEY, store=three)
    assert rows(three, RATINGS_SQL) == [
        ("Birch Lane", "Alder Works", "2025-Q3", "How well do we work with each partner?", 4.0, 1, 5),
        ("Birch Lane", "Cedar Group", "2025-Q3", "How well do we work with each partner?", 3.0, 1, 5),
        ("Cedar Group", "Alder Works", "2025-Q3", "How well do we work with each partner?", 2.0, 1, 5)]
    assert rows(three, COMMENTS_SQL) == [("Cedar Group", "2025-Q3", "Any other comments?", "Clearer roles would help")]


def test_a_partner_named_only_in_the_organisation_column_can_be_rated(three, tmp_path):
    text = survey("2025-Q3", {"Alder Works": 1, "Oak Hill": 1}, targets=("Oak Hill",),
                  ratings={("Alder Works", "Oak Hill"): [2]})
    out = load(tmp_path, "survey", "pulse.csv", text, store=three)
    assert "new partners: Oak Hill" in out
    assert rows(three, RATINGS_SQL) == [("Alder Works", "Oak Hill", "2025-Q3", RATING, 2.0, 1, 5)]


def test_a_rating_off_the_scale_fails_its_row_with_the_files_column(three, tmp_path):
    text = survey("2025-Q3", {"Alder Works": 2}, targets=("Birch Lane",),
                  ratings={("Alder Works", "Birch Lane"): [4, 9]})
    path = write(tmp_path, "pulse.csv", text)
    code, out, err = run("load", "--dataset", "survey", path, store=three)
    assert code == 1 and out == ""
    assert (f"pulse.csv: row 3, column '{RATING} [Birch Lane]': The answer is outside the question's scale. "
            "Use a value on the scale, or leave it blank if the question was skipped. (value: '9')") in err
    assert rows(three, "SELECT count(*) FROM partner_ratings") == [(0,)]
    code, out, err = run("load", "--dataset", "survey", "--accept-valid", path, store=three)
    assert code == 0 and "1 invalid rows not loaded" in out
    assert rows(three, RATINGS_SQL) == [("Alder Works", "Birch Lane", "2025-Q3", RATING, 4.0, 1, 5)]
    assert rows(three, "SELECT count(DISTINCT respondent_key) FROM survey_responses") == [(1,)]  # the whole row out
    assert run("rejected", "3", store=three)[1].splitlines()[1].startswith(
        f"3,{RATING} [Birch Lane],answer_within_scale,9,")


def test_comments_lose_emails_phones_web_addresses_and_the_names_in_the_name_columns(three, tmp_path):
    forms = csv_text(["ID", "Start time", "Completion time", "Email", "Name", "Which organisation do you work for?",
                      "We agreed the programme goals together", "What should change, and why?"], [
        [1, "8/14/25 9:01:12", "8/14/25 9:05:40", "priya.shah@alder.example", "Priya Shah", "Alder Works", "Agree",
         "Ask priya or Morgan about the plan; Shah's team at http://intranet.example/x is fine"],
        [2, "8/14/25 9:11:12", "8/14/25 9:15:40", "alex.morgan@alder.example", "Alex Morgan", "Alder Works", "Agree",
         "Call 020 7946 0018 or 07700 900123. The budget (£1,200,000) is due 2025-03-31."],
    ])
    preview = ingest.prepare(three, "survey", "forms.csv", forms.encode())
    assert preview.personal_columns == ["Email", "Name"]
    assert any(note.startswith("Kept as comments") and "What should change, and why?" in note
               for note in preview.notes)
    ingest.commit(three, preview)
    assert rows(three, COMMENTS_SQL) == [
        ("Alder Works", "2025-Q3", "What should change, and why?",
         "Ask [name] or [name] about the plan; [name]'s team at [web address] is fine"),
        ("Alder Works", "2025-Q3", "What should change, and why?",
         "Call [phone] or [phone]. The budget (£1,200,000) is due 2025-03-31.")]
    # every stored text (the respondent keys are salted hashes: a run of digits may show up in one)
    everything = repr(rows(three, "SELECT * EXCLUDE (respondent_key) FROM survey_comments"))
    for personal in ("Priya", "priya", "Morgan", "Shah", "@", "7946", "intranet"):
        assert personal not in everything


@pytest.mark.parametrize("name, column, question", [
    ("qualtrics_pulse.csv", "Q3", "Anything else you would like to tell us?"),
    ("surveymonkey_pulse.csv", "Any other comments?", "Any other comments?"),
    ("google_forms_pulse.csv", "What one thing would improve the partnership?",
     "What one thing would improve the partnership?"),
])
def test_the_free_text_column_of_each_export_is_kept_as_comments(store, tmp_path, name, column, question):
    load(tmp_path, "instrument", "items.csv", "Item ID,Question text,Factor,Scale min,Scale max,Reverse-scored\n"
         "SG1,We agreed the programme goals together,shared goals,1,5,No\n", store=store)
    preview = ingest.prepare(store, "survey", name, (EXPORTS / name).read_bytes())
    assert column not in preview.unmatched_columns
    ingest.commit(store, preview)
    stored = rows(store, "SELECT DISTINCT question FROM survey_comments")
    assert stored == [(question,)]


def test_numbers_and_agreement_labels_in_an_unmatched_column_are_not_comments(three, tmp_path):
    text = csv_text(["Organisation", "Wave", "SG1", "How confident are you in the partnership (0-10)?",
                     "Team mood"], [["Alder Works", "2025-Q3", 4, 7, "Agree"], ["Birch Lane", "2025-Q3", 3, 9,
                                                                              "Strongly disagree"]])
    preview = ingest.prepare(three, "survey", "pulse.csv", text.encode())
    assert preview.unmatched_columns == ["How confident are you in the partnership (0-10)?", "Team mood"]
    ingest.commit(three, preview)
    assert rows(three, "SELECT count(*) FROM survey_comments") == [(0,)]


def test_undo_takes_back_the_ratings_and_comments_with_the_answers(three, tmp_path):
    text = survey("2025-Q3", {"Alder Works": 2}, targets=("Birch Lane",), ratings={("Alder Works", "Birch Lane"): [4, 3]},
                  comments={"Alder Works": ["More joint planning, please"]})
    load(tmp_path, "survey", "pulse.csv", text, store=three)
    assert run("undo", "3", store=three)[0] == 0
    for table in ("survey_responses", "partner_ratings", "survey_comments"):
        assert rows(three, f"SELECT count(*) FROM {table} WHERE current") == [(0,)]
        assert rows(three, f"SELECT count(*) FROM {table}") != [(0,)]  # kept for pinned views


def test_an_updated_export_replaces_a_respondents_rating_and_comment(three, tmp_path):
    first = survey("2025-Q3", {"Alder Works": 1}, targets=("Birch Lane",), ratings={("Alder Works", "Birch Lane"): [2]},
                   comments={"Alder Works": ["Slow decisions so far"]})
    again = survey("2025-Q3", {"Alder Works": 1}, targets=("Birch Lane",), ratings={("Alder Works", "Birch Lane"): [4]},
                   comments={"Alder Works": ["Much better since the workshop"]}, answer=lambda p, i: (5, 4))
    load(tmp_path, "survey", "q3.csv", first, store=three)
    load(tmp_path, "survey", "q3-final.csv", again, store=three)
    assert [r[4] for r in rows(three, RATINGS_SQL)] == [4.0]
    assert [r[3] for r in rows(three, COMMENTS_SQL)] == ["Much better since the workshop"]


def test_comment_question_with_a_blank_answer_stores_nothing_for_that_respondent(three, tmp_path):
    text = survey("2025-Q3", {"Alder Works": 3}, comments={"Alder Works": ["", "N/A", "Good"]})
    load(tmp_path, "survey", "pulse.csv", text, store=three)
    assert rows(three, COMMENTS_SQL) == [("Alder Works", "2025-Q3", COMMENT, "Good")]
