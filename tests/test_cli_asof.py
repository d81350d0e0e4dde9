"""Every verb that takes --asof refuses a data version the programme does not have (exit 64),
naming the versions there are, and does nothing else (no output, no file)."""
from __future__ import annotations

import io

import builders as b
import pytest

from pipelines import cli
from pipelines.cli import VERBS, build_parser


def _run(store, argv):
    out, err = io.StringIO(), io.StringIO()
    return cli.main(argv, store=store, out=out, err=err), out.getvalue(), err.getvalue()


@pytest.fixture
def loaded(store):
    ids = b.add_partners(store, ["Alpha"])                                 # version 1
    b.load(store, "instrument_items", b.instrument())                      # version 2
    b.load(store, "survey_responses", b.responses(ids["Alpha"], "2024-Q1", "2024-01-01",
                                                  [b.all_items(4)] * 5))   # version 3
    return store


def _verbs_with_asof() -> list[str]:
    subparsers = next(a for a in build_parser()._actions if a.dest == "verb")
    return [verb for verb in VERBS
            if any(action.dest == "asof" for action in subparsers.choices[verb]._actions)]


def _argv(verb: str, tmp_path, asof: str) -> list[str]:
    extra = {"pack": ["--out", str(tmp_path / "pack.pptx")], "whatif": ["--partner", "Alpha"]}.get(verb, [])
    return [verb, *extra, "--asof", asof]


def test_scores_and_pack_take_asof():
    assert {"scores", "pack", "alerts", "evidence", "whatif", "reliability"} <= set(_verbs_with_asof())


@pytest.mark.parametrize("asof", ["99999", "-5", "0", "4"])
def test_an_unknown_version_is_a_usage_error_naming_the_versions(loaded, tmp_path, asof):
    for verb in _verbs_with_asof():
        code, out, err = _run(loaded, _argv(verb, tmp_path, asof))
        assert code == 64, (verb, err)
        assert out == ""
        assert f"This programme does not have data version {int(asof)}." in err
        assert "The versions there are: 1, 2, 3;" in err and "Traceback" not in err
        assert not (tmp_path / "pack.pptx").exists()


def test_a_version_the_programme_has_is_answered(loaded):
    code, out, err = _run(loaded, ["scores", "--asof", "3"])
    assert code == 0 and err == ""
    assert out.startswith("partner,wave,factor,score,respondents,suppressed")
    assert "Alpha,2024-Q1,shared_goals,75.0,5,False" in out
    code, out, _ = _run(loaded, ["scores", "--asof", "2"])  # the instrument alone: no scores yet
    assert code == 0 and out.strip() == "partner,wave,factor,score,respondents,suppressed,reason,pending"


def test_a_version_is_also_named_by_its_data_as_of_label(loaded):
    from pipelines.store import versions

    label = versions.labels(loaded.cursor())[3]
    assert label.startswith("v3 · ")
    by_number = _run(loaded, ["scores", "--asof", "3"])
    assert _run(loaded, ["scores", "--asof", label]) == by_number
    code, out, err = _run(loaded, ["scores", "--asof", "v7 · nothing"])
    assert (code, out) == (64, "") and "The versions there are: 1, 2, 3;" in err


def test_an_empty_programme_says_no_data_has_been_loaded(store):
    code, out, err = _run(store, ["scores", "--asof", "1"])
    assert code == 64 and out == ""
    assert "does not have data version 1. No data has been loaded yet." in err
