"""python -m pipelines load with the second round of real exports (#21): --partner alone, --delimiter,
--include-partial, a question about many new partners, and people's names never taken for partners.
Fixtures: tests/fixtures/exports (make_fixtures.py names the shape each copies)."""
import io
import shutil
from pathlib import Path

import pytest

from pipelines import cli

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
ITEMS = ("Item ID,Question text,Factor,Scale min,Scale max,Reverse-scored\r\n"
         "SG1,We agreed the programme goals together,shared goals,1,5,No\r\n"
         "JG1,Decisions are made jointly,joint governance,1,5,No\r\n"
         "PS1,I can raise problems without blame,psychological safety,1,5,No\r\n")
PARTNERS = "Partner,Aliases\r\nNorthgate Housing,Northgate\r\nRiverside Health Trust,RHT\r\nEastfield Council,\r\n"


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main([str(a) for a in argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def programme(tmp_path):
    (tmp_path / "items.csv").write_text(ITEMS)
    (tmp_path / "partners.csv").write_text(PARTNERS)
    assert run("load", "--dataset", "instrument", tmp_path / "items.csv")[0] == 0
    assert run("load", "--dataset", "partners", tmp_path / "partners.csv")[0] == 0
    return tmp_path


def export(tmp_path: Path, name: str) -> Path:
    return Path(shutil.copy(EXPORTS / name, tmp_path / name))


def test_partner_for_the_whole_file_needs_no_partner_column(programme):
    survey = programme / "one-partner.csv"
    survey.write_text("Response ID,Wave,We agreed the programme goals together\r\nr1,2025-09,Agree\r\n"
                      "r2,2025-09,Disagree\r\n")
    code, out, err = run("load", "--dataset", "survey", "--partner", "RHT", survey)
    assert (code, out) == (0, "Loaded 2 of 2 rows of one-partner.csv as batch 3 (2 answers).\n"), err


def test_partial_responses_are_left_out_unless_included(programme):
    code, out, err = run("load", "--dataset", "survey", export(programme, "qualtrics_partial.csv"))
    assert code == 0
    assert out == ("Loaded 3 of 5 rows of qualtrics_partial.csv as batch 3 (9 answers); "
                   "2 partial responses skipped.\n")
    assert "--include-partial" in err
    run("undo", "3")
    code, out, err = run("load", "--dataset", "survey", "--include-partial", export(programme, "qualtrics_partial.csv"))
    assert (code, out) == (0, "Loaded 5 of 5 rows of qualtrics_partial.csv as batch 5 (12 answers).\n"), err


def test_delimiter_chosen_by_name_or_refused_with_usage(programme):
    jira = export(programme, "jira_all_fields.csv")
    code, out, err = run("load", "--dataset", "issues", "--delimiter", "comma", jira)
    assert (code, out) == (0, "Loaded 6 of 6 rows of jira_all_fields.csv as batch 3.\n"), err
    code, _, err = run("load", "--dataset", "issues", "--delimiter", "colon", jira)
    assert code == 64 and "--delimiter must be one of comma, semicolon, tab, pipe, not 'colon'." in err


def test_delimiter_that_splits_wrongly_stops_for_a_decision(programme):
    code, out, err = run("load", "--dataset", "issues", "--delimiter", "semicolon",
                         export(programme, "jira_all_fields.csv"))
    assert code == 2 and out == ""
    assert "note: Columns are separated by semicolons, as chosen." in err


def test_many_new_partners_exit_2_with_their_names_then_load_when_confirmed(programme):
    plan = programme / "plan.csv"
    names = ["Granite Civils", "Meridian Tunnelling", "Orchard Signals", "Summit Ecology"]
    plan.write_text("Milestone ID,Owner,Baseline Date\r\n"
                    + "".join(f"M{n},{name},2025-0{n + 1}-28\r\n" for n, name in enumerate(names)))
    code, out, err = run("load", "--dataset", "milestones", plan)
    assert code == 2 and out == ""
    assert ("Not loaded: This file would add 4 new partners: Granite Civils, Meridian Tunnelling, Orchard Signals, "
            "Summit Ecology. Nothing was loaded: check that 'Owner' holds organisations") in err
    assert "confirm them all ('Add them all as new partners'; command line: --accept-new-partners)" in err
    confirm = [arg for name in names for arg in ("--new-partner", name)]
    code, out, err = run("load", "--dataset", "milestones", *confirm, plan)
    assert (code, out) == (0, "Loaded 4 of 4 rows of plan.csv as batch 3; new partners: Granite Civils, "
                              "Meridian Tunnelling, Orchard Signals, Summit Ecology.\n"), err


def test_accept_new_partners_adds_them_all_at_once(programme):
    plan = programme / "plan.csv"
    plan.write_text("Milestone ID,Owner,Baseline Date\r\n"
                    + "".join(f"M{n},Partner {n:02d} Civils,2025-01-{n + 10}\r\n" for n in range(15)))
    code, out, err = run("load", "--dataset", "milestones", plan)
    assert code == 2 and "would add 15 new partners: Partner 00 Civils, " in err and "and 3 more." in err
    code, out, err = run("load", "--dataset", "milestones", "--accept-new-partners", plan)
    assert code == 0 and out.startswith("Loaded 15 of 15 rows of plan.csv as batch 3; new partners: Partner 00"), err


def test_raid_log_with_people_on_an_empty_programme_asks_which_column_holds_the_partner(tmp_path):
    code, out, err = run("load", "--dataset", "issues", export(tmp_path, "raid_log_people.xlsx"))
    assert code == 2 and out == ""
    assert "raised_by (best guess: Partner, 70%: header 'Partner' names organisations" in err
    assert "'Raised By': values look like people's names, not organisations" in err
    assert run("history")[1] == "No batches loaded yet.\n"


def test_native_schedules_load_from_the_command_line(programme):
    code, out, err = run("load", "--dataset", "milestones", export(programme, "ms_project_schedule.xml"))
    assert (code, out) == (0, "Loaded 3 of 10 rows of ms_project_schedule.xml as batch 3; "
                              "7 not milestones skipped.\n"), err
    code, out, err = run("load", "--dataset", "milestones", export(programme, "p6_schedule.xer"))
    assert (code, out) == (0, "Loaded 4 of 9 rows of p6_schedule.xer as batch 4; 5 not milestones skipped.\n"), err
