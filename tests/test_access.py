"""Who may see what: the rules (pipelines.access) and the real app under AppTest's simulated users.

The sign-in round trip against a real (local) OIDC provider is in tests/test_oidc_signin.py.
These tests drive the gating the app does around it: signed-out visitors see only the sign-in screen, viewers never get the Data page,
editors do, and without an [auth] section the app runs in local mode and says so.
"""
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pipelines import access

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
DATA_PAGE = "app_pages/data.py"
AUTH = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "c" * 40,
                 "client_id": "partnership-health", "client_secret": "not-a-real-secret",
                 "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}}
EDITORS = "alice@x.org, @partner.org"


# ------------------------------------------------------------------------------- the rules
@pytest.mark.parametrize("email, expected", [
    ("alice@x.org", True), ("ALICE@X.ORG", True), ("bob@x.org", False),
    ("carol@partner.org", True), ("carol@sub.partner.org", False), ("carol@partner.org.evil.com", False),
    ("partner.org", False), ("", False), (None, False),
])
def test_editors_are_exact_emails_or_exact_domains(email, expected):
    assert access.is_editor(email, access.editor_rules(EDITORS)) is expected


def test_editor_rules_accept_bare_domains_and_semicolons():
    assert access.editor_rules("a@x.org; partner.org\n@Other.org") == ("a@x.org", "@partner.org", "@other.org")
    assert access.editor_rules("") == ()


def test_without_an_auth_section_everyone_is_local_and_may_edit():
    for secrets in (None, {}, {"other": {"a": 1}}, {"auth": {}}):
        who = access.resolve(secrets, {"email": "anyone@x.org"})
        assert who.mode == access.LOCAL and who.can_edit and who.may_open("data")
        assert "Local mode" in who.caption()


def test_with_auth_a_signed_out_visitor_sees_nothing(monkeypatch):
    monkeypatch.setattr(access, "authlib_installed", lambda: True)
    who = access.resolve(AUTH, {"is_logged_in": False}, editors=("alice@x.org",))
    assert who.must_sign_in and not who.can_view and not who.may_open("overview")
    assert who.problem is None


@pytest.mark.parametrize("claims", [
    {"email_verified": False}, {}, {"email_verified": None}, {"email_verified": "false"},
    {"email_verified": "no"}, {"email_verified": 1}, {"email_verified": "yes"}, {"email_verified": [True]},
])
def test_an_email_not_verified_by_the_token_is_never_an_editor(claims):
    """Only ``email_verified: true`` vouches for the email; a token without the claim is unverified."""
    who = access.resolve(AUTH, {"is_logged_in": True, "email": "alice@x.org", **claims},
                         editors=("alice@x.org",))
    assert who.mode == access.VIEWER and not who.may_open("data") and who.may_open("compare")


@pytest.mark.parametrize("claim", [True, "true", "TRUE", " true "])
def test_a_verified_email_on_the_list_is_an_editor(claim):
    who = access.resolve(AUTH, {"is_logged_in": True, "email": "alice@x.org", "email_verified": claim},
                         editors=("alice@x.org",))
    assert who.mode == access.EDITOR and who.may_open("data")


def test_incomplete_auth_section_is_named_without_its_values(monkeypatch):
    monkeypatch.setattr(access, "authlib_installed", lambda: True)
    problem = access.auth_problem({"client_id": "id-value", "client_secret": "secret-value"})
    assert "redirect_uri" in problem and "cookie_secret" in problem and "server_metadata_url" in problem
    assert "secret-value" not in problem and "id-value" not in problem
    assert access.auth_problem(AUTH["auth"]) is None
    monkeypatch.setattr(access, "authlib_installed", lambda: False)
    assert "Authlib" in access.auth_problem(AUTH["auth"])


def test_named_provider_is_passed_to_login():
    assert access.provider(AUTH["auth"]) is None
    section = {"redirect_uri": "x", "cookie_secret": "y", "okta": {"client_id": "a"}}
    assert access.provider(section) == "okta"


@pytest.mark.parametrize("base, page, query, expected", [
    ("", "partner", {"partner": "Kestrel Design", "asof": "12"}, "/partner?partner=Kestrel+Design&asof=12"),
    ("", "", {}, "/"),
    ("ph/", "compare", {"factors": ["shared_goals", "joint_governance"]},
     "/ph/compare?factors=shared_goals&factors=joint_governance"),
    ("", "//evil.example/x", {}, "/"),
    ("", "https://evil.example", {}, "/"),
    ("", "what-if", {"d_shared_goals": "<script>"}, "/what-if?d_shared_goals=%3Cscript%3E"),
])
def test_the_linked_view_is_a_local_path_with_its_query(base, page, query, expected):
    assert access.return_path(base, page, query) == expected


# ------------------------------------------------------------------------------- the app, simulated
def _app(monkeypatch, *, secrets=None, user=None, editors=EDITORS, authlib=True) -> AppTest:
    monkeypatch.setenv("PARTNERSHIP_EDITORS", editors)
    monkeypatch.setattr(access, "authlib_installed", lambda: authlib)
    at = AppTest.from_file(APP, default_timeout=60)
    if secrets:
        at.secrets = secrets
    if user is not None:
        at.user = user
    return at


def _can_open_data_page(at: AppTest) -> bool:
    try:
        at.switch_page(DATA_PAGE)
    except ValueError as error:  # AppTest: the page is not in this session's navigation
        assert "Could not find a navigation page" in str(error)
        return False
    return True


def test_local_mode_says_so_and_offers_every_page(monkeypatch):
    at = _app(monkeypatch)
    at.run()
    assert not at.exception
    assert any("Local mode" in caption.value for caption in at.sidebar.caption)
    assert not [b for b in at.button if b.label == "Sign in"]
    assert _can_open_data_page(at)
    at.run()
    assert not at.exception


