"""Who may see what: pure rules, fed by the secrets' [auth] section and PARTNERSHIP_EDITORS.

Three situations:

* **local mode** - no ``[auth]`` section in ``.streamlit/secrets.toml``: nobody signs in,
  everyone who can open the address may view and edit (the app says so in the sidebar);
* **signed out** - ``[auth]`` is configured and the browser has no signed-in user: only the
  sign-in screen is shown;
* **signed in** - a *viewer* sees the dashboards; an *editor* (an email or a domain listed in
  ``PARTNERSHIP_EDITORS``) also sees the Data page (upload, mapping, undo).

Nothing here imports Streamlit: ``app_pages.common`` passes in the secrets and ``st.user``.
"""
from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlencode

from pipelines import settings

LOCAL, SIGNED_OUT, VIEWER, EDITOR = "local", "signed_out", "viewer", "editor"
EDITOR_PAGES = frozenset({"data"})  # url paths only an editor may open
_AUTH_KEYS = ("client_id", "client_secret", "server_metadata_url")
_AUTH_REQUIRED = ("redirect_uri", "cookie_secret")


@dataclass(frozen=True)
class Access:
    mode: str  # local | signed_out | viewer | editor
    email: str | None = None
    name: str | None = None
    problem: str | None = None  # configuration problem to show to whoever opens the app

    @property
    def auth_enabled(self) -> bool:
        return self.mode != LOCAL

    @property
    def must_sign_in(self) -> bool:
        return self.mode == SIGNED_OUT

    @property
    def can_view(self) -> bool:
        return self.mode in (LOCAL, VIEWER, EDITOR)

    @property
    def can_edit(self) -> bool:
        return self.mode in (LOCAL, EDITOR)

    def may_open(self, url_path: str) -> bool:
        if not self.can_view:
            return False
        return self.can_edit or url_path not in EDITOR_PAGES

    def caption(self) -> str:
        if self.mode == LOCAL:
            return ("Local mode: sign-in is not configured, so anyone who can open this address can "
                    "view and load data. See SECURITY.md to require sign-in.")
        who = self.email or self.name or "unknown user"
        if self.mode == EDITOR:
            return f"Signed in as {who} (editor: can load and undo data)."
        if self.mode == VIEWER:
            return f"Signed in as {who} (viewer)."
        return "Not signed in."


# ------------------------------------------------------------------------ configuration
def auth_section(secrets: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The [auth] section of the secrets, or None when sign-in is not configured."""
    if not secrets:
        return None
    try:
        section = secrets.get("auth")
    except Exception:  # a secrets object that cannot be read counts as not configured
        return None
    return section if isinstance(section, Mapping) and len(section) else None


def auth_problem(section: Mapping[str, Any] | None) -> str | None:
    """What is missing from an [auth] section, in words for whoever runs the app (no values)."""
    if section is None:
        return None
    missing = [key for key in _AUTH_REQUIRED if not section.get(key)]
    providers = [name for name, value in section.items() if isinstance(value, Mapping)]
    has_default = all(section.get(key) for key in _AUTH_KEYS)
    if not has_default and not providers:
        missing.append("client_id, client_secret and server_metadata_url (or an [auth.<provider>] section)")
    if missing:
        return ("Sign-in is configured in .streamlit/secrets.toml but incomplete: missing "
                + "; ".join(missing) + ". See .streamlit/secrets.example.toml.")
    if not authlib_installed():
        return ("Sign-in is configured but the Authlib package is not installed (Streamlit needs it for "
                "st.login): pip install 'Authlib>=1.3.2'.")
    return None


def authlib_installed() -> bool:
    return importlib.util.find_spec("authlib") is not None


def provider(section: Mapping[str, Any] | None) -> str | None:
    """The provider name to pass to st.login: None for the default [auth] client, else the first named one."""
    if section is None or all(section.get(key) for key in _AUTH_KEYS):
        return None
    names = [name for name, value in section.items() if isinstance(value, Mapping)]
    return names[0] if names else None


def editor_rules(text: str | None = None) -> tuple[str, ...]:
    """Editors from PARTNERSHIP_EDITORS: emails (alice@x.org) and domains (@partner.org), lower case."""
    text = settings.get("editors") if text is None else text
    rules = []
    for part in str(text or "").replace(";", ",").replace("\n", ",").split(","):
        part = part.strip().lower()
        if not part:
            continue
        if "@" not in part:
            part = "@" + part  # a bare domain
        rules.append(part)
    return tuple(dict.fromkeys(rules))


def email_verified(claim: Any) -> bool:
    """Only a token that says ``email_verified: true`` vouches for its email: a missing claim, or
    anything else (false, "no", 1), leaves the email unverified, so it never grants editor rights.
    Some providers send the claim as the text "true"."""
    return claim is True or (isinstance(claim, str) and claim.strip().lower() == "true")


def is_editor(email: str | None, rules: tuple[str, ...]) -> bool:
    """An exact email, or an email whose domain is exactly a listed @domain (not a subdomain)."""
    if not email or "@" not in email:
        return False
    email = email.strip().lower()
    domain = "@" + email.rsplit("@", 1)[1]
    return any(rule == email if not rule.startswith("@") else rule == domain for rule in rules)


def resolve(secrets: Mapping[str, Any] | None, user: Mapping[str, Any] | None,
            editors: tuple[str, ...] | None = None) -> Access:
    """Who is looking, from the secrets and the claims Streamlit gives as ``st.user``."""
    section = auth_section(secrets)
    if section is None:
        return Access(LOCAL)
    problem = auth_problem(section)
    user = dict(user or {})
    if not user.get("is_logged_in"):
        return Access(SIGNED_OUT, problem=problem)
    email = user.get("email")
    email = str(email) if email else None
    name = str(user["name"]) if user.get("name") else None
    verified = email_verified(user.get("email_verified"))
    rules = editor_rules() if editors is None else editors
    mode = EDITOR if verified and is_editor(email, rules) else VIEWER
    return Access(mode, email=email, name=name, problem=problem)


# ------------------------------------------------------------------------ links across sign-in
def return_path(base_path: str, url_path: str, query: Mapping[str, Any]) -> str:
    """The relative address of the view a signed-out visitor asked for, to reopen after sign-in.

    Always a path on this server ("/..."), never another site: the page's url path and its query
    parameters (lists become repeated parameters).
    """
    base = "/" + base_path.strip("/") if base_path and base_path.strip("/") else ""
    page = url_path.strip("/")
    if not re.fullmatch(r"[A-Za-z0-9_-]*", page):  # page url paths are slugs; anything else goes home
        page = ""
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        for one in (value if isinstance(value, (list, tuple)) else [value]):
            pairs.append((str(key), str(one)))
    path = f"{base}/{page}" if page else f"{base}/"
    return path + (f"?{urlencode(pairs)}" if pairs else "")
