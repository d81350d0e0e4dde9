"""pipelines.ingest.values: dates, numbers, Likert labels, yes/no, severity, partner names."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.ingest.values import (
    DateParse,
    PartnerMatch,
    match_partner,
    normalise_partner_name,
    normalise_partner_names,
    parse_bool,
    parse_dates,
    parse_likert,
    parse_numbers,
    parse_scale,
    parse_severity,
)

T = pd.Timestamp


def one(text: str, order: str | None = None) -> pd.Timestamp:
    return parse_dates(pd.Series([text]), order=order).dates.iloc[0]


# ---------------------------------------------------------------- dates: formats tools write


@pytest.mark.parametrize("text, expected", [
    ("2025-03-09", T("2025-03-09")),
    ("2025-03-09 14:05:00", T("2025-03-09 14:05:00")),  # Qualtrics
    ("2025-03-09T14:05:00Z", T("2025-03-09 14:05:00")),
    ("2025-03-09T14:05:00.250Z", T("2025-03-09 14:05:00.250")),
    ("2025-03-09T14:05:00+01:00", T("2025-03-09 14:05:00")),  # the time as written
    ("2025/03/09", T("2025-03-09")),
    ("2025/08/14 9:01:12 AM GMT+1", T("2025-08-14 09:01:12")),  # Google Sheets of a Form
    ("2025/08/14 4:47:51 PM GMT", T("2025-08-14 16:47:51")),
    ("2025-08-14 10:00 UTC-05:30", T("2025-08-14 10:00")),
    ("2025-08-14T10:00:00+0100", T("2025-08-14 10:00")),
    ("14 August 2025", T("2025-08-14")),  # MS Project
    ("14-Aug-2025", T("2025-08-14")),
    ("09/Mar/25 09:00 AM", T("2025-03-09 09:00")),  # Jira
    ("09/Mar/25 9:00 AM", T("2025-03-09 09:00")),
    ("09/Mar/25 12:30 PM", T("2025-03-09 12:30")),
    ("09/Mar/25 12:30 AM", T("2025-03-09 00:30")),
    ("August 14, 2025", T("2025-08-14")),
    ("  2025-03-09  ", T("2025-03-09")),
])
def test_unambiguous_formats(text, expected):
    result = parse_dates(pd.Series([text]))
    assert result.dates.iloc[0] == expected
    assert result.order == "iso"
    assert not result.failed.iloc[0]


@pytest.mark.parametrize("text, expected", [
    ("09/03/2025", T("2025-03-09")),
    ("9/3/25", T("2025-03-09")),
    ("09/03/2025 14:05", T("2025-03-09 14:05")),
    ("09/03/2025 14:05:07", T("2025-03-09 14:05:07")),
    ("Thu 14/08/25", T("2025-08-14")),  # MS Project, UK locale
    ("09.03.2025", T("2025-03-09")),
])
def test_day_first_when_forced(text, expected):
    assert one(text, order="dayfirst") == expected


@pytest.mark.parametrize("text, expected", [
    ("3/9/2025 2:05:00 PM", T("2025-03-09 14:05:00")),  # MS Forms
    ("3/9/2025 14:05:00", T("2025-03-09 14:05:00")),  # Google Forms
    ("3/9/2025 12:00:00 AM", T("2025-03-09 00:00:00")),
    ("03/09/2025", T("2025-03-09")),
])
def test_month_first_when_forced(text, expected):
    assert one(text, order="monthfirst") == expected


def test_two_digit_years_pivot_like_strptime():
    assert one("01/02/68", order="dayfirst") == T("2068-02-01")
    assert one("01/02/69", order="dayfirst") == T("1969-02-01")


# ---------------------------------------------------------------- dates: the column decides


def test_column_with_day_above_12_is_dayfirst():
    result = parse_dates(pd.Series(["01/02/2025", "25/02/2025", "03/04/2025"]))
    assert result.order == "dayfirst"
    assert result.dates.tolist() == [T("2025-02-01"), T("2025-02-25"), T("2025-04-03")]
    assert result.failed.tolist() == [False, False, False]
    assert result.formats == ["%d/%m/%Y"]


def test_column_with_second_number_above_12_is_monthfirst():
    result = parse_dates(pd.Series(["3/9/2025 2:05:00 PM", "3/13/2025 9:00:00 AM"]))
    assert result.order == "monthfirst"
    assert result.dates.tolist() == [T("2025-03-09 14:05"), T("2025-03-13 09:00")]
    assert result.formats == ["%m/%d/%Y %I:%M:%S %p"]


def test_all_small_numbers_is_ambiguous_and_nothing_guessed():
    result = parse_dates(pd.Series(["01/02/2025", "03/04/2025", None]))
    assert result.order == "ambiguous"
    assert result.dates.isna().all()
    assert result.failed.tolist() == [False, False, False]
    assert result.ambiguous.tolist() == [True, True, False]
    assert result.formats == ["%d/%m/%Y or %m/%d/%Y"]


def test_ambiguous_column_then_forced_by_the_user():
    values = pd.Series(["01/02/2025", "03/04/2025"])
    assert parse_dates(values, order="monthfirst").dates.tolist() == [T("2025-01-02"),
                                                                       T("2025-03-04")]
    assert parse_dates(values, order="dayfirst").order == "dayfirst"


def test_ambiguous_column_still_fails_impossible_values():
    result = parse_dates(pd.Series(["01/02/2025", "13/13/2025"]))
    assert result.order == "ambiguous"
    assert result.failed.tolist() == [False, True]


def test_contradictory_evidence_fails_the_minority():
    result = parse_dates(pd.Series(["25/02/2025", "26/02/2025", "02/27/2025", "01/02/2025"]))
    assert result.order == "dayfirst"
    assert result.failed.tolist() == [False, False, True, False]
    assert result.dates.iloc[3] == T("2025-02-01")


def test_tie_of_evidence_is_ambiguous():
    result = parse_dates(pd.Series(["25/02/2025", "02/27/2025"]))
    assert result.order == "ambiguous"
    assert result.dates.isna().all()


def test_forced_order_fails_contradicting_values():
    result = parse_dates(pd.Series(["25/02/2025", "02/27/2025"]), order="dayfirst")
    assert result.failed.tolist() == [False, True]


def test_a_written_weekday_settles_the_order_microsoft_project_us():
    # 2 March 2026 is a Monday, 3 February a Tuesday: every number is 12 or less
    result = parse_dates(pd.Series(["Mon 3/2/26", "Wed 3/4/26", None]))
    assert result.order == "monthfirst"
    assert result.dates.tolist()[:2] == [T("2026-03-02"), T("2026-03-04")]
    assert result.failed.tolist() == [False, False, False]


def test_a_written_weekday_settles_the_order_microsoft_project_uk():
    result = parse_dates(pd.Series(["Mon 02/03/26", "Wednesday 04/03/26"]))
    assert result.order == "dayfirst"
    assert result.dates.tolist() == [T("2026-03-02"), T("2026-03-04")]


def test_an_order_that_contradicts_the_written_weekday_fails_the_date():
    result = parse_dates(pd.Series(["Mon 3/2/26", "Thu 14/08/25"]), order="dayfirst")
    assert result.failed.tolist() == [True, False]  # 3 February 2026 is a Tuesday
    assert result.dates.iloc[1] == T("2025-08-14")


def test_a_weekday_both_orders_fall_on_is_no_evidence():
    # 1 July and 7 January 2026 are both Wednesdays; 1 February is a Sunday, 2 January a Friday
    assert parse_dates(pd.Series(["Wed 01/07/26"])).order == "ambiguous"
    assert parse_dates(pd.Series(["Sun 01/02/26"])).order == "dayfirst"


def test_iso_dates_beside_ambiguous_slash_dates_still_parse():
    result = parse_dates(pd.Series(["2025-03-09", "01/02/2025"]))
    assert result.order == "ambiguous"
    assert result.dates.iloc[0] == T("2025-03-09")
    assert pd.isna(result.dates.iloc[1])


def test_impossible_slash_dates_in_an_iso_column_ask_nothing():
    result = parse_dates(pd.Series(["2026-01-05", "13/13/2026", "2026-02-10"]))
    assert result.order == "iso"
    assert result.failed.tolist() == [False, True, False]
    assert result.ambiguous.tolist() == [False, False, False]


def test_one_slash_date_in_an_iso_column_is_a_failure_not_a_question():
    result = parse_dates(pd.Series(["2026-01-05", "2026-02-10", "05/01/2026", "2026-03-01"]))
    assert result.order == "iso"
    assert result.failed.tolist() == [False, False, True, False]
    assert result.stray.tolist() == [False, False, True, False]
    assert result.dates.tolist() == [T("2026-01-05"), T("2026-02-10"), pd.NaT, T("2026-03-01")]
    assert result.formats == ["%Y-%m-%d"]


def test_slash_dates_as_common_as_iso_ones_are_still_asked():
    result = parse_dates(pd.Series(["2026-01-05", "05/01/2026"]))
    assert result.order == "ambiguous"
    assert result.failed.tolist() == [False, False]
    assert result.stray.tolist() == [False, False]


def test_slash_dates_among_month_names_are_failures():
    result = parse_dates(pd.Series(["14 August 2025", "15 August 2025", "03/04/2025"]))
    assert result.order == "iso"
    assert result.failed.tolist() == [False, False, True]


def test_a_stray_slash_date_the_user_settles_is_read():
    result = parse_dates(pd.Series(["2026-01-05", "2026-02-10", "05/01/2026"]), order="dayfirst")
    assert result.order == "dayfirst"
    assert result.dates.iloc[2] == T("2026-01-05")
    assert not result.failed.any()


def test_a_decided_column_has_no_strays():
    result = parse_dates(pd.Series(["2026-01-05", "2026-02-10", "25/01/2026", "05/01/2026"]))
    assert result.order == "dayfirst"
    assert result.dates.iloc[3] == T("2026-01-05")
    assert not result.stray.any()


@pytest.mark.parametrize("text, expected", [
    ("46027", T("2026-01-05")),
    ("45735", T("2025-03-19")),
    ("46027.5", T("2026-01-05 12:00")),
    ("45735.604166666664", T("2025-03-19 14:30")),  # Excel's float for 14:30
])
def test_excel_day_numbers_when_asked(text, expected):
    result = parse_dates(pd.Series([text]), serials=True)
    assert result.dates.iloc[0] == expected
    assert result.order == "iso"
    assert result.serial.tolist() == [True]
    assert result.formats == ["Excel day number"]


@pytest.mark.parametrize("text", ["2026", "123456", "4602", "-46027", "46027.5.1"])
def test_numbers_that_are_no_excel_day_fail(text):
    result = parse_dates(pd.Series([text]), serials=True)
    assert result.failed.tolist() == [True]
    assert result.serial.tolist() == [False]


def test_excel_day_numbers_beside_iso_dates():
    result = parse_dates(pd.Series(["46027", "2026-02-10", None]), serials=True)
    assert result.dates.tolist() == [T("2026-01-05"), T("2026-02-10"), pd.NaT]
    assert result.serial.tolist() == [True, False, False]
    assert not result.failed.any()


def test_order_handed_back_from_an_earlier_result_is_accepted():
    assert parse_dates(pd.Series(["01/02/2025"]), order="ambiguous").order == "ambiguous"
    with pytest.raises(ValueError):
        parse_dates(pd.Series(["01/02/2025"]), order="yearfirst")


# ---------------------------------------------------------------- dates: empty and failed


def test_empty_markers_are_not_failures():
    result = parse_dates(pd.Series(["NA", "N/A", "n/a", "-", "", "   ", None, "None", np.nan]))
    assert result.dates.isna().all()
    assert not result.failed.any()
    assert result.order == "none"
    assert result.formats == []


@pytest.mark.parametrize("text", ["TBC", "soon", "31/02/2025", "2025-02-30", "2025-13-01",
                                  "45735", "09/Foo/25", "2025-03-09 25:00", "2025-03-09 13:00 PM",
                                  "Funday 14/08/25"])
def test_unparseable_values_fail(text):
    result = parse_dates(pd.Series([text]), order="dayfirst")
    assert pd.isna(result.dates.iloc[0])
    assert result.failed.iloc[0]


def test_result_keeps_index_and_dtype():
    values = pd.Series(["2025-03-09", "TBC"], index=[10, 20], name="Created")
    result = parse_dates(values)
    assert isinstance(result, DateParse)
    assert result.dates.dtype == "datetime64[ns]"
    assert result.dates.index.tolist() == [10, 20]
    assert result.failed.tolist() == [False, True]
    assert result.dates.name == "Created"


def test_accepts_a_list_and_datetime_columns():
    assert parse_dates(["2025-03-09"]).dates.iloc[0] == T("2025-03-09")
    already = pd.Series(pd.to_datetime(["2025-03-09", None]))
    result = parse_dates(already)
    assert result.dates.iloc[0] == T("2025-03-09") and pd.isna(result.dates.iloc[1])
    assert result.order == "iso"


def test_formats_listed_commonest_first():
    result = parse_dates(pd.Series(["2025-03-09", "2025-03-10", "2025-03-11 10:00:00"]))
    assert result.formats == ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S"]


def test_a_date_repeated_on_many_rows_counts_once_per_row():
    # each distinct text is parsed once: the vote and the formats still count rows, not texts
    result = parse_dates(pd.Series(["02/27/2025"] * 3 + ["25/02/2025", "26/02/2025"]))
    assert result.order == "monthfirst"
    assert result.failed.tolist() == [False, False, False, True, True]
    assert result.dates.tolist()[:3] == [T("2025-02-27")] * 3
    result = parse_dates(pd.Series(["2025-03-11 10:00:00"] * 3 + ["2025-03-09", "2025-03-10", None]))
    assert result.formats == ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d"]


def test_parse_dates_one_million_values():
    rng = np.random.default_rng(1)
    stamps = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 10**8, 1_000_000),
                                                          unit="s")
    values = pd.Series(stamps.strftime("%d/%m/%Y %H:%M"), dtype=object)
    result = parse_dates(values)
    assert result.order == "dayfirst"
    assert not result.failed.any()
    assert (result.dates == stamps.floor("min")).all()


# ---------------------------------------------------------------- numbers


def test_parse_numbers():
    numbers, failed = parse_numbers(pd.Series(["4", "4.0", " 4 ", "4,5", "-2", "1,234.5",
                                               "1,234", "abc", "", None, "NA"]))
    assert numbers.tolist()[:6] == [4.0, 4.0, 4.0, 4.5, -2.0, 1234.5]
    assert numbers.iloc[6:].isna().all()
    assert failed.tolist() == [False] * 6 + [True, True, False, False, False]


# ---------------------------------------------------------------- Likert


def test_likert_numbers_as_they_are():
    scores, failed = parse_likert(pd.Series(["1", "5", " 3 ", "3.0"]), 1, 5)
    assert scores.tolist() == [1.0, 5.0, 3.0, 3.0]
    assert not failed.any()


def test_likert_five_point_labels():
    labels = ["Strongly disagree", "disagree", "NEITHER AGREE NOR DISAGREE", "Neutral",
              "Neither agree or disagree", "Agree", "strongly  agree", "Somewhat agree"]
    scores, failed = parse_likert(pd.Series(labels), 1, 5)
    assert scores.tolist() == [1.0, 2.0, 3.0, 3.0, 3.0, 4.0, 5.0, 4.0]
    assert not failed.any()


def test_likert_seven_point_labels():
    labels = ["Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree",
              "Somewhat agree", "Agree", "Strongly agree"]
    scores, failed = parse_likert(pd.Series(labels), 1, 7)
    assert scores.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    assert not failed.any()


def test_likert_numbered_labels():
    scores, failed = parse_likert(
        pd.Series(["5 - Strongly agree", "5 = Strongly agree", "1 - Not at all", "(4) Agree",
                   "1 - Strongly agree"]), 1, 5)
    assert scores.tolist()[:4] == [5.0, 5.0, 1.0, 4.0]
    assert pd.isna(scores.iloc[4])
    assert failed.tolist() == [False, False, False, False, True]  # number contradicts label


def test_likert_unknown_labels_fail_and_empties_do_not():
    scores, failed = parse_likert(pd.Series(["Kind of", "Agree", "", None, "N/A"]), 1, 5)
    assert failed.tolist() == [True, False, False, False, False]
    assert scores.iloc[1] == 4.0
    assert scores.drop(index=1).isna().all()


def test_likert_labels_follow_scale_min():
    scores, _ = parse_likert(pd.Series(["Strongly disagree", "Strongly agree"]), 0, 4)
    assert scores.tolist() == [0.0, 4.0]


def test_likert_labels_unknown_on_other_scales():
    scores, failed = parse_likert(pd.Series(["Agree", "7"]), 1, 10)
    assert failed.tolist() == [True, False]
    assert scores.iloc[1] == 7.0


# ---------------------------------------------------------------- yes/no


def test_parse_bool():
    flags, unknown = parse_bool(pd.Series(["Y", "n", "Yes", "NO", "True", "false", "1", "0",
                                           "TRUE", "", None, "Escalated", "maybe"]))
    assert flags.dtype == "boolean"
    assert flags.iloc[:9].tolist() == [True, False, True, False, True, False, True, False, True]
    assert flags.iloc[9:].isna().all()
    assert unknown.tolist() == [False] * 11 + [True, True]


# ---------------------------------------------------------------- severity


@pytest.mark.parametrize("text, expected", [
    ("Low", "low"), ("MEDIUM", "medium"), ("High", "high"), ("Critical", "critical"),
    ("Trivial", "low"), ("Minor", "low"), ("Major", "high"), ("Blocker", "critical"),
    ("Lowest", "low"), ("Highest", "critical"),
    ("Green", "low"), ("Amber", "medium"), ("Red", "high"),
    ("P1", "critical"), ("p2", "high"), ("P3", "medium"), ("P4", "low"),
])
def test_parse_severity_known(text, expected):
    out, unknown = parse_severity(pd.Series([text]))
    assert out.iloc[0] == expected
    assert not unknown.iloc[0]


def test_parse_severity_unknown_and_empty():
    out, unknown = parse_severity(pd.Series(["2", "Urgent-ish", "", None]))
    assert out.isna().all()
    assert unknown.tolist() == [True, True, False, False]


# ---------------------------------------------------------------- partner names


@pytest.mark.parametrize("name", ["Kestrel Design Ltd", "Kestrel Design", "KESTREL DESIGN LIMITED.",
                                  "  kestrel   design  ltd. ", "Kestrel Design Ltd.", "The Kestrel Design"])
def test_normalise_partner_name_same_key(name):
    assert normalise_partner_name(name) == "kestrel design"


@pytest.mark.parametrize("name, key", [
    ("Smith & Jones", "smith and jones"),
    ("Smith and Jones LLP", "smith and jones"),
    ("Osprey & Co", "osprey"),
    ("Osprey Group plc", "osprey group"),  # 'group' kept: it can tell organisations apart
    ("O'Neil Partners", "oneil partners"),
    ("Société Générale SA", "societe generale"),
    ("Heron-Baker GmbH", "heron baker"),
    ("A.B.C. Ltd", "abc"),
    ("Co", "co"),
    ("Ltd", "ltd"),
])
def test_normalise_partner_name_examples(name, key):
    assert normalise_partner_name(name) == key


def test_normalise_partner_names_column():
    out = normalise_partner_names(pd.Series(["Kestrel Ltd", None, "Kestrel Ltd"]))
    assert out.tolist()[0] == "kestrel" and out.tolist()[2] == "kestrel"
    assert pd.isna(out.iloc[1])


KNOWN = {"kestrel design": 1, "kdl": 1, "osprey engineering": 2, "heron": 3}
NAMES = {1: "Kestrel Design", 2: "Osprey Engineering", 3: "Heron"}


def test_match_partner_known():
    assert match_partner("KESTREL DESIGN LIMITED.", KNOWN, NAMES) == PartnerMatch(
        "known", 1, "Kestrel Design", 1.0)
    assert match_partner("KDL", KNOWN, NAMES).partner_id == 1


def test_match_partner_near_by_spelling():
    result = match_partner("Osprey Engineeering", KNOWN, NAMES)
    assert (result.kind, result.partner_id, result.suggestion) == ("near", 2, "Osprey Engineering")
    assert result.score >= 0.85


def test_match_partner_near_by_token_subset():
    result = match_partner("Kestrel", KNOWN, NAMES)
    assert (result.kind, result.partner_id) == ("near", 1)
    assert match_partner("Heron Consulting", KNOWN, NAMES).partner_id == 3


def test_match_partner_new():
    assert match_partner("Buzzard Civils", KNOWN, NAMES) == PartnerMatch("new", None, None, 0.0)
    assert match_partner("Anything", {}, {}).kind == "new"


def test_match_partner_empty_name():
    with pytest.raises(ValueError):
        match_partner(" - ", KNOWN, NAMES)


# ---------------------------------------------------------------- letters that do not decompose
@pytest.mark.parametrize("written, plain", [
    ("Ørsted", "Orsted"), ("Łódź Works", "Lodz Works"), ("Æther Ltd", "Aether Ltd"),
    ("Đurđević Civils", "Durdevic Civils"), ("Œuvre Partners", "Oeuvre Partners"),
    ("Þórsson Group", "Thorsson Group"), ("Straßenbau GmbH", "Strassenbau GmbH"),
])
def test_latin_letters_fold_to_ascii_so_both_spellings_match(written, plain):
    assert normalise_partner_name(written) == normalise_partner_name(plain)
    assert match_partner(plain, {normalise_partner_name(written): 7}, {7: written}).kind == "known"


def test_other_scripts_are_kept_as_written():
    assert normalise_partner_name("北京建工") == "北京建工"
    assert normalise_partner_name("Москва Стрoй") != normalise_partner_name("Moskva Stroy")


# ---------------------------------------------------------------- scales written as text
@pytest.mark.parametrize("text, low, high", [
    ("1-5", 1, 5), ("1–5", 1, 5), ("1 to 5", 1, 5), ("1..7", 1, 7), ("5-point", 1, 5),
    ("7 point", 1, 7), ("7-pt", 1, 7), ("Agree (1-5)", 1, 5), ("0-10", 0, 10),
    ("1 - 7 (Strongly disagree - Strongly agree)", 1, 7),
])
def test_parse_scale(text, low, high):
    lows, highs, failed = parse_scale(pd.Series([text]))
    assert (lows[0], highs[0], bool(failed[0])) == (low, high, False)


def test_parse_scale_fails_what_is_not_a_scale_and_skips_blanks():
    lows, highs, failed = parse_scale(pd.Series(["5-1", "agree", "2025-01", "50%", None, " "]))
    assert failed.tolist() == [True, True, True, True, False, False]
    assert lows.isna().all() and highs.isna().all()


# ---------------------------------------------------------------- ServiceNow priorities
def test_servicenow_numbered_priorities():
    out, unknown = parse_severity(pd.Series(["1 - Critical", "2 - High", "3 - Moderate", "4 - Low",
                                             "5 - Planning", "3"]))
    assert out.tolist()[:5] == ["critical", "high", "medium", "low", "low"]
    assert unknown.tolist() == [False, False, False, False, False, True]


def test_german_weekdays_and_months_as_microsoft_project_and_jira_write_them():
    project = parse_dates(pd.Series(["Mo 02.03.26", "Mi 04.03.26", "Donnerstag 14.08.2025"]))
    assert project.order == "dayfirst"  # 2 March 2026 is a Monday: the weekday settles it
    assert project.dates.tolist() == [T("2026-03-02"), T("2026-03-04"), T("2025-08-14")]
    jira = parse_dates(pd.Series(["05/Okt/26 10:03", "02/Mär/26", "01/Dez/26", "14. März 2026"]))
    assert not jira.failed.any()
    assert jira.dates.tolist() == [T("2026-10-05 10:03"), T("2026-03-02"), T("2026-12-01"), T("2026-03-14")]


def test_german_jira_priorities():
    out, unknown = parse_severity(pd.Series(["Höchste", "Hoch", "Mittel", "Niedrig", "Niedrigste"]))
    assert out.tolist() == ["critical", "high", "medium", "low", "low"] and not unknown.any()


def test_a_time_with_an_offset_keeps_the_day_it_was_written_on():
    # Jira's ISO export for a user at +02:00: raised at 00:30 on 1 October, in 2026-Q4 where they are
    assert parse_dates(pd.Series(["2026-10-01T00:30:00.000+0200"])).dates.tolist() == [T("2026-10-01 00:30")]
