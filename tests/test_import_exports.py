"""Every export shape in tests/fixtures/exports, unedited, through ingest.prepare -> commit: the
same path the Data page and `python -m pipelines load` take. Each test asserts what lands in the
database (rows, partners, waves, values) and that no personal data gets there."""
import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from pipelines import ingest
from pipelines.ingest import privacy

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
D = dt.date

# The survey fixtures ask three statements of a programme's own instrument (not the default one):
# a programme can load its own instrument, and these tests do.
ITEMS = (
    "Item ID,Question text,Factor,Scale min,Scale max,Reverse-scored\r\n"
    "SG1,We agreed the programme goals together,shared goals,1,5,No\r\n"
    "JG1,Decisions are made jointly,joint governance,1,5,No\r\n"
    "PS1,I can raise problems without blame,psychological safety,1,5,No\r\n"
).encode()
PARTNERS = ("Partner,Aliases\r\nNorthgate Housing,Northgate\r\nRiverside Health Trust,RHT\r\n"
            "Eastfield Council,\r\n").encode()
NAMES = ["Eastfield Council", "Northgate Housing", "Riverside Health Trust"]


def fixture(name: str) -> bytes:
    return (EXPORTS / name).read_bytes()


def prepare(store, dataset, name, options=None, data=None):
    return ingest.prepare(store, dataset, name, fixture(name) if data is None else data, options)


def load(store, dataset, name, policy="all_or_nothing", options=None):
    preview = prepare(store, dataset, name, options)
    assert not preview.questions, preview.questions
    return preview, ingest.commit(store, preview, policy=policy)


def rows(store, sql, params=None):
    return store.cursor().execute(sql, params or []).fetchall()


@pytest.fixture
def programme(store):
    ingest.commit(store, ingest.prepare(store, "instrument", "items.csv", ITEMS))
    ingest.commit(store, ingest.prepare(store, "partners", "partners.csv", PARTNERS))
    return store


def answers(store):
    return rows(store, """SELECT p.name, r.wave, r.item_id, r.value FROM survey_responses r
        JOIN partners p USING (partner_id) WHERE r.current ORDER BY p.name, r.item_id, r.value""")


# ------------------------------------------------------------------------------ surveys
AGREE_3 = [  # the three respondents of the Qualtrics and SurveyMonkey fixtures
    ("Eastfield Council", "2025-Q3", "JG1", 4.0), ("Eastfield Council", "2025-Q3", "PS1", 4.0),
    ("Eastfield Council", "2025-Q3", "SG1", 5.0),
    ("Northgate Housing", "2025-Q3", "JG1", 5.0), ("Northgate Housing", "2025-Q3", "PS1", 3.0),
    ("Northgate Housing", "2025-Q3", "SG1", 4.0),
    ("Riverside Health Trust", "2025-Q3", "JG1", 2.0), ("Riverside Health Trust", "2025-Q3", "PS1", 4.0),
    ("Riverside Health Trust", "2025-Q3", "SG1", 2.0),
]
AGREE_2 = [a for a in AGREE_3 if a[2] != "PS1"]  # the Forms fixtures ask two of the statements
GOOGLE = [  # Google Forms: numbers 1-5, not labels
    ("Eastfield Council", "2025-Q3", "JG1", 4.0), ("Eastfield Council", "2025-Q3", "SG1", 5.0),
    ("Northgate Housing", "2025-Q3", "JG1", 5.0), ("Northgate Housing", "2025-Q3", "SG1", 4.0),
    ("Riverside Health Trust", "2025-Q3", "JG1", 2.0), ("Riverside Health Trust", "2025-Q3", "SG1", 2.0),
]

SURVEYS = {
    # file: (respondent-id column, date column, personal columns dropped, unmatched columns, answers)
    "qualtrics_pulse.csv": (
        "ResponseId", "RecordedDate",
        ["IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalReference"],
        [], AGREE_3),
    "surveymonkey_pulse.csv": (
        "Respondent ID", "End Date", ["IP Address", "Email Address", "First Name", "Last Name"],
        [], AGREE_3),
    "surveymonkey_pulse.xlsx": (
        "Respondent ID", "End Date", ["IP Address", "Email Address", "First Name", "Last Name"],
        [], AGREE_3),
    "google_forms_pulse.csv": (
        None, "Timestamp", ["Email Address"], [], GOOGLE),
    "ms_forms_pulse.xlsx": (
        "ID", "Completion time", ["Email", "Name"],
        ["How confident are you in the partnership (0-10)?"], AGREE_2),
}


@pytest.mark.parametrize("name", list(SURVEYS))
def test_survey_export_lands_long_with_partners_waves_and_values(programme, name):
    id_column, date_column, personal, unmatched, expected = SURVEYS[name]
    preview = prepare(programme, "survey", name)
    assert preview.mapping_confident, {f: (s.column, s.confidence) for f, s in preview.mapping.items()}
    assert preview.mapping["respondent_id"].column == id_column
    assert preview.mapping["response_date"].column == date_column
    assert preview.personal_columns == personal
    assert preview.unmatched_columns == unmatched
    assert sorted(preview.item_columns.values()) == sorted({a[2] for a in expected})
    assert {p.name: p.kind for p in preview.partners} == dict.fromkeys(NAMES, "known")
    assert not preview.questions and preview.validation.ok

    result = ingest.commit(programme, preview)
    assert (result.rows_in, result.rows_accepted, result.rows_rejected) == (3, 3, 0)
    assert result.new_partners == []
    assert answers(programme) == expected
    assert rows(programme, "SELECT DISTINCT wave, wave_start FROM survey_responses") == [("2025-Q3", D(2025, 7, 1))]
    assert rows(programme, "SELECT count(DISTINCT respondent_key) FROM survey_responses") == [(3,)]
    assert sorted(r[0] for r in rows(programme, "SELECT name FROM partners")) == NAMES


def test_qualtrics_question_ids_are_matched_through_their_question_text(programme):
    # shape confirmed against real files: ids, question text, then {"ImportId": ...} JSON in row 3
    # (ropensci/qualtRics tests/testthat/files/sample.csv; davemosk/FinSL-signbank
    # docs/validation_result_model.md)
    preview = prepare(programme, "survey", "qualtrics_pulse.csv")
    assert preview.item_columns == {"Q2_1": "SG1", "Q2_2": "JG1", "Q2_3": "PS1"}
    assert preview.mapping["partner"].column == "Q1"
    assert preview.raw.header_rows == 3


