"""Site profiles: the bundled Morning Star profile, and errors that name the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.sites import ProfileError, SiteProfile, available_profiles, load_profile

GOOD = (Path(__file__).parents[1] / "crawler" / "sites" / "morningstar.toml").read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broken.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_profile(profile: SiteProfile) -> None:
    assert "morningstar" in available_profiles()
    assert profile.name == "morningstar" and profile.version
    assert profile.default_base_url == "https://morningstaronline.co.uk"
    assert profile.pagination_param == "page"
    base = "http://127.0.0.1:8123"
    assert profile.start_urls(base) == [base + p for p in
                                        ("/", "/britain", "/world", "/features", "/editorial", "/culture", "/sport")]
    assert profile.allowed_hosts(base)[-1] == "127.0.0.1"
    assert "morningstaronline.co.uk" in profile.allowed_hosts(profile.default_base_url)


@pytest.mark.parametrize(("url", "article", "listing"), [
    ("https://morningstaronline.co.uk/article/b/some-slug", True, False),
    ("https://morningstaronline.co.uk/article/some-slug?utm_source=x", True, False),
    ("https://morningstaronline.co.uk/britain?page=3", False, True),
    ("https://morningstaronline.co.uk/britain?page=3&utm_medium=x", False, True),
    ("https://morningstaronline.co.uk/britain?sort=new", False, False),
    ("https://morningstaronline.co.uk/", False, True),
    ("https://morningstaronline.co.uk/news/old-slug", False, False),
    ("https://morningstaronline.co.uk/print/node/10001", False, False),
])
def test_url_rules(profile: SiteProfile, url: str, article: bool, listing: bool) -> None:
    assert profile.is_article_url(url) is article
    assert profile.is_listing_url(url) is listing


def test_deny_and_follow_paths(profile: SiteProfile) -> None:
    assert profile.is_denied_url("https://morningstaronline.co.uk/subscribe/offers")
    assert not profile.is_denied_url("https://morningstaronline.co.uk/article/b/x")
    assert profile.is_followable_url("https://morningstaronline.co.uk/news/old-slug")
    assert profile.is_followable_url("https://morningstaronline.co.uk/rss.xml")
    assert not profile.is_followable_url("https://morningstaronline.co.uk/subscribe/")


def test_load_by_path(tmp_path: Path) -> None:
    assert load_profile(str(_write(tmp_path, GOOD))).name == "morningstar"


@pytest.mark.parametrize(("old", "new", "key", "problem"), [
    ('language = "en"', 'language = "en"\ncolour = "red"', "colour", "unknown key"),
    ('pagination_param = "page"', 'pagination_param = "page"\npager = "x"', "urls.pager", "unknown key"),
    ("article_paths = ['^/article/", "article_paths = ['^/article/(", "urls.article_paths", "invalid regular expression"),
    ('headline = ["h1.node__title"', 'headline = ["h1..node__title"', "selectors.headline", "invalid CSS selector"),
    ('timezone = "Europe/London"', 'timezone = "Mars/Olympus"', "timezone", "unknown time zone"),
    ('version = "2026.02.1"', "version = 3", "version", "must be a non-empty str"),
    ('name = "morningstar"\n', "", "name", "missing required key"),
    ("default_paywalled = false", 'default_paywalled = "no"', "paywall.default_paywalled", "true or false"),
    ('start_paths = ["/",', 'start_paths = ["britain",', "urls.start_paths", "must start with '/'"),
])
def test_validation_errors_name_file_and_key(tmp_path: Path, old: str, new: str, key: str, problem: str) -> None:
    assert old in GOOD
    with pytest.raises(ProfileError) as caught:
        load_profile(str(_write(tmp_path, GOOD.replace(old, new, 1))))
    message = str(caught.value)
    assert message.startswith("broken.toml: ") and f": {key}: " in message and problem in message
    assert caught.value.key == key


def test_unknown_profile_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no such profile; available: .*morningstar"):
        load_profile("nosuchsite")
    with pytest.raises(ProfileError, match="broken.toml: not valid TOML"):
        load_profile(str(_write(tmp_path, "name = ")))
