"""No password of a DuckLake store's connection string in any message (issue #19 item 10, #24).

Connection strings are parsed as libpq reads them, in both forms (key=value with quoted values,
spaces and escapes; URLs with percent-encoding and query parameters), and every password is
masked where the location is shown and scrubbed from whatever libpq or DuckDB quote back.
Every command, run against a store that cannot be reached, prints one plain line, exits 3
(`check`: 1, it is a probe) and never shows the password; nor does the app's notice.
"""
from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines import cli
from pipelines.store import conninfo, lake

ROOT = Path(__file__).resolve().parent.parent


def closed_port() -> int:
    """A loopback port nobody listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = closed_port()
# (connection string, what libpq reads as the password, how messages show the string)
FORMS = [
    (f"dbname=ph host=127.0.0.1 port={PORT} user=ph password=Zq7secret",
     "Zq7secret", f"dbname=ph host=127.0.0.1 port={PORT} user=ph password=***"),
    (f"dbname=ph host=127.0.0.1 port={PORT} password='my Zq7secret' user=ph",
     "my Zq7secret", f"dbname=ph host=127.0.0.1 port={PORT} password=*** user=ph"),
    (f"password = 'it\\'s a \\\\ Zq7secret' dbname=ph host=127.0.0.1 port={PORT}",
     "it's a \\ Zq7secret", f"password = *** dbname=ph host=127.0.0.1 port={PORT}"),
    (f"dbname=ph password=Zq7\\ secret host=127.0.0.1 port={PORT}",
     "Zq7 secret", f"dbname=ph password=*** host=127.0.0.1 port={PORT}"),
    (f"postgresql://ph:Zq7secret@127.0.0.1:{PORT}/ph",
     "Zq7secret", f"postgresql://ph:***@127.0.0.1:{PORT}/ph"),
    (f"postgres://ph:Zq7%40se%3Acret@127.0.0.1:{PORT}/ph?sslmode=disable",
     "Zq7@se:cret", f"postgres://ph:***@127.0.0.1:{PORT}/ph?sslmode=disable"),
    (f"postgresql://127.0.0.1:{PORT}/ph?user=ph&password=Zq7secret&application_name=x",
     "Zq7secret", f"postgresql://127.0.0.1:{PORT}/ph?user=ph&password=***&application_name=x"),
]
IDS = ["keyword", "quoted-with-space", "escaped-quote", "escaped-space", "url", "url-percent", "url-query"]


def leaks(text: str, dsn: str, password: str) -> list[str]:
    """Every spelling of the password (as written, as meant, or a part of it) found in ``text``."""
    written = [dsn[s.start:s.end] for s in conninfo.secrets(dsn)]
    parts = [password, *written, "Zq7", "secret", "cret"]
    return [part for part in parts if part in text]


# -- parsing ------------------------------------------------------------------------
@pytest.mark.parametrize(("dsn", "password", "shown"), FORMS, ids=IDS)
def test_the_password_is_read_as_libpq_reads_it_and_masked(dsn, password, shown):
    assert [s.value for s in conninfo.secrets(dsn)] == [password]
    assert conninfo.masked(dsn) == shown
    assert lake.display_name(f"ducklake:postgres:{dsn}") == f"ducklake:postgres:{shown}"


def test_a_url_may_carry_two_passwords_and_both_are_masked():
    dsn = "postgresql://u:one@h/x?password=two"
    assert [s.value for s in conninfo.secrets(dsn)] == ["one", "two"]
    assert conninfo.masked(dsn) == "postgresql://u:***@h/x?password=***"


def test_no_password_leaves_the_string_as_it_is():
    for dsn in ("dbname=ph host=db.example.org user=ph", "postgresql://ph@db.example.org/ph"):
        assert conninfo.secrets(dsn) == [] and conninfo.masked(dsn) == dsn


def test_sslpassword_is_a_secret_too():
    assert conninfo.masked("host=h sslpassword='k e y' user=u") == "host=h sslpassword=*** user=u"


def test_a_string_libpq_cannot_read_is_masked_from_the_secret_onwards():
    assert conninfo.masked("host=h password") == "host=h ***"


@pytest.mark.parametrize(("dsn", "password", "shown"), FORMS, ids=IDS)
def test_a_quoted_message_loses_the_password_in_every_spelling(dsn, password, shown):
    location = f"ducklake:postgres:{dsn}"
    written = dsn[conninfo.secrets(dsn)[0].start:conninfo.secrets(dsn)[0].end]
    message = f'IO Error: Unable to attach "{location}": failed for {password!r} ({written})'
    cleaned = lake.redact(message, location)
    assert leaks(cleaned, dsn, password) == [], cleaned
    assert cleaned.startswith("IO Error: Unable to attach")


def test_a_message_quoting_some_other_string_loses_its_passwords():
    text = "could not use postgresql://a:Zq7secret@h/x nor password='Zq7 secret' nor password=Zq7secret"
    assert conninfo.redact(text) == "could not use postgresql://a:***@h/x nor password=*** nor password=***"


# -- every command, against a store that cannot be reached ----------------------------
def _commands(tmp_path: Path) -> dict[str, list[str]]:
    log = tmp_path / "raid.csv"
    log.write_text("Issue ID,Title,Raised by,Raised date\nA-1,One,Kestrel Design,2025-01-05\n")
    return {"load": ["load", str(log), "--dataset", "issues"], "history": ["history"], "undo": ["undo", "1"],
            "rejected": ["rejected", "1"], "scores": ["scores"], "demo": ["demo"],
            "pack": ["pack", "--out", str(tmp_path / "pack.pptx")], "maintain": ["maintain"], "check": ["check"],
            "alerts": ["alerts"], "evidence": ["evidence"], "reliability": ["reliability"],
            "whatif": ["whatif", "--partner", "Kestrel Design"], "participation": ["participation"],
            "dyads": ["dyads"], "comments": ["comments"], "action": ["action", "list"]}


VERBS = ["load", "history", "undo", "rejected", "scores", "demo", "pack", "maintain", "check",
         "alerts", "evidence", "reliability", "whatif", "participation", "dyads", "comments", "action"]


def test_every_verb_that_opens_the_store_is_tried_here():
    assert set(VERBS) | {"migrate"} == set(cli.VERBS) - set(cli.STORELESS)


# every form with two verbs, every verb with one form: the messages come from one place
CASES = [(verb, *FORMS[1]) for verb in VERBS] + [(verb, *form) for form in FORMS for verb in ("history", "check")
                                                 if form is not FORMS[1]]


@pytest.mark.parametrize(("verb", "dsn", "password", "shown"), CASES)
def test_a_command_on_an_unreachable_store_says_so_in_one_line_without_the_password(
        verb, dsn, password, shown, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_DB", f"ducklake:postgres:{dsn}")
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(_commands(tmp_path)[verb], out=out, err=err)
    said = out.getvalue() + err.getvalue()
    assert code == (1 if verb == "check" else 3), said
    assert leaks(said, dsn, password) == [], said
    assert said.count("\n") == 1 and "Traceback" not in said
    assert f"ducklake:postgres:{shown} cannot be reached (Connection refused)" in said
    assert said.startswith("not ready: The programme store" if verb == "check" else "The programme store")


@pytest.mark.parametrize(("dsn", "password", "shown"), FORMS, ids=IDS)
def test_migrate_to_an_unreachable_store_says_so_without_the_password(dsn, password, shown, demo):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["migrate", "--to", f"ducklake:postgres:{dsn}"], out=out, err=err)
    said = out.getvalue() + err.getvalue()
    assert code == 3, said
    assert leaks(said, dsn, password) == [], said
    assert said.count("\n") == 1 and f"ducklake:postgres:{shown} cannot be reached" in said


def test_a_location_that_is_no_postgres_catalog_is_refused_without_its_password(tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_DB", "ducklake:mysql:host=h password='Zq7 secret'")
    err = io.StringIO()
    assert cli.main(["history"], out=io.StringIO(), err=err) == 1
    assert "Zq7" not in err.getvalue() and "only a DuckLake store with a PostgreSQL catalog" in err.getvalue()


# -- the app ----------------------------------------------------------------------------
@pytest.mark.parametrize(("dsn", "password", "shown"), [FORMS[1], FORMS[5]], ids=[IDS[1], IDS[5]])
def test_the_app_says_the_store_cannot_be_reached_and_shows_no_password(dsn, password, shown, monkeypatch, caplog):
    from app_pages.ui import queries

    monkeypatch.setenv("PARTNERSHIP_DB", f"ducklake:postgres:{dsn}")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [w.value for w in at.warning] == [queries.STORE_UNREACHABLE]
    shown_text = "\n".join(str(element.value) for kind in (at.markdown, at.warning, at.error, at.title, at.caption)
                           for element in kind)
    assert leaks(shown_text, dsn, password) == []
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "cannot be reached" in logged and leaks(logged, dsn, password) == []
