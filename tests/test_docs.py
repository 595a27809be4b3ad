"""The README is the manual: every setting, command and exit code it must name, it names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archive.cli import cli
from crawler import settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
ARCHIVE_SETTINGS = sorted(name for name in vars(settings) if name.startswith("ARCHIVE_"))


def test_settings_are_declared_as_literals() -> None:
    """`grep ARCHIVE_WARC_MAX_SIZE crawler/settings.py` finds the default: no setting is made in a loop."""
    source = Path(settings.__file__).read_text(encoding="utf-8")
    for name in ARCHIVE_SETTINGS:
        assert f"\n{name} = " in source, f"{name} is not assigned literally in crawler/settings.py"


@pytest.mark.parametrize("name", ARCHIVE_SETTINGS)
def test_every_setting_is_documented_with_its_default(name: str) -> None:
    default = getattr(settings, name)
    row = next((line for line in README.splitlines() if line.startswith(f"| `{name}`")), None)
    assert row is not None, f"{name} is missing from the README's settings table"
    assert f"`{default!r}`" in row, f"the README row for {name} must show its default {default!r}"


def test_every_command_is_documented() -> None:
    def walk(group, prefix):
        for name, command in group.commands.items():
            yield f"{prefix} {name}".strip()
            if hasattr(command, "commands"):
                yield from walk(command, f"{prefix} {name}")

    for command in walk(cli, ""):
        assert f"newsarchive {command}" in README, command


def test_exit_codes_are_documented() -> None:
    for code in (0, 1, 2, 3):
        assert re.search(rf"^\| `{code}` \|", README, re.MULTILINE), code
