"""The public_url setting: every link the command line writes (the steering pack's) starts with it; without
it (or --base-url) the links are paths and the command says, on stderr, how to set it."""
import io
import urllib.parse

import pytest
from pptx import Presentation

from pipelines import cli, settings
from pipelines.store import Store


@pytest.fixture
def demo_store(demo):
    store = Store(demo / "demo.duckdb")
    yield store
    store.close()


def pack_links(path) -> tuple[list[str], str]:
    """Every hyperlink of a pack, and its text."""
    links, text = [], []
    for slide in Presentation(str(path)).slides:
        for shape in slide.shapes:
            for paragraph in (shape.text_frame.paragraphs if shape.has_text_frame else []):
                links += [run.hyperlink.address for run in paragraph.runs if run.hyperlink.address]
                text.append(paragraph.text)
    return links, "\n".join(text)


def write_pack(store, tmp_path, *options) -> tuple[int, list[str], str]:
    """`pack --page compare` in-process: exit code, every link of the pack, stderr."""
    target = tmp_path / "compare.pptx"
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["pack", "--page", "compare", "--out", str(target), *options], store=store, out=out, err=err)
    return code, pack_links(target)[0] if target.exists() else [], err.getvalue()


def test_the_pack_links_start_with_the_public_url(demo_store, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_PUBLIC_URL", "https://health.example.org/programme/")
    code, links, err = write_pack(demo_store, tmp_path)
    assert code == 0 and err == ""
    assert links and all(link.startswith("https://health.example.org/programme/compare") for link in links)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(links[-1]).query)["wave"] == ["2026-Q3"]


def test_without_an_address_the_links_are_paths_and_a_note_says_how_to_set_it(demo_store, tmp_path, monkeypatch):
    monkeypatch.delenv("PARTNERSHIP_PUBLIC_URL", raising=False)
    code, links, err = write_pack(demo_store, tmp_path)
    assert code == 0
    assert links == []  # a path is no link a slide can open: it is shown as text
    assert "Reopen this view: compare?wave=2026-Q3" in pack_links(tmp_path / "compare.pptx")[1]
    assert err == ("note: the pack's links are paths such as compare, without the app's address, so "
                   "they do not open from the pack. Set PARTNERSHIP_PUBLIC_URL to the address people open the app "
                   "at (for example https://health.example.org), or pass --base-url.\n")


def test_the_note_names_the_packs_own_first_link(demo_store, tmp_path, monkeypatch):
    """Its example was always overview?wave=2026-Q3, whatever wave, page or version the pack was of."""
    monkeypatch.delenv("PARTNERSHIP_PUBLIC_URL", raising=False)
    code, _, err = write_pack(demo_store, tmp_path, "--wave", "2026-Q1", "--sort", "Collaboration index")
    assert code == 0
    assert err.startswith("note: the pack's links are paths such as compare?wave=2026-Q1&sort=Collaboration%20index, "
                          "without the app's address")


def test_base_url_wins_over_the_setting(demo_store, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_PUBLIC_URL", "https://health.example.org")
    code, links, err = write_pack(demo_store, tmp_path, "--base-url", "http://10.0.0.5:8501/")
    assert code == 0 and err == ""
    assert links and all(link.startswith("http://10.0.0.5:8501/compare") for link in links)


def test_a_public_url_that_is_no_address_stops_before_writing(demo_store, tmp_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_PUBLIC_URL", "health.example.org")
    code, links, err = write_pack(demo_store, tmp_path)
    assert code == cli.EXIT_INVALID and links == []
    assert err.startswith("PARTNERSHIP_PUBLIC_URL='health.example.org' is not valid: The address people open")


def test_a_base_url_that_is_no_address_is_a_usage_error(demo_store, tmp_path):
    code, links, err = write_pack(demo_store, tmp_path, "--base-url", "ftp://files.example.org")
    assert code == cli.EXIT_USAGE and links == []
    assert err == "--base-url: 'ftp://files.example.org' is not an address such as https://health.example.org.\n"


@pytest.mark.parametrize("text, address", [
    ("https://health.example.org", "https://health.example.org"),
    ("http://127.0.0.1:8501/", "http://127.0.0.1:8501"),
    (" https://intranet.example.gov.uk/partnership-health/ ", "https://intranet.example.gov.uk/partnership-health"),
])
def test_addresses(text, address):
    assert settings.address(text) == address


@pytest.mark.parametrize("text", ["health.example.org", "https://", "mailto:a@example.org",
                                  "https://health.example.org/?page=1", "https://health.example.org/#top", ""])
def test_not_addresses(text):
    with pytest.raises(ValueError, match="is not an address such as https://health.example.org"):
        settings.address(text)


def test_unset_public_url_is_none(monkeypatch):
    monkeypatch.delenv("PARTNERSHIP_PUBLIC_URL", raising=False)
    assert settings.get("public_url") == ""


def test_a_pack_handed_to_the_app_carries_the_public_url_of_the_command(monkeypatch, tmp_path):
    """The app runs a command handed to it in its own process, whose settings may lack public_url:
    the command's address travels with it as --base-url (unless one is given)."""
    monkeypatch.setenv("PARTNERSHIP_PUBLIC_URL", "https://health.example.org")
    out = str(tmp_path / "p.pdf")
    assert cli._portable(["pack", "--out", out], "pack") == ["pack", "--out", out, "--base-url",
                                                              "https://health.example.org"]
    given = ["pack", "--out", out, "--base-url", "https://other.example.org"]
    assert cli._portable(given, "pack") == given
    assert cli._portable(["history"], "history") == ["history"]
    monkeypatch.delenv("PARTNERSHIP_PUBLIC_URL")
    assert cli._portable(["pack", "--out", out], "pack") == ["pack", "--out", out]
