"""Sign-in through a real OpenID Connect provider, in headless Chromium.

A local provider (the ``oidc-provider-mock`` package, requirements-dev.txt) runs on a loopback
port; the app is served with an ``[auth]`` section pointing at it, from a secrets file in the
test's temporary folder (``--secrets.files`` via STREAMLIT_SECRETS_FILES; the repository's
``.streamlit/secrets.toml`` is never written). The mock's sign-in form lets the test choose the
subject, and a subject typed there is also the user's ``email`` claim; its token carries
``email_verified`` only for a user registered with that claim (``_register``).

The round trip checked: a shared link to a view, the sign-in screen, the provider's form, and
back to THE SAME view (page and query parameters, restored from the tab's sessionStorage by
``links.resume_linked_view``); a viewer has no Data page in the navigation, an editor has.
"""
import os
import re
import subprocess
import sys
import json
import time
import urllib.request
from urllib.parse import parse_qs, urlparse

import conftest
import pytest
from conftest import AppServer, screenshot, wait_for_app

EDITOR, VIEWER = "alice@x.org", "bob@elsewhere.org"
LINK = "/compare?wave=2025-Q4"
HEADING = "Wave 2025-Q4: arrows show the change since 2025-Q3"  # Compare's caption


def _wait_http(url: str, seconds: float, process: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    process.kill()
    process.wait(timeout=10)
    raise RuntimeError(f"the OIDC provider did not start: {log.read_text()}")


@pytest.fixture
def oidc_provider(tmp_path):
    """oidc-provider-mock on a loopback port; stopped (bounded) after the test."""
    try:
        import oidc_provider_mock  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("oidc-provider-mock is missing; CI must pip install -r requirements-dev.txt.")
        pytest.skip("the local OIDC provider is not installed (pip install oidc-provider-mock, requirements-dev.txt)")
    port = conftest._free_port()
    log = tmp_path / f"oidc-{port}.log"
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1",
                                    "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "NO_COLOR": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{url}/.well-known/openid-configuration", 20, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def signed_in_app(tmp_path, oidc_provider, monkeypatch):
    """The app served with sign-in required, against the local provider; alice@x.org is an editor."""
    port = conftest._free_port()  # the redirect_uri must name the app's port before it starts
    secrets = tmp_path / "auth" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{"k" * 48}"\n'
        'client_id = "partnership-health"\n'
        'client_secret = "any-secret-the-mock-accepts"\n'
        f'server_metadata_url = "{oidc_provider}/.well-known/openid-configuration"\n')
    monkeypatch.setattr(conftest, "_free_port", lambda: port)
    server = AppServer(tmp_path / "served.duckdb", tmp_path / "served-salt",
                       env={"STREAMLIT_SECRETS_FILES": str(secrets), "PARTNERSHIP_EDITORS": EDITOR})
    assert server.port == port
    yield server
    server.stop()