def test_survey_respondent_ids_are_pseudonymised(programme):
    load(programme, "survey", "qualtrics_pulse.csv")
    keys = [r[0] for r in rows(programme, "SELECT DISTINCT respondent_key FROM survey_responses")]
    ids = pd.Series(["id:R_1a2B3c4D5e6F7g8", "id:R_9z8Y7x6W5v4U3t2", "id:R_0q1W2e3R4t5Y6u7"])
    assert sorted(keys) == sorted(privacy.pseudonymise(ids, privacy.salt()))
    for (table,) in rows(programme, "SELECT table_name FROM information_schema.tables"):
        assert "1a2B3c" not in repr(rows(programme, f'SELECT * FROM "{table}"'))


def test_survey_partner_aliases_and_one_partner_for_the_whole_file(programme):
    data = ("Response ID,Wave,We agreed the programme goals together\r\n"
            "a1,2025-09,Agree\r\na2,2025-09,Strongly disagree\r\n").encode()
    preview = prepare(programme, "survey", "one-partner.csv", ingest.Options(partner="RHT"), data=data)
    assert not preview.questions, preview.questions
    ingest.commit(programme, preview)
    assert answers(programme) == [("Riverside Health Trust", "2025-09", "SG1", 1.0),
                                  ("Riverside Health Trust", "2025-09", "SG1", 4.0)]


def test_survey_without_wave_or_date_asks_for_the_wave(programme):
    data = b"Organisation,We agreed the programme goals together\r\nNorthgate,Agree\r\n"
    preview = prepare(programme, "survey", "no-wave.csv", data=data)
    assert any("Which wave" in q for q in preview.questions)
    preview = prepare(programme, "survey", "no-wave.csv", ingest.Options(wave="Q2 2025"), data=data)
    assert not preview.questions
    ingest.commit(programme, preview)
    assert answers(programme) == [("Northgate Housing", "2025-Q2", "SG1", 4.0)]


