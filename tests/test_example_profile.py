"""docs/example-profile.toml: the profile a new user starts from loads, uses every key a profile
can have, and means what its comments say."""

from __future__ import annotations

import re
from pathlib import Path

from crawler.sites import load_profile
from crawler.sites.loader import _TABLE_KEYS, _TOP_KEYS
from tests.helpers import run_newsarchive

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "example-profile.toml"
TEXT = EXAMPLE.read_text(encoding="utf-8")


def test_it_loads_and_newsarchive_sites_accepts_it() -> None:
    profile = load_profile(str(EXAMPLE))
    assert profile.name == "example-paper"
    checked = run_newsarchive("sites", str(EXAMPLE))
    assert checked.returncode == 0 and checked.stdout.startswith("example-paper\t")


def test_every_profile_key_is_shown() -> None:
    written = set(re.findall(r"^#?\s*([a-z_]+)\s*=", TEXT, re.MULTILINE))
    tables = set(re.findall(r"^\[([a-z_.]+)\]", TEXT, re.MULTILINE))
    assert _TOP_KEYS - set(_TABLE_KEYS) <= written
    assert set(_TABLE_KEYS) <= tables | {"paywall"}
    for table, keys in _TABLE_KEYS.items():
        assert keys - {"text_markers"} <= written, table
    assert "paywall.text_markers" in tables  # a table of id = text, not a list


def test_its_rules_do_what_the_comments_say() -> None:
    profile = load_profile(str(EXAMPLE))
    base = "https://www.example-paper.example"
    assert profile.is_article_url(base + "/2026/11/25/council-votes-to-reopen-the-baths")
    assert profile.is_listing_url(base + "/news/more/3")  # path-style pagination
    assert profile.is_listing_url(base + "/politics?page=2")  # query-style pagination
    assert profile.is_denied_url(base + "/login")
    match = profile.similar.meta_pattern.match("Politics / 22 August 2025")
    assert match.groupdict() == {"section": "Politics", "date": "22 August 2025"}
    assert dict(profile.paywall.text_markers)["free-limit"] == "You have reached your free article limit"
