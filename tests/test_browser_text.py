"""Text from outside stays text, in headless Chromium: a hostile link value or partner name is
shown literally and makes no link, no image, no coloured text and no request.

Two doors: the value of a link's parameter, quoted by the notice that says it was not usable
(Overview ``wave`` and ``asof``, Partner ``partner`` and ``wave``, Compare ``sort`` and
``wave``, What-if ``wi_partner``, and the sliders' ``d_``/``w_`` values, which are dropped);
and a partner's name loaded from a survey export, shown on every page and in a chart's tooltip."""
import re
from urllib.parse import quote, urlsplit

import pytest
from conftest import screenshot, wait_for_app
from test_browser_pages import _cli

pytestmark = pytest.mark.browser

TRAP = "127.0.0.9:9"  # nothing listens there: a request to it is the failure we look for
HOSTS = {"127.0.0.9", "evil.example"}  # where a link, image or request made from the text would go
PAYLOAD = (f"[Sign in again](http://{TRAP}/signin) ![p](http://{TRAP}/p.png) :red[alarm] "
           f"<b>bold</b> http://{TRAP}/auto")
HOSTILE = f"Acme ![x](http://{TRAP}/x.png) <img src=http://{TRAP}/y.png> [Sign in](http://evil.example)"
WORD_JOINER = "\u2060"


class Watched:
    """A page whose requests to the trap address are recorded."""

    def __init__(self, chromium):
        self.context = chromium.new_context(viewport={"width": 1400, "height": 2400})
        self.page = self.context.new_page()
        self.trapped: list[str] = []
        self.page.on("request", lambda r: self.trapped.append(r.url) if urlsplit(r.url).hostname in HOSTS else None)

    def open(self, url: str) -> str:
        self.page.goto(url)
        wait_for_app(self.page, timeout=120_000)
        self.page.wait_for_timeout(500)
        return self.text()

    def text(self) -> str:
        """What a person reads in the page and the sidebar (word joiners are invisible)."""
        return "\n".join(self.page.inner_text(f'[data-testid="{part}"]')
                         for part in ("stMain", "stSidebar")).replace(WORD_JOINER, "")

    def assert_inert(self) -> None:
        """No link, image or coloured text made from outside text, and nothing fetched."""
        hrefs = self.page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        assert not [h for h in hrefs if urlsplit(h).hostname in HOSTS], hrefs
        sources = self.page.eval_on_selector_all("img[src]", "els => els.map(e => e.src)")
        assert not [s for s in sources if urlsplit(s).hostname in HOSTS], sources
        assert self.page.locator('[data-testid="stMain"] b', has_text="bold").count() == 0
        assert not self.trapped, self.trapped

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(chromium):
    page = Watched(chromium)
    yield page
    page.close()


def _link(server, path: str, **params) -> str:
    return f"{server.url}/{path}?" + "&".join(f"{k}={quote(v)}" for k, v in params.items())


@pytest.mark.parametrize("path,params,notices", [
    ("", {"wave": PAYLOAD}, 1),
    ("", {"asof": PAYLOAD}, 1),
    ("partner", {"partner": PAYLOAD, "wave": PAYLOAD}, 2),
    ("compare", {"sort": PAYLOAD, "wave": PAYLOAD}, 2),
    ("what-if", {"wi_partner": PAYLOAD, "d_shared_goals": PAYLOAD, "w_open_communication": PAYLOAD}, 1),
])
def test_a_hostile_link_value_is_quoted_as_text(app_server, watched, path, params, notices):
    text = watched.open(_link(app_server, path, **params))
    assert text.count(PAYLOAD) == notices, text  # each notice quotes the value, literally
    assert "Showing" in text
    watched.assert_inert()
    screenshot(watched.page, f"text-link-{path or 'overview'}-{'-'.join(params)}")


def test_a_hostile_partner_name_from_a_file_is_text_on_every_page(app_server, watched, tmp_path):
    """The demo's last survey export, with one partner renamed, loaded as a new wave."""
    from pipelines.programme.demo import demo_files

    watched.open(f"{app_server.url}/")  # the app opens its database on the demo programme

    latest = [f for f in demo_files() if f.dataset == "survey"][-1].data.decode()
    export = tmp_path / "pulse-2026-Q4.csv"
    export.write_text(re.sub(r"2026-0[789]-\d\d", "2026-10-15", latest).replace("R-2026Q3-", "R-2026Q4-")
                      .replace("Pipwell Ecology", HOSTILE))
    done = _cli(app_server, "load", str(export), "--dataset", "survey", "--wave", "2026-Q4",
                "--new-partner", HOSTILE)
    assert done.returncode == 0, done.stderr + done.stdout

    text = watched.open(f"{app_server.url}/")
    assert f"{HOSTILE}: fewer than 5 responses" in text  # "Not shown in 2026-Q4"
    watched.assert_inert()
    screenshot(watched.page, "text-partner-overview")

    text = watched.open(f"{app_server.url}/compare")
    assert HOSTILE in text  # its profile link and "Not shown"
    # a chart's tooltip names the partner as text too
    watched.page.locator('[data-testid="stVegaLiteChart"] [aria-label*="Acme"]').first.hover(force=True)
    watched.page.wait_for_function("() => { const t = document.getElementById('vg-tooltip-element');"
                                   " return t && t.innerText.includes('Acme'); }", timeout=15_000)
    tooltip = watched.page.locator("#vg-tooltip-element")
    assert HOSTILE in tooltip.inner_text() and tooltip.locator("img, a").count() == 0
    labels = watched.page.eval_on_selector_all('[data-testid="stPageLink"]', "els => els.map(e => e.innerText)")
    assert [label.replace(WORD_JOINER, "").split("\n")[-1] for label in labels].count(HOSTILE) == 1, labels  # after the icon
    watched.assert_inert()

    text = watched.open(_link(app_server, "partner", partner=HOSTILE))
    assert f"Not shown for {HOSTILE}:" in text and f"{HOSTILE}: dots only (no two waves in a row shown); the programme" in text
    watched.assert_inert()
    screenshot(watched.page, "text-partner-profile")

    text = watched.open(_link(app_server, "what-if", wi_partner=HOSTILE))
    assert f"{HOSTILE}'s 2026-Q4 scores are not shown" in text
    watched.assert_inert()
