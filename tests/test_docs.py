"""The README is the manual: every setting, command and exit code it must name, it names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archive.cli import cli
from crawler.config import ARCHIVE_SETTINGS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("spec", ARCHIVE_SETTINGS, ids=lambda spec: spec.name)
def test_every_setting_is_documented_with_its_default(spec) -> None:
    row = next((line for line in README.splitlines() if line.startswith(f"| `{spec.name}`")), None)
    assert row is not None, f"{spec.name} is missing from the README's settings table"
    assert f"`{spec.default!r}`" in row, f"the README row for {spec.name} must show its default {spec.default!r}"


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