def _register(provider: str, email: str, claims: dict) -> None:
    """Give the provider's user ``email`` these claims (the mock's PUT /users/<sub>)."""
    request = urllib.request.Request(f"{provider}/users/{email}", method="PUT",
                                     data=json.dumps({"email": email, **claims}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 204


def _nav_titles(page) -> list[str]:
    """The navigation's page titles (each link also holds its icon's ligature name)."""
    return [t.strip().splitlines()[-1].strip()
            for t in page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]


def _sign_in_from_a_shared_link(chromium, app, provider: str, email: str, shot: str, *, cancel_first=False):
    """Open LINK signed out, sign in at the provider as ``email``; returns on the linked view."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    try:
        return context, _sign_in(context.new_page(), app, provider, email, shot, cancel_first)
    except BaseException:
        context.close()
        raise


def _sign_in(page, app, provider: str, email: str, shot: str, cancel_first: bool):
    visited = []  # every address the tab's main frame opens, in order
    page.on("framenavigated", lambda frame: visited.append(frame.url) if frame == page.main_frame else None)
    page.goto(app.url + LINK)
    wait_for_app(page, timeout=60_000)
    main = page.inner_text('[data-testid="stMain"]')
    assert "private" in main and HEADING not in main
    assert not page.locator('[data-testid="stSidebarNav"]').count()
    screenshot(page, f"{shot}-1-sign-in-screen")

    if cancel_first:  # the visitor cancels at the provider: back on the home page, still signed out
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector('input[name="sub"]', timeout=20_000)
        page.get_by_role("button", name="Deny").click()
        page.wait_for_url(app.url + "/", timeout=20_000)
        wait_for_app(page, timeout=60_000)
        page.get_by_role("button", name="Sign in").wait_for(timeout=20_000)
        assert "private" in page.inner_text('[data-testid="stMain"]')
        screenshot(page, f"{shot}-1b-cancelled")

    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector('input[name="sub"]', timeout=20_000)  # the provider's own form
    assert page.url.startswith(provider + "/oauth2/authorize")
    page.fill('input[name="sub"]', email)
    screenshot(page, f"{shot}-2-provider-form")
    page.get_by_role("button", name="Authorize").click()

    # Streamlit's callback lands on the home page; the remembered link is reopened from there
    page.wait_for_url(lambda url: urlparse(url).path == "/compare", timeout=30_000)
    wait_for_app(page, timeout=60_000)
    page.get_by_text(HEADING).first.wait_for(timeout=30_000)
    after = visited[max(i for i, url in enumerate(visited) if url.startswith(provider)) + 1:]
    assert after == [app.url + "/", app.url + LINK], (
        f"expected provider -> home -> linked view, got {after} (if Streamlit now returns to the "
        "linked view itself, resume_linked_view may be unnecessary)")
    return page


def _query(page) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


@pytest.mark.browser
def test_a_shared_link_survives_a_cancelled_then_real_sign_in_and_a_viewer_gets_no_data_page(
        signed_in_app, oidc_provider, chromium):
    context, page = _sign_in_from_a_shared_link(chromium, signed_in_app, oidc_provider, VIEWER, "oidc-viewer",
                                                cancel_first=True)
    try:
        assert urlparse(page.url).path == "/compare" and _query(page) == {"wave": "2025-Q4"}
        assert f"Signed in as {VIEWER} (viewer)." in page.inner_text('[data-testid="stSidebar"]')
        assert "Compare" in _nav_titles(page) and "Data" not in _nav_titles(page)
        screenshot(page, "oidc-viewer-3-linked-view")
        # the link is reopened once: the home page stays the home page afterwards
        page.goto(signed_in_app.url + "/")
        wait_for_app(page, timeout=60_000)
        page.wait_for_timeout(500)
        assert page.url == signed_in_app.url + "/"
        # a viewer who types the Data page's address is not given it
        page.goto(signed_in_app.url + "/data")
        wait_for_app(page, timeout=60_000)
        assert "Data" not in _nav_titles(page)
        heading = page.locator('[data-testid="stMain"] h1').first.inner_text()
        assert heading.startswith("Partnership Health"), heading  # the home page, not the Data page
    finally:
        context.close()


@pytest.mark.browser
def test_an_editor_signed_in_through_the_provider_lands_on_the_link_with_the_data_page(
        signed_in_app, oidc_provider, chromium):
    _register(oidc_provider, EDITOR, {"email_verified": True})
    context, page = _sign_in_from_a_shared_link(chromium, signed_in_app, oidc_provider, EDITOR, "oidc-editor")
    try:
        assert urlparse(page.url).path == "/compare" and _query(page) == {"wave": "2025-Q4"}
        assert f"Signed in as {EDITOR} (editor" in page.inner_text('[data-testid="stSidebar"]')
        assert "Data" in _nav_titles(page)
        screenshot(page, "oidc-editor-3-linked-view")
    finally:
        context.close()


@pytest.mark.browser
def test_an_editor_whose_token_does_not_say_email_verified_is_a_viewer(
        signed_in_app, oidc_provider, chromium):
    """The mock's token for a user typed at its form has ``email`` and no ``email_verified``."""
    context, page = _sign_in_from_a_shared_link(chromium, signed_in_app, oidc_provider, EDITOR,
                                                "oidc-unverified")
    try:
        assert f"Signed in as {EDITOR} (viewer)." in page.inner_text('[data-testid="stSidebar"]')
        assert "Data" not in _nav_titles(page)
    finally:
        context.close()


@pytest.mark.parametrize("user", [{"is_logged_in": False}, {"is_logged_in": True, "email": VIEWER}])
def test_the_access_scripts_survive_st_html_sanitising(monkeypatch, user):
    """st.html runs its body through DOMPurify, which silently drops a <script> whose text holds
    "<" followed by a letter, digit, "/" or "!" (it looks like markup): the browser then never
    remembers or reopens the link. AppTest runs no JavaScript, so check the text itself."""
    from streamlit.testing.v1 import AppTest

    from pipelines import access

    monkeypatch.setattr(access, "authlib_installed", lambda: True)
    at = AppTest.from_file(str(conftest.ROOT / "app.py"), default_timeout=60)
    at.secrets = {"auth": {"redirect_uri": "http://127.0.0.1:9/oauth2callback", "cookie_secret": "k" * 48,
                           "client_id": "partnership-health", "client_secret": "x",
                           "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}}
    at.user = user
    at.query_params["wave"] = "<script>alert(1)</script>"
    if not user["is_logged_in"]:
        at.switch_page("app_pages/compare.py")
    at.run()
    assert not at.exception
    scripts = [body for h in at.html for body in re.findall(r"<script>(.*?)</script>", h.value, re.S)]
    assert any("partnership.returnTo" in body for body in scripts)
    for body in scripts:
        assert not re.search(r"<[/\w!]", body), body
