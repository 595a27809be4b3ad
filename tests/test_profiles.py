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


@pytest.mark.parametrize(("old", "new", "key", "problem"), [
    ('name = "morningstar"', 'name = "Morning Star"', "name", "lower-case"),
    ('date_formats = ["%A', 'date_formats = ["no directives", "%A', "date_formats", "not a strptime format"),
    ("default_paywalled = false", "default_paywalled = false\nurl_paths = ['(']", "paywall.url_paths",
     "invalid regular expression"),
    ("default_paywalled = false", 'default_paywalled = false\nlocked_selectors = ["..x"]', "paywall.locked_selectors",
     "invalid CSS selector"),
    ('pagination_param = "page"', 'pagination_param = "page"\nfollow_all = "yes"', "urls.follow_all", "true or false"),
    ('default_base_url = "https://morningstaronline.co.uk"', 'default_base_url = "morningstaronline.co.uk"',
     "default_base_url", "absolute http(s) URL"),
    ('publisher = "Morning Star"', "publisher = 1", "publisher", "must be a string"),
])
def test_new_keys_are_validated(tmp_path: Path, old: str, new: str, key: str, problem: str) -> None:
    assert old in GOOD
    with pytest.raises(ProfileError) as caught:
        load_profile(str(_write(tmp_path, GOOD.replace(old, new, 1))))
    assert caught.value.key == key and problem in str(caught.value), str(caught.value)


def test_generic_profile_recognises_articles_by_markup() -> None:
    generic = load_profile("generic")
    assert "generic" in available_profiles() and generic.default_base_url == ""
    assert generic.articles_by_markup and generic.follow_all and generic.paywall.default_paywalled is None
    assert generic.may_be_article("https://any.example/2026/11/25/story")
    assert generic.may_be_article("https://any.example/about")  # any page: the markup decides
    assert not generic.may_be_article("https://any.example/login")
    assert generic.is_denied_url("https://any.example/wp-login.php")


def test_article_paths_are_only_optional_for_markup_profiles(tmp_path: Path) -> None:
    text = GOOD.replace("article_paths = ['^/article/(?:[a-z]/)?[A-Za-z0-9][A-Za-z0-9_-]*/?$']\n", "")
    with pytest.raises(ProfileError, match="urls.article_paths: missing required key"):
        load_profile(str(_write(tmp_path, text)))
    profile = load_profile(str(_write(tmp_path, text.replace('pagination_param = "page"',
                                                               'pagination_param = "page"\narticles_by_markup = true'))))
    assert profile.articles_by_markup and profile.article_paths == ()


def test_premium_url_rule(tmp_path: Path) -> None:
    text = GOOD.replace("default_paywalled = false", "default_paywalled = false\nurl_paths = ['^/article/premium/']")
    profile = load_profile(str(_write(tmp_path, text)))
    assert profile.is_premium_url("https://morningstaronline.co.uk/article/premium/x")
    assert not profile.is_premium_url("https://morningstaronline.co.uk/article/b/x")


def test_sites_command_lists_and_checks_profiles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from archive.cli import main
    from newsarchive_site import CLARION_PROFILE

    assert main(["sites"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[0] for line in listed] == available_profiles()
    assert "(any site: --base-url URL)" in next(line for line in listed if line.startswith("generic"))
    assert main(["sites", CLARION_PROFILE]) == 0
    assert capsys.readouterr().out.startswith("clarion\t2026.11.1\thttps://www.theclarion.example")
    assert main(["sites", str(_write(tmp_path, GOOD.replace('version = "2026.02.1"', "version = 2")))]) == 2
    assert "broken.toml: version: must be a non-empty str" in capsys.readouterr().err


def test_crawl_profile_option_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from archive.cli import main
    from newsarchive_site import CLARION_PROFILE

    assert main(["crawl", "--data-dir", str(tmp_path)]) == 2
    assert "give a SITE" in capsys.readouterr().err
    assert main(["crawl", "generic", "--data-dir", str(tmp_path)]) == 2
    assert "--base-url" in capsys.readouterr().err
    assert main(["crawl", "morningstar", "--profile", CLARION_PROFILE, "--data-dir", str(tmp_path)]) == 2
    assert "disagree" in capsys.readouterr().err
    assert main(["crawl", "--profile", str(tmp_path / "missing.toml"), "--data-dir", str(tmp_path)]) == 2
    assert "file not found" in capsys.readouterr().err


def test_a_start_path_cannot_name_another_host(tmp_path: Path) -> None:
    text = GOOD.replace('start_paths = ["/",', 'start_paths = ["//elsewhere.example/x", "/",')
    with pytest.raises(ProfileError, match=r"urls.start_paths: '//elsewhere.example/x': must start with '/' \(one"):
        load_profile(str(_write(tmp_path, text)))


def test_a_pattern_that_backtracks_without_bound_is_rejected(tmp_path: Path) -> None:
    from tests.helpers import run_newsarchive

    text = GOOD.replace("deny_paths = ['", "deny_paths = ['(a|aa)+$', '")
    path = _write(tmp_path, text)
    checked = run_newsarchive("sites", str(path))
    assert checked.returncode == 2
    assert "urls.deny_paths: regular expression '(a|aa)+$' backtracks without bound" in checked.stderr
    # the classic `(a+)+$` is harmless in the regex engine profiles use: accepted, and fast
    fine = load_profile(str(_write(tmp_path, GOOD.replace("deny_paths = ['", "deny_paths = ['(a+)+$', '"))))
    assert fine.is_denied_url("https://morningstaronline.co.uk/" + "a" * 5000 + "!") is False


def test_a_match_that_runs_too_long_is_no_match_and_switches_the_pattern_off() -> None:
    import time

    from crawler.sites.patterns import MATCH_TIMEOUT, SafePattern

    pattern = SafePattern(r"(a|aa)+$")  # as if it had slipped past the loader's probes
    started = time.monotonic()
    assert pattern.search("a" * 60 + "!") is None
    assert time.monotonic() - started < MATCH_TIMEOUT * 20
    assert pattern.switched_off
    assert pattern.search("aa") is None  # off for the rest of the run
    assert SafePattern(r"^/article/").search("/article/x") is not None