def test_signed_out_visitor_gets_only_the_sign_in_screen_and_no_data(monkeypatch, tmp_path):
    at = _app(monkeypatch, secrets=AUTH, user={"is_logged_in": False})
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert "private" in at.markdown[0].value
    assert not at.sidebar.caption and not at.dataframe and not at.metric
    # the database is not even opened for a visitor who has not signed in
    assert not (tmp_path / "programme.duckdb").exists()


def test_missing_authlib_is_said_instead_of_a_broken_sign_in_button(monkeypatch):
    at = _app(monkeypatch, secrets=AUTH, user={"is_logged_in": False}, authlib=False)
    at.run()
    assert not at.exception
    assert not at.button
    assert "Authlib" in at.error[0].value


def test_a_shared_link_is_remembered_across_sign_in(monkeypatch):
    """Streamlit 1.67 returns to the app's home after the provider's callback (it redirects to the
    base URL). The sign-in screen therefore keeps the linked page and its parameters in the tab's
    sessionStorage, and resume_linked_view() reopens it once signed in."""
    at = _app(monkeypatch, secrets=AUTH, user={"is_logged_in": False})
    at.query_params["partner"] = "Kestrel Design"
    at.query_params["asof"] = "7"
    at.switch_page("app_pages/partner.py")
    at.run()
    assert not at.exception
    saved = next(h.value for h in at.html if "partnership.returnTo" in h.value)
    literal = re.search(r"JSON\.parse\((\".*?[^\\]\")\)", saved).group(1)
    assert json.loads(json.loads(literal)) == {"to": "/partner?partner=Kestrel+Design&asof=7"}


def test_viewer_never_sees_the_data_page(monkeypatch):
    at = _app(monkeypatch, secrets=AUTH, user={"is_logged_in": True, "email": "bob@elsewhere.org",
                                               "name": "Bob"})
    at.run()
    assert not at.exception
    assert any("viewer" in c.value for c in at.sidebar.caption)
    assert [b.label for b in at.sidebar.button if b.label == "Sign out"] == ["Sign out"]
    assert not _can_open_data_page(at)
    # the page the viewer lands on after sign-in restores a remembered link, if there is one
    assert any("partnership.returnTo" in h.value for h in at.html)


@pytest.mark.parametrize("email", ["alice@x.org", "dana@partner.org"])
def test_editors_by_email_or_domain_get_the_data_page(monkeypatch, email):
    at = _app(monkeypatch, secrets=AUTH, user={"is_logged_in": True, "email": email, "email_verified": True})
    at.run()
    assert not at.exception
    assert any("editor" in c.value for c in at.sidebar.caption)
    assert _can_open_data_page(at)
    at.run()
    assert not at.exception


def test_an_editor_whose_token_lacks_email_verified_has_no_data_page(monkeypatch):
    at = _app(monkeypatch, secrets=AUTH, user={"is_logged_in": True, "email": "alice@x.org"})
    at.run()
    assert not at.exception
    assert any("(viewer)" in c.value for c in at.sidebar.caption)
    assert not _can_open_data_page(at)


def test_with_no_editors_configured_nobody_gets_the_data_page(monkeypatch):
    at = _app(monkeypatch, secrets=AUTH, user={"is_logged_in": True, "email": "alice@x.org",
                                               "email_verified": True}, editors="")
    at.run()
    assert not at.exception
    assert not _can_open_data_page(at)


def test_secrets_example_is_committed_and_the_real_one_is_ignored():
    example = (ROOT / ".streamlit" / "secrets.example.toml").read_text()
    assert "[auth]" in example and "redirect_uri" in example and "cookie_secret" in example
    ignored = (ROOT / ".gitignore").read_text().split()
    assert ".streamlit/secrets.toml" in ignored and "data/secret_salt" in ignored


def test_the_salt_is_generated_private_and_never_stored_or_printed(tmp_path, store):
    import io
    import stat

    from pipelines import cli, ingest
    from pipelines.ingest import privacy
    from pipelines.programme import bootstrap

    bootstrap.ensure_instrument(store)
    ingest.commit(store, ingest.prepare(store, "partners", "p.csv", b"Partner\r\nKestrel Design\r\n"))
    items = [r[0] for r in store.cursor().execute("SELECT item_id FROM instrument_items").fetchall()]
    pulse = "Respondent ID,Organisation,Wave," + ",".join(items) + "\r\n" + "".join(
        f"r{i},Kestrel Design,2025-Q1," + ",".join("4" for _ in items) + "\r\n" for i in range(6))
    (tmp_path / "pulse.csv").write_text(pulse)
    out, err = io.StringIO(), io.StringIO()
    assert cli.main(["load", str(tmp_path / "pulse.csv"), "--dataset", "survey"], store=store,
                    out=out, err=err) == 0
    salt_file = tmp_path / "salt"  # PARTNERSHIP_SALT_FILE in conftest
    assert stat.S_IMODE(salt_file.stat().st_mode) == 0o600
    secret = privacy.salt().decode()
    assert len(secret) >= 32
    assert secret not in out.getvalue() + err.getvalue()
    cursor = store.cursor()
    for (table,) in cursor.execute("SELECT table_name FROM information_schema.tables").fetchall():
        assert secret not in repr(cursor.execute(f'SELECT * FROM "{table}"').fetchall())
    keys = [r[0] for r in cursor.execute("SELECT DISTINCT respondent_key FROM survey_responses").fetchall()]
    assert sorted(keys) == sorted(privacy.pseudonymise(pd.Series([f"id:r{i}" for i in range(6)]), privacy.salt()))