def test_no_name_email_or_ip_address_anywhere_in_the_database(programme):
    for name in SURVEYS:
        load(programme, "survey", name)
    assert rows(programme, "SELECT count(*) FROM survey_responses") == [(3 * 3 * 3 + 6 * 2,)]
    personal = re.compile(r"@|192\.0\.2\.|R_1a2B3c|R_9z8Y7x|R_0q1W2e|1182345678|a\.person|b\.person",
                          re.IGNORECASE)
    cursor = programme.cursor()
    tables = [r[0] for r in cursor.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]
    assert "survey_responses" in tables and "batches" in tables
    for table in tables:
        columns = [r[0] for r in cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()]
        for column in columns:
            for (value,) in cursor.execute(f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM {table}').fetchall():
                assert value is None or not personal.search(value), (table, column, value)


# ------------------------------------------------------------------------------ issue logs
ISSUES_SQL = """SELECT i.issue_id, i.title, i.kind, r.name, o.name, i.raised_date, i.resolved_date,
        i.severity, i.status, i.escalated
    FROM issues i JOIN partners r ON r.partner_id = i.raised_by_partner_id
    LEFT JOIN partners o ON o.partner_id = i.owned_by_partner_id WHERE i.current ORDER BY i.issue_id"""


def test_jira_export_with_repeated_columns(programme):
    preview, result = load(programme, "issues", "jira_issues.csv")
    assert preview.mapping_confident
    assert "Labels (2)" in preview.raw.frame.columns
    assert result.rows_accepted == 3 and result.new_partners == []
    assert rows(programme, ISSUES_SQL) == [
        ("PH-101", "Data sharing agreement not signed", "Risk", "Northgate Housing", "Riverside Health Trust",
         D(2025, 8, 14), None, "high", "Open", True),
        ("PH-102", "Referral volumes below plan", "Issue", "Eastfield Council", "Northgate Housing",
         D(2025, 7, 2), None, "medium", "In Progress", False),
        ("PH-103", "Disagreement on cost split", "Dispute", "Riverside Health Trust", "Eastfield Council",
         D(2025, 5, 20), D(2025, 6, 30), "critical", "Done", True),
    ]


def test_raid_log_saved_from_windows_excel(store):
    preview, result = load(store, "issues", "raid_log_windows.csv")
    assert preview.raw.encoding == "cp1252"
    assert any("title rows" in n for n in preview.notes)
    assert sorted(result.new_partners) == NAMES
    assert rows(store, ISSUES_SQL) == [
        ("D-003", "Café venue booking, café staff", "Dependency", "Eastfield Council", "Northgate Housing",
         D(2025, 4, 1), None, "low", "Open", False),
        ("I-002", "Partner’s data not received", "Issue", "Riverside Health Trust", "Eastfield Council",
         D(2025, 3, 17), None, "medium", "Closed", False),
        ("R-001", "Budget shortfall of £40k in year 2", "Risk", "Northgate Housing", "Riverside Health Trust",
         D(2025, 2, 3), None, "high", "Open", True),
    ]
    assert rows(store, "SELECT encoding FROM batches") == [("cp1252",)]


def test_raid_log_with_semicolons_and_dotted_dates(programme):
    preview, _ = load(programme, "issues", "raid_log_semicolon.csv")
    assert preview.raw.delimiter == ";"
    assert rows(programme, ISSUES_SQL) == [
        ("R-010", "Staff turnover; two leads leaving", "Risk", "Eastfield Council", None, D(2025, 5, 12), None,
         None, "Open", None),
        ("R-011", "Venue, parking and access", "Risk", "Northgate Housing", None, D(2025, 5, 19), None,
         None, "Open", None),
    ]  # no escalation column: unknown, not "no"


def test_raid_log_workbook_picks_the_log_sheet_or_the_one_chosen(programme):
    wrong = prepare(programme, "issues", "raid_log.xlsx", ingest.Options(sheet="Lookups"))
    assert wrong.raw.sheet == "Lookups"
    assert any("Issue id" in q for q in wrong.questions)
    preview, _ = load(programme, "issues", "raid_log.xlsx")
    assert preview.raw.sheets == ["Read me", "RAID log", "Lookups"]
    assert preview.raw.sheet == "RAID log"
    assert rows(programme, ISSUES_SQL) == [
        ("D-003", "Venue booking", "Dependency", "Eastfield Council", "Northgate Housing", D(2025, 4, 1), None,
         "low", None, None),
        ("I-002", "Data not received", "Issue", "Riverside Health Trust", "Eastfield Council", D(2025, 3, 17),
         D(2025, 4, 2), "medium", None, None),
        ("R-001", "Budget shortfall of £40k", "Risk", "Northgate Housing", "Riverside Health Trust",
         D(2025, 2, 3), None, "high", None, None),
    ]  # no escalation column


# ------------------------------------------------------------------------------ schedules
MILESTONES_SQL = """SELECT m.milestone_id, m.title,
        (SELECT list(p.name ORDER BY p.name) FROM partners p WHERE list_contains(m.owner_partner_ids, p.partner_id)),
        m.baseline_date, m.forecast_date, m.actual_date, m.status
    FROM milestones m WHERE m.current ORDER BY m.milestone_id"""


def test_ms_project_csv_with_day_names_and_na(programme):
    preview, result = load(programme, "milestones", "ms_project_milestones.csv")
    assert preview.mapping_confident
    assert preview.raw.encoding == "cp1252"
    assert result.rows_accepted == 3
    assert rows(programme, MILESTONES_SQL) == [
        ("1", "Mobilisation complete", ["Northgate Housing"], D(2025, 8, 8), D(2025, 8, 14), D(2025, 8, 14), None),
        ("2", "Joint referral pathway live", ["Northgate Housing", "Riverside Health Trust"],
         D(2025, 8, 25), D(2025, 9, 1), None, None),
        ("3", "Évaluation framework agreed", ["Eastfield Council"], D(2025, 10, 31), D(2025, 10, 31), None, None),
    ]


def test_smartsheet_summary_row_is_reported_and_the_rest_loads(programme):
    preview = prepare(programme, "milestones", "smartsheet_plan.xlsx")
    failures = preview.validation.failures
    assert list(zip(failures["source_row"], failures["column"], failures["check"])) == [
        (2, "Baseline Finish", "baseline_date_is_given"), (2, "Owner", "not_nullable")]
    with pytest.raises(ingest.Refused):
        ingest.commit(programme, preview)  # refuse the whole file: nothing lands
    assert rows(programme, "SELECT count(*) FROM milestones") == [(0,)]
    result = ingest.commit(programme, preview, policy="valid_only")
    assert (result.rows_in, result.rows_accepted, result.rows_rejected) == (3, 2, 1)
    assert rows(programme, MILESTONES_SQL) == [
        ("2", "Data sharing agreement signed", ["Northgate Housing"], D(2025, 6, 15), D(2025, 6, 30), None,
         "Complete"),
        ("3", "Joint triage hub live", ["Eastfield Council", "Riverside Health Trust"], D(2025, 9, 1),
         D(2025, 9, 15), None, "In Progress"),
    ]
    rejected = ingest.rejected_rows(programme.cursor(), result.batch_id)
    assert list(zip(rejected["row"], rejected["column"])) == [(2, "Baseline Finish"), (2, "Owner")]


def test_unicode_text_milestones(programme):
    preview, _ = load(programme, "milestones", "milestones_unicode.txt")
    assert (preview.raw.encoding, preview.raw.delimiter) == ("utf-16", "\t")
    assert rows(programme, MILESTONES_SQL) == [
        ("M1", "Shared outcomes framework signed", ["Northgate Housing"], D(2025, 6, 30), D(2025, 6, 30),
         D(2025, 6, 27), "Complete"),
        ("M2", "Joint triage hub – go-live", ["Eastfield Council", "Riverside Health Trust"], D(2025, 9, 1),
         D(2025, 9, 15), None, "At risk"),
    ]


def test_a_comma_before_a_legal_form_is_part_of_the_owners_name(programme):
    data = ("Milestone ID,Owner,Baseline Date\r\n"
            'M1,"Northgate Housing, Ltd",2025-04-03\r\n'
            'M2,"Riverside Health Trust, Inc.; Eastfield Council",2025-06-05\r\n'
            'M3,"Eastfield Council, Northgate Housing",2025-06-05\r\n').encode()
    preview = prepare(programme, "milestones", "plan.csv", data=data)
    assert not preview.questions, preview.questions
    assert not any("new partner" in n for n in preview.notes)
    ingest.commit(programme, preview)
    assert [r[:3] for r in rows(programme, MILESTONES_SQL)] == [
        ("M1", None, ["Northgate Housing"]),
        ("M2", None, ["Eastfield Council", "Riverside Health Trust"]),
        ("M3", None, ["Eastfield Council", "Northgate Housing"])]
    assert rows(programme, "SELECT count(*) FROM partners") == [(3,)]


def test_ms_project_for_german_speaking_users(programme):
    # "NV" for an empty date, weekdays "Mo", "Mi", durations "0 Tage"; the weekday settles day-first
    data = ("Unique ID;Name;Duration;Start;Finish;Baseline Finish;Actual Finish;Resource Names\r\n"
            "2;Design freeze;0 Tage;Mo 02.03.26;Mo 09.03.26;Mo 02.03.26;Mo 09.03.26;Northgate Housing\r\n"
            "4;Handover;0 Tage;Mi 30.09.26;Mi 14.10.26;Mi 30.09.26;NV;Eastfield Council\r\n"
            "5;Works;20 Tage;Di 01.09.26;Mi 14.10.26;Mi 30.09.26;NV;Eastfield Council\r\n").encode("cp1252")
    preview = prepare(programme, "milestones", "plan.csv", data=data)
    assert not preview.questions, preview.questions
    result = ingest.commit(programme, preview)
    assert result.rows_accepted == 2
    assert rows(programme, "SELECT milestone_id, baseline_date, forecast_date, actual_date FROM milestones "
                           "ORDER BY 1") == [("2", D(2026, 3, 2), D(2026, 3, 9), D(2026, 3, 9)),
                                             ("4", D(2026, 9, 30), D(2026, 10, 14), None)]


def test_dates_the_file_cannot_settle_are_asked_not_guessed(programme):
    data = ("Milestone ID,Owner,Baseline Date\r\nM1,Northgate Housing,03/04/2025\r\n"
            "M2,Eastfield Council,05/06/2025\r\n").encode()
    preview = prepare(programme, "milestones", "plan.csv", data=data)
    assert preview.ambiguous_date_columns == ["Baseline Date"]
    assert any("day-first or month-first" in q for q in preview.questions)
    preview = prepare(programme, "milestones", "plan.csv", ingest.Options(date_order="dayfirst"), data=data)
    assert not preview.questions
    ingest.commit(programme, preview)
    assert rows(programme, "SELECT milestone_id, baseline_date FROM milestones ORDER BY 1") == [
        ("M1", D(2025, 4, 3)), ("M2", D(2025, 6, 5))]


def test_the_date_order_chosen_once_is_remembered_for_the_same_layout(programme):
    """A nightly load of a refreshed export whose dates are all 12 or under is not asked again."""
    first = ("Milestone ID,Owner,Baseline Date\r\nM1,Northgate Housing,03/04/2025\r\n").encode()
    ingest.commit(programme, prepare(programme, "milestones", "plan.csv", ingest.Options(date_order="dayfirst"),
                                     data=first))
    refreshed = first + b"M2,Eastfield Council,05/06/2025\r\n"
    preview = prepare(programme, "milestones", "plan-next.csv", data=refreshed)
    assert not preview.questions
    assert ("Dates in 'Baseline Date' such as 03/04/2025 are read day-first, as chosen at an earlier upload of a "
            "file laid out like this one (choose the order to read them otherwise).") in preview.notes
    ingest.commit(programme, preview)
    assert rows(programme, "SELECT milestone_id, baseline_date FROM milestones WHERE current ORDER BY 1") == [
        ("M1", D(2025, 4, 3)), ("M2", D(2025, 6, 5))]
    other = prepare(programme, "milestones", "plan-us.csv", ingest.Options(date_order="monthfirst"), data=refreshed)
    assert not [n for n in other.notes if "earlier upload" in n]  # a choice given now stands
    us = prepare(programme, "milestones", "plan-us2.csv", data=first + b"M3,Eastfield Council,04/25/2025\r\n")
    assert not [n for n in us.notes if "earlier upload" in n]  # the file's own 04/25 settles it: month-first
    ingest.commit(programme, us)
    assert rows(programme, "SELECT baseline_date FROM milestones WHERE current AND milestone_id = 'M1'") == [
        (D(2025, 3, 4),)]


# ------------------------------------------------------------------------------ partners, memory
def test_mixed_encoding_partner_list(store):
    preview = prepare(store, "partners", "mixed_encoding.csv")
    assert any("cp1252" in n for n in preview.notes)
    assert list(preview.raw.frame["Comment"]) == [
        "Réunion went well", "Café budget £5k", "“Quoted” text", "Partner’s view"]
    failures = preview.validation.failures
    assert list(zip(failures["source_row"], failures["value"])) == [(2, "Northgate Housing"),
                                                                    (5, "Northgate Housing")]
    result = ingest.commit(store, preview, policy="valid_only")
    assert (result.rows_in, result.rows_accepted, result.rows_rejected) == (4, 2, 2)
    assert rows(store, "SELECT name FROM partners ORDER BY name") == [("Eastfield Council",),
                                                                      ("Riverside Health Trust",)]


def test_near_twin_partner_name_is_asked_then_remembered(programme):
    data = fixture("jira_issues.csv").replace(b"Eastfield Council", b"Eastfield City Council")
    preview = prepare(programme, "issues", "jira-sep.csv", data=data)
    near = [p for p in preview.partners if p.kind == "near"]
    assert [(p.name, p.partner) for p in near] == [("Eastfield City Council", "Eastfield Council")]
    assert any("Eastfield City Council" in q for q in preview.questions)
    with pytest.raises(ingest.NotReady):
        ingest.commit(programme, preview)
    options = ingest.Options(partner_links={"Eastfield City Council": "Eastfield Council"})
    preview = prepare(programme, "issues", "jira-sep.csv", options, data=data)
    assert not preview.questions
    ingest.commit(programme, preview)
    assert rows(programme, "SELECT count(*) FROM partners") == [(3,)]
    # next time the alias is known without asking
    again = prepare(programme, "issues", "jira-oct.csv", data=data.replace(b"PH-103", b"PH-104"))
    assert not again.questions
    assert ("Eastfield City Council", "known", "Eastfield Council") in [(p.name, p.kind, p.partner)
                                                                       for p in again.partners]


def test_confirmed_mapping_is_remembered_for_the_next_export(programme):
    first = prepare(programme, "issues", "raid_log_semicolon.csv",
                    ingest.Options(mapping={"owned_by": "Raised by", "title": "Type", "kind": "Description"}))
    ingest.commit(programme, first)
    assert not first.remembered
    next_month = fixture("raid_log_semicolon.csv").replace(b"R-011", b"R-012")
    second = prepare(programme, "issues", "raid-next.csv", data=next_month)
    assert second.remembered
    assert second.mapping["title"].column == "Type"
    assert second.mapping["title"].reason == ingest.REMEMBERED


def test_same_export_twice_changes_nothing(programme):
    _, first = load(programme, "issues", "jira_issues.csv")
    preview = prepare(programme, "issues", "jira_issues (1).csv", data=fixture("jira_issues.csv"))
    assert preview.already_loaded == first.batch_id
    assert "changes nothing" in " ".join(preview.notes)
    ingest.commit(programme, preview)
    assert rows(programme, "SELECT count(*) FROM issues") == [(3,)]


def test_survey_template_has_the_instrument_item_ids(programme):
    text = ingest.template("survey", programme.cursor()).decode("utf-8-sig")
    assert text == '"Respondent id","Partner organisation","Response date","Wave","SG1","JG1","PS1"\r\n'
    assert ingest.template("issues").decode("utf-8-sig").startswith('"Issue id","Title","Kind"')


# ------------------------------------------------------------------------------ second round (#21)
def partner_names(store):
    return sorted(r[0] for r in rows(store, "SELECT name FROM partners"))


def no_value_anywhere(store, pattern: str) -> None:
    personal = re.compile(pattern, re.IGNORECASE)
    cursor = store.cursor()
    tables = cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()
    for (table,) in tables:
        for (column,) in cursor.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                                        [table]).fetchall():
            for (value,) in cursor.execute(f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM {table}').fetchall():
                assert value is None or not personal.search(value), (table, column, value)


def test_jira_all_fields_export_reads_comma_separated_despite_its_comment_cells(programme):
    preview, result = load(programme, "issues", "jira_all_fields.csv")
    assert (preview.raw.delimiter, preview.raw.frame.shape) == (",", (6, 67))
    assert "Comment (12)" in preview.raw.frame.columns
    assert preview.raw.frame["Comment"][1].startswith("20/Oct/25 9:00 AM;557058:")
    assert (result.rows_accepted, result.new_partners) == (6, [])
    assert rows(programme, ISSUES_SQL)[:3] == [
        ("ALPHA-10", "Shared triage rota gaps", "Issue", "Northgate Housing", None, D(2025, 10, 3), None, "low",
         "To Do", False),
        ("ALPHA-11", "Estates access for hub fit-out", "Risk", "Eastfield Council", "Riverside Health Trust",
         D(2025, 10, 6), D(2025, 10, 21), "medium", "Done", False),
        ("ALPHA-12", "Board paper late; decisions deferred", "Issue", "Riverside Health Trust", "Northgate Housing",
         D(2025, 10, 13), None, "high", "In Progress", True),
    ]


def test_jira_export_read_with_the_delimiter_a_person_chose(programme):
    preview = prepare(programme, "issues", "jira_all_fields.csv", ingest.Options(delimiter=";"))
    assert preview.raw.delimiter == ";"
    assert "Columns are separated by semicolons, as chosen." in preview.notes


def test_raid_log_with_people_in_raised_by_stores_the_partners_not_the_people(programme):
    preview, result = load(programme, "issues", "raid_log_people.xlsx")
    assert preview.mapping["raised_by"].column == "Partner" and preview.mapping_confident
    assert preview.mapping["owned_by"].column is None
    assert "people's names" in preview.mapping["raised_by"].reason
    assert (result.rows_accepted, result.new_partners) == (6, [])
    assert [r[:4] for r in rows(programme, ISSUES_SQL)][:2] == [
        ("A01", "Shared IT", "Assumption", "Eastfield Council"), ("D01", "Estates sign-off", "Dependency",
                                                                 "Northgate Housing")]
    assert partner_names(programme) == NAMES
    no_value_anywhere(programme, r"Priya|Olu Adeyemi|Wei Chen|Tom Baker|Kowalski|O'Neill")


def test_raid_log_with_people_on_a_new_programme_is_never_loaded_with_confidence(store):
    preview = prepare(store, "issues", "raid_log_people.xlsx")
    assert preview.mapping["raised_by"].column == "Partner"
    assert not preview.mapping_confident  # the header names organisations; a person confirms


def test_many_new_partners_from_one_issue_log_are_asked_first(programme):
    data = fixture("jira_all_fields.csv")
    for n, known in enumerate(["Northgate Housing", "Eastfield Council", "Riverside Health Trust"]):
        data = data.replace(known.encode(), f"Contractor {'ABCDEF'[n]} Group".encode())
    data = data.replace(b"Contractor A Group,,No", b"Contractor D Group,,No")
    preview = prepare(programme, "issues", "jira-new.csv", data=data)
    question = next(q for q in preview.questions if "new partners" in q)
    assert question.startswith("This file would add 4 new partners: Contractor A Group, Contractor B Group, "
                               "Contractor C Group, Contractor D Group. Nothing was loaded")
    assert "--new-partner NAME" in question
    with pytest.raises(ingest.NotReady):
        ingest.commit(programme, preview)
    confirmed = ingest.Options(new_partners={"Contractor A Group", "Contractor B Group", "Contractor C Group",
                                             "Contractor D Group"})
    preview = prepare(programme, "issues", "jira-new.csv", confirmed, data=data)
    assert not preview.questions
    assert sorted(ingest.commit(programme, preview).new_partners)[0] == "Contractor A Group"


def test_ms_project_task_list_keeps_the_milestones_and_counts_the_rest(programme):
    preview, result = load(programme, "milestones", "ms_project_task_list.csv")
    assert any(n.startswith("Kept the 5 milestones of this plan ('Duration' marks them): 42 ordinary tasks and "
                            "5 summary rows skipped.") for n in preview.notes)
    assert (result.rows_in, result.rows_accepted, result.rows_rejected) == (52, 5, 0)
    assert "47 tasks that are not milestones skipped" in result.message
    stored = rows(programme, MILESTONES_SQL)
    assert [r[0] for r in stored] == ["111", "122", "132", "142", "152"]
    assert stored[0] == ("111", "Milestone 1: stage gate passed", ["Northgate Housing"], D(2025, 10, 11),
                         D(2025, 10, 11), D(2025, 10, 12), None)
    assert stored[3][2] == ["Eastfield Council", "Northgate Housing"]
    assert partner_names(programme) == NAMES  # no crew or team of an ordinary task became a partner


def test_smartsheet_milestone_flag_keeps_the_flagged_rows(programme):
    preview, result = load(programme, "milestones", "smartsheet_milestone_flag.xlsx")
    assert preview.mapping["owners"].column == "Delivery Partner"  # not 'Assigned To', people
    assert (result.rows_in, result.rows_accepted) == (6, 3)
    assert rows(programme, MILESTONES_SQL) == [
        ("2", "Hub mobilised", ["Northgate Housing"], D(2025, 9, 11), D(2025, 9, 11), None, "Complete"),
        ("4", "Referral pathway live", ["Riverside Health Trust"], D(2025, 9, 28), D(2025, 9, 30), None,
         "Not Started"),
        ("6", "Evaluation framework agreed", ["Eastfield Council"], D(2025, 10, 2), D(2025, 10, 4), None,
         "Not Started"),
    ]
    no_value_anywhere(programme, r"Priya|Wei Chen|Olu Adeyemi")


def test_instrument_with_a_scale_column_written_as_text(store):
    preview, result = load(store, "instrument", "instrument_scale_text.csv")
    assert any("scale from column 'Scale'" in n for n in preview.notes)
    assert result.rows_accepted == 5
    assert rows(store, "SELECT item_id, factor, scale_min, scale_max, reverse_scored FROM instrument_items "
                       "ORDER BY item_id") == [
        ("JG1", "joint_governance", 1, 5, False), ("MA1", "mutual_accountability", 1, 5, True),
        ("OC1", "open_communication", 1, 7, False), ("PS1", "psychological_safety", 1, 5, False),
        ("SG1", "shared_goals", 1, 5, False)]


def test_google_forms_grid_questions_matched_by_their_statements(programme):
    preview, result = load(programme, "survey", "google_forms_grid.csv")
    assert sorted(preview.item_columns.values()) == ["JG1", "PS1", "SG1"]
    assert preview.personal_columns == ["Email address"]
    assert result.rows_accepted == 3
    assert answers(programme) == [
        ("Eastfield Council", "2025-Q4", "JG1", 4.0), ("Eastfield Council", "2025-Q4", "PS1", 4.0),
        ("Eastfield Council", "2025-Q4", "SG1", 5.0), ("Northgate Housing", "2025-Q4", "JG1", 5.0),
        ("Northgate Housing", "2025-Q4", "PS1", 3.0), ("Northgate Housing", "2025-Q4", "SG1", 4.0),
        ("Riverside Health Trust", "2025-Q4", "JG1", 2.0), ("Riverside Health Trust", "2025-Q4", "PS1", 4.0),
        ("Riverside Health Trust", "2025-Q4", "SG1", 2.0)]
    no_value_anywhere(programme, r"ana\.silva|@example")


def test_qualtrics_partial_responses_left_out_unless_included(programme):
    preview, result = load(programme, "survey", "qualtrics_partial.csv")
    assert any(n.startswith("Left out 2 partial responses (Finished = False or Progress below 100)")
               for n in preview.notes)
    assert (result.rows_in, result.rows_accepted) == (5, 3)
    assert "2 partial responses skipped" in result.message
    assert rows(programme, "SELECT count(DISTINCT respondent_key), min(value) FROM survey_responses") == [(3, 2.0)]
    ingest.undo(programme, result.batch_id)
    preview, result = load(programme, "survey", "qualtrics_partial.csv", options=ingest.Options(include_partial=True))
    assert "Included 2 partial responses (Finished = False or Progress below 100), as chosen." in preview.notes
    assert rows(programme, "SELECT count(DISTINCT respondent_key), min(value) FROM survey_responses "
                           "WHERE current") == [(5, 1.0)]


def test_qualtrics_preview_and_test_responses_are_never_loaded(programme):
    # Qualtrics exports its own preview and generated test responses beside the real ones
    preview, result = load(programme, "survey", "qualtrics_preview.csv")
    assert ("Left out 3 preview or test responses (Qualtrics Status 'Survey Preview' or 'Survey Test', or "
            "Distribution Channel 'preview' or 'test'): made while trying the survey out, they are nobody's "
            "answers.") in preview.notes
    assert not any("partial" in n for n in preview.notes)  # the unfinished preview counts as a preview
    assert (result.rows_in, result.rows_accepted) == (6, 3)
    assert "3 preview or test responses skipped" in result.message
    assert answers(programme) == [
        ("Eastfield Council", "2025-Q4", "JG1", 4.0), ("Eastfield Council", "2025-Q4", "PS1", 4.0),
        ("Eastfield Council", "2025-Q4", "SG1", 5.0), ("Northgate Housing", "2025-Q4", "JG1", 4.0),
        ("Northgate Housing", "2025-Q4", "PS1", 4.0), ("Northgate Housing", "2025-Q4", "SG1", 4.0),
        ("Riverside Health Trust", "2025-Q4", "JG1", 4.0), ("Riverside Health Trust", "2025-Q4", "PS1", 5.0),
        ("Riverside Health Trust", "2025-Q4", "SG1", 2.0)]


def test_qualtrics_numeric_status_codes_preview_bits_left_out(programme):
    # numeric values: Status 1 (preview) and 9 (a preview marked spam) are left out; 0 (an answer
    # from an IP address) and 4 (imported) are answers
    preview, result = load(programme, "survey", "qualtrics_numeric_preview.csv")
    assert (result.rows_in, result.rows_accepted) == (5, 3)
    assert any(n.startswith("Left out 2 preview or test responses") for n in preview.notes)
    assert rows(programme, "SELECT count(DISTINCT respondent_key), min(value) FROM survey_responses") == [(3, 2.0)]


def test_a_status_column_of_other_numbers_leaves_every_response_in(programme):
    frame = pd.read_csv(EXPORTS / "qualtrics_numeric_preview.csv", header=None, dtype=str,
                        keep_default_na=False, encoding="utf-8-sig")
    frame.iloc[3:, 2] = ["100", "101", "102", "103", "104"]  # not Qualtrics' codes: some other status
    frame.iloc[3:, 13] = "anonymous"
    data = frame.to_csv(index=False, header=False).encode()
    preview = prepare(programme, "survey", "qualtrics_numeric_preview.csv", data=data)
    assert not any("preview or test" in n for n in preview.notes)
    assert preview.rows_skipped == 0


def test_qualtrics_legacy_two_row_header(programme):
    preview, result = load(programme, "survey", "qualtrics_legacy.csv")
    assert (preview.raw.source_format, preview.raw.header_rows) == ("qualtrics", 2)
    assert preview.mapping["respondent_id"].column == "ResponseID"
    assert preview.item_columns == {"Q2_1": "SG1", "Q2_2": "JG1", "Q2_3": "PS1"}
    assert {"Name", "EmailAddress", "IPAddress", "LocationLatitude"} <= set(preview.personal_columns)
    assert (result.rows_in, result.rows_accepted) == (3, 2)  # Finished = 0: a partial response
    assert answers(programme) == [
        ("Northgate Housing", "2025-Q4", "JG1", 5.0), ("Northgate Housing", "2025-Q4", "PS1", 4.0),
        ("Northgate Housing", "2025-Q4", "SG1", 4.0), ("Riverside Health Trust", "2025-Q4", "JG1", 2.0),
        ("Riverside Health Trust", "2025-Q4", "PS1", 4.0), ("Riverside Health Trust", "2025-Q4", "SG1", 2.0)]
    no_value_anywhere(programme, r"Morgan|Patel|@example|192\.0\.2|51\.5072")


def test_surveymonkey_contact_block_never_stored_company_is_the_partner(programme):
    preview, result = load(programme, "survey", "surveymonkey_contact.csv")
    assert preview.mapping["partner"].column == "Please provide your contact information: - Company"
    assert len(preview.personal_columns) == 4 + 9
    assert result.rows_accepted == 3
    assert [a for a in answers(programme) if a[2] == "SG1"] == [
        ("Eastfield Council", "2025-Q4", "SG1", 5.0), ("Northgate Housing", "2025-Q4", "SG1", 4.0),
        ("Riverside Health Trust", "2025-Q4", "SG1", 2.0)]
    no_value_anywhere(programme, r"Kowalski|O'Neill|Wei Chen|Mill Lane|Quay Street|Civic Way|LS1 4AB|BS1 5TT"
                                 r"|Leeds|Bristol|@example|113 496|0117|01332|United Kingdom|Flat 3")


def test_servicenow_incidents_map_as_an_issue_log(programme):
    # the list export re-saved by Excel (M/D/YY H:MM); ServiceNow's own CSV (field names, cp1252,
    # display values) is tested in test_real_export_shapes.py
    survey = prepare(programme, "survey", "servicenow_incidents.csv")
    assert not any("looks like a survey" in q for q in survey.questions)
    preview, result = load(programme, "issues", "servicenow_incidents.csv")
    assert {f: s.column for f, s in preview.mapping.items()} == {
        "issue_id": "number", "title": "short_description", "kind": "category", "raised_by": "company",
        "owned_by": None, "raised_date": "opened_at", "resolved_date": "resolved_at", "severity": "priority",
        "status": "state", "escalated": None}
    assert result.rows_accepted == 5
    assert rows(programme, ISSUES_SQL)[:2] == [
        ("INC0010041", "Shared drive unavailable at the hub", "Network", "Northgate Housing", None, D(2024, 12, 2),
         D(2024, 12, 2), "high", "Closed", None),
        ("INC0010042", "Referral form – fields missing", "Software", "Riverside Health Trust", None, D(2024, 12, 3),
         D(2024, 12, 13), "medium", "Resolved", None)]
    no_value_anywhere(programme, r"Priya|Wei Chen|Kowalski|O'Neill")


def test_an_issue_export_loaded_as_a_survey_names_the_right_dataset(programme):
    preview = prepare(programme, "survey", "jira_all_fields.csv")
    assert any(q.startswith("This file looks like an issue log") and "choose the dataset 'issues'" in q
               for q in preview.questions)


P6_SQL = "SELECT milestone_id, title, baseline_date, forecast_date, actual_date, status FROM milestones ORDER BY 1"


def test_primavera_xer_milestones_with_the_owner_from_an_activity_code(store):
    # 'Planned Finish' is TASK.target_end_date (MPXJ's maintainer, joniles/mpxj#815); a P6 baseline is a
    # separate project that an XER does not carry (joniles/mpxj#502, #215), so there is no baseline column
    preview = prepare(store, "milestones", "p6_schedule.xer")
    assert (preview.raw.source_format, preview.raw.encoding) == ("primavera-xer", "cp1252")
    assert preview.mapping["owners"].column == "Responsible Partner" and not preview.mapping_confident
    mapped = ingest.Options(mapping={"owners": "Responsible Partner"})
    preview = prepare(store, "milestones", "p6_schedule.xer", mapped)
    result = ingest.commit(store, preview)
    assert (result.rows_in, result.rows_accepted) == (9, 4)
    assert any("4 ordinary tasks and 1 summary row skipped" in n for n in preview.notes)
    assert rows(store, P6_SQL) == [
        ("M1000", "Design signed off by all partners", D(2025, 9, 12), D(2025, 9, 16), D(2025, 9, 16), "Completed"),
        ("M2000", "Handover to operations starts", D(2025, 10, 27), D(2025, 11, 3), None, "Not Started"),
        ("M2010", "Building handed over", D(2025, 10, 31), D(2025, 11, 7), None, "Not Started"),
        ("M3000", "Joint triage hub live", D(2025, 11, 21), D(2025, 11, 28), None, "Not Started")]
    assert partner_names(store) == NAMES  # no 'Site crew A'
    # the next export of the plan: the owner column is remembered
    again = prepare(store, "milestones", "p6-next.xer", data=fixture("p6_schedule.xer").replace(b"11-28", b"12-05"))
    assert again.remembered and again.mapping["owners"].column == "Responsible Partner"


def test_a_p6_file_of_two_projects_keeps_an_activity_id_of_each(store):
    """Activity IDs are unique within a P6 project only: a second project with its own M1000."""
    data = fixture("p6_schedule.xer")
    data = data.replace(b"%T\tCALENDAR", b"%R\t411\tBETA-DEPOT\t2025-09-01 08:00\t2026-03-31 17:00\t597\r\n%T\tCALENDAR"
                        if b"\r\n" in data else b"%R\t411\tBETA-DEPOT\t2025-09-01 08:00\t2026-03-31 17:00\t597\n%T\tCALENDAR")
    line = next(x for x in data.splitlines(keepends=True) if x.startswith(b"%R\t5002\t"))
    data = data.replace(line, line + line.replace(b"%R\t5002\t410\t", b"%R\t6002\t411\t")
                        .replace(b"Design signed off by all partners", b"Depot design signed off"))
    link = next(x for x in data.splitlines(keepends=True) if x.startswith(b"%R\t5002\t77\t"))
    data = data.replace(link, link + link.replace(b"%R\t5002\t", b"%R\t6002\t"))
    mapped = ingest.Options(mapping={"owners": "Responsible Partner"})
    preview = prepare(store, "milestones", "two-projects.xer", mapped, data=data)
    assert any("1 activity ID (M1000) appears in more than one of the file's projects" in n for n in preview.notes)
    ingest.commit(store, preview)
    assert [r[:2] for r in rows(store, P6_SQL)] == [
        ("ALPHA-HUB M1000", "Design signed off by all partners"), ("BETA-DEPOT M1000", "Depot design signed off"),
        ("M2000", "Handover to operations starts"), ("M2010", "Building handed over"),
        ("M3000", "Joint triage hub live")]


def test_ms_project_xml_milestones_baselines_actuals_and_resources(programme):
    # MS Project keeps its baselines on each task (Baseline, Baseline1..10; joniles/mpxj
    # mkdocs/docs/howto-use-baselines.md); baseline 0 is read
    preview, result = load(programme, "milestones", "ms_project_schedule.xml")
    assert preview.raw.source_format == "msproject-xml"
    assert (result.rows_in, result.rows_accepted) == (10, 3)
    assert rows(programme, MILESTONES_SQL) == [
        ("3", "Design signed off", ["Northgate Housing"], D(2025, 9, 12), D(2025, 9, 16), D(2025, 9, 16), None),
        ("6", "Building handed over", ["Eastfield Council", "Northgate Housing"], D(2025, 10, 31), D(2025, 11, 7),
         None, None),
        ("9", "Joint triage hub live", ["Riverside Health Trust"], D(2025, 11, 21), D(2025, 11, 28), None, None)]


def test_partner_names_with_letters_that_do_not_decompose_match(programme):
    more = "Partner\r\nØrsted Łódź Æther\r\n".encode()
    ingest.commit(programme, ingest.prepare(programme, "partners", "more.csv", more))
    data = fixture("jira_issues.csv").replace(b"Eastfield Council", b"Orsted Lodz Aether")
    preview = prepare(programme, "issues", "jira-ascii.csv", data=data)
    found = [(p.name, p.kind, p.partner) for p in preview.partners]
    assert ("Orsted Lodz Aether", "known", "Ørsted Łódź Æther") in found


def test_rows_skipped_on_purpose_are_counted_in_words():
    from pipelines.ingest.preview import Preview, Skipped

    preview = Preview(dataset="survey", source_name="pulse.csv", sha256="")
    preview.skipped.update({Skipped.PARTIAL_RESPONSE: 1, Skipped.NOT_A_MILESTONE: 2})
    assert preview.skipped_in_words() == ["1 partial response", "2 tasks that are not milestones"]


# ------------------------------------------------------------------------------ two schedules
PLAN_A = ("ID,Name,Duration,Baseline Finish,Actual Finish,Resource Names\n"
          "1,Mobilisation complete,0 days,2025-08-08,2025-08-14,Northgate Housing\n"
          "2,Referral pathway live,0 days,2025-08-25,,Riverside Health Trust\n"
          "3,Evaluation framework agreed,0 days,2025-10-31,,Eastfield Council\n").encode()
PLAN_B = ("ID,Name,Duration,Baseline Finish,Actual Finish,Resource Names\n"
          "1,Hub lease signed,0 days,2025-09-01,2025-09-03,Eastfield Council\n"
          "2,Hub fit-out done,0 days,2025-11-14,,Eastfield Council\n").encode()
SCHEDULES_SQL = "SELECT milestone_id, title FROM milestones WHERE current ORDER BY milestone_id"


def test_a_second_schedule_with_the_same_ids_asks_before_replacing_the_first(programme):
    ingest.commit(programme, prepare(programme, "milestones", "plan-a.csv", data=PLAN_A))
    second = prepare(programme, "milestones", "plan-b.csv", data=PLAN_B)
    assert second.questions == [
        "2 of this file's 2 milestone ids that 'plan-a.csv' already loaded name other milestones there "
        "(1: 'Mobilisation complete' there, 'Hub lease signed' here; 2: 'Referral pathway live' there, "
        "'Hub fit-out done' here). Say whether this file replaces that schedule (a new version of it) or is "
        "another schedule, named so its ids are kept apart."]
    with pytest.raises(ValueError):
        ingest.commit(programme, second)
    assert len(rows(programme, SCHEDULES_SQL)) == 3  # nothing replaced


def test_another_schedule_named_keeps_its_ids_apart_and_a_refresh_of_it_replaces_its_own(programme):
    ingest.commit(programme, prepare(programme, "milestones", "plan-a.csv", data=PLAN_A))
    apart = ingest.Options(schedule="Hub")
    ingest.commit(programme, prepare(programme, "milestones", "plan-b.csv", apart, data=PLAN_B))
    refreshed = PLAN_B.replace(b"2025-11-14,,", b"2025-11-14,2025-11-20,")
    again = prepare(programme, "milestones", "plan-b-dec.csv", apart, data=refreshed)
    assert not again.questions
    ingest.commit(programme, again)
    assert rows(programme, SCHEDULES_SQL) == [
        ("1", "Mobilisation complete"), ("2", "Referral pathway live"), ("3", "Evaluation framework agreed"),
        ("Hub: 1", "Hub lease signed"), ("Hub: 2", "Hub fit-out done")]
    assert rows(programme, "SELECT actual_date FROM milestones WHERE current AND milestone_id = 'Hub: 2'") == [
        (D(2025, 11, 20),)]


def test_a_new_version_of_a_schedule_with_renamed_milestones_replaces_it_when_said(programme):
    ingest.commit(programme, prepare(programme, "milestones", "plan-a.csv", data=PLAN_A))
    renamed = PLAN_A.replace(b"Mobilisation complete", b"Mobilised").replace(b"Referral pathway live",
                                                                             b"Pathway open")
    assert prepare(programme, "milestones", "plan-a-v2.csv", data=renamed).questions  # most titles changed
    ingest.commit(programme, prepare(programme, "milestones", "plan-a-v2.csv",
                                     ingest.Options(replaces_schedule=True), data=renamed))
    assert [t for _, t in rows(programme, SCHEDULES_SQL)] == ["Mobilised", "Pathway open",
                                                               "Evaluation framework agreed"]
    one_renamed = renamed.replace(b"Mobilised", b"Mobilisation done")
    assert not prepare(programme, "milestones", "plan-a-v3.csv", data=one_renamed).questions  # a refresh
