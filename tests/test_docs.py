"""Every setting and every command is documented where users look for it."""
import re
from pathlib import Path

from pipelines import settings
from pipelines.cli import VERBS, build_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_every_setting_is_in_the_readme_table_with_its_help():
    for setting in settings.SETTINGS:
        row = next((line for line in README.splitlines() if line.startswith(f"| `{setting.name}` |")), None)
        assert row is not None, f"README has no row for setting {setting.name}"
        assert f"`{setting.env_var}`" in row
        assert setting.help in row


def test_every_command_line_verb_is_in_the_readme_and_has_help():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "verb")
    documented = set(re.findall(r"^\| `(\w+)", README, flags=re.M))
    for verb in [*VERBS, "template"]:
        assert verb in subparsers.choices
        assert subparsers.choices[verb].format_help()
        assert verb in documented, f"README does not document the verb {verb}"


def test_every_load_flag_has_help_text():
    parser = build_parser()
    load = next(a for a in parser._actions if a.dest == "verb").choices["load"]
    for action in load._actions:
        if action.dest not in ("help", "demo"):
            assert action.help, f"--{action.dest} has no help"
