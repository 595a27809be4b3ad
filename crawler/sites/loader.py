"""Reads and validates site profile TOML files into `SiteProfile` objects.

Every problem is a `ProfileError` naming the file, the key and what is wrong, because profiles
are written by hand and a silent typo would only show up as an empty crawl.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cssselect import SelectorError
from parsel.csstranslator import HTMLTranslator

from .patterns import CatastrophicPattern, PatternError, SafePattern, compile_profile_pattern
from .profile import ChromeRules, PaywallRules, Selectors, SimilarRules, SiteProfile

T = TypeVar("T")
_CSS = HTMLTranslator()
_SELECTOR_KEYS = tuple(Selectors.__dataclass_fields__)
_TOP_KEYS = {"name", "version", "default_base_url", "hosts", "timezone", "language", "publisher",
             "description", "date_formats", "urls", "selectors", "similar", "paywall", "chrome"}
_TABLE_KEYS = {
    "urls": {"start_paths", "article_paths", "listing_paths", "pagination_param", "deny_paths", "follow_paths",
             "articles_by_markup", "follow_all"},
    "selectors": set(_SELECTOR_KEYS),
    "similar": {"headings", "blocks", "items", "titles", "meta_pattern"},
    "paywall": {"selectors", "text_markers", "default_paywalled", "locked_selectors", "url_paths"},
    "chrome": {"selectors", "texts"},
}
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_SAMPLE_MOMENT = datetime(2026, 2, 20, 9, 30, tzinfo=UTC)


class ProfileError(ValueError):
    """A site profile that cannot be used; the message says which file and key, and why."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source, self.key, self.problem = source, key, problem
        super().__init__(f"{source}: {key}: {problem}" if key else f"{source}: {problem}")


class _Reader:
    """Typed access to one parsed TOML document, raising `ProfileError` with the dotted key."""

    def __init__(self, source: str, data: dict[str, Any]) -> None:
        self.source, self.data = source, data

    def fail(self, key: str, problem: str) -> ProfileError:
        return ProfileError(self.source, key, problem)

    def check_keys(self) -> None:
        for key in self.data:
            if key not in _TOP_KEYS:
                raise self.fail(key, f"unknown key (expected one of {', '.join(sorted(_TOP_KEYS))})")
        for table, allowed in _TABLE_KEYS.items():
            value = self.data.get(table, {})
            if not isinstance(value, dict):
                raise self.fail(table, "must be a table")
            for key in value:
                if key not in allowed:
                    raise self.fail(f"{table}.{key}", f"unknown key (expected one of {', '.join(sorted(allowed))})")

    def raw(self, key: str, default: Any = ...) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                if default is ...:
                    raise self.fail(key, "missing required key")
                return default
            node = node[part]
        return node

    def typed(self, key: str, kind: type[T], default: Any = ...) -> T:
        value = self.raw(key, default)
        if not isinstance(value, kind) or (kind is str and not value):
            raise self.fail(key, f"must be a non-empty {kind.__name__}, got {value!r}")
        return value

    def strings(self, key: str, default: Any = ..., check: Callable[[str], str | None] | None = None) -> tuple[str, ...]:
        value = self.raw(key, default)
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            raise self.fail(key, f"must be a list of non-empty strings, got {value!r}")
        for item in value:
            problem = check(item) if check else None
            if problem:
                raise self.fail(key, f"{item!r}: {problem}")
        return tuple(value)

    def css_list(self, key: str, default: Any = ...) -> tuple[str, ...]:
        return self.strings(key, default, _css_problem)

    def regex(self, key: str, pattern: str) -> SafePattern:
        try:
            return compile_profile_pattern(pattern)
        except PatternError as exc:
            raise self.fail(key, f"invalid regular expression {pattern!r}: {exc}") from None
        except CatastrophicPattern as exc:
            raise self.fail(key, f"regular expression {pattern!r} {exc}") from None

    def regex_list(self, key: str, default: Any = ...) -> tuple[SafePattern, ...]:
        return tuple(self.regex(key, pattern) for pattern in self.strings(key, default))

    def flag(self, key: str, default: bool) -> bool:
        value = self.raw(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, f"must be true or false, got {value!r}")
        return value

    def text(self, key: str) -> str:
        value = self.raw(key, "")
        if not isinstance(value, str):
            raise self.fail(key, f"must be a string, got {value!r}")
        return value.strip()


def _css_problem(selector: str) -> str | None:
    try:
        _CSS.css_to_xpath(selector)
    except SelectorError as exc:
        return f"invalid CSS selector: {exc}"
    return None


def _start_path_problem(path: str) -> str | None:
    """A start path is a path on the site: `//host/x` would be a link to another host."""
    if not path.startswith("/") or path.startswith("//"):
        return "must start with '/' (one: a path on the site; other hosts go in `hosts`)"
    return None


def _date_format_problem(fmt: str) -> str | None:
    """A strptime format must read back what strftime writes with it, and name a day."""
    if "%" not in fmt:
        return "not a strptime format (no %-directive)"
    try:
        datetime.strptime(_SAMPLE_MOMENT.strftime(fmt), fmt)
    except ValueError as exc:
        return f"not a usable strptime format: {exc}"
    return None


def _validate_base_url(reader: _Reader, key: str) -> str:
    if reader.raw(key, "") == "":  # a profile for any site (generic) has none: --base-url is required
        return ""
    url = reader.typed(key, str)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise reader.fail(key, f"must be an absolute http(s) URL, got {url!r}")
    return url


def _paywall(reader: _Reader) -> PaywallRules:
    markers = reader.raw("paywall.text_markers", {})
    if not isinstance(markers, dict) or not all(isinstance(v, str) and v for v in markers.values()):
        raise reader.fail("paywall.text_markers", "must be a table of signal id = marker text")
    default = reader.raw("paywall.default_paywalled", None)
    if default is not None and not isinstance(default, bool):
        raise reader.fail("paywall.default_paywalled", f"must be true or false, got {default!r}")
    return PaywallRules(
        selectors=reader.css_list("paywall.selectors", []),
        text_markers=tuple(markers.items()),
        default_paywalled=default,
        locked_selectors=reader.css_list("paywall.locked_selectors", []),
        url_paths=reader.regex_list("paywall.url_paths", []),
    )


def parse_profile(data: dict[str, Any], source: str) -> SiteProfile:
    """Validate an already-parsed TOML document into a profile."""
    reader = _Reader(source, data)
    reader.check_keys()
    timezone = reader.typed("timezone", str, "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.fail("timezone", f"unknown time zone {timezone!r}") from None
    start_paths = reader.strings("urls.start_paths", check=_start_path_problem)
    meta_pattern = reader.raw("similar.meta_pattern", None)
    if meta_pattern is not None and not isinstance(meta_pattern, str):
        raise reader.fail("similar.meta_pattern", "must be a string")
    name = reader.typed("name", str)
    if not _NAME.match(name):
        raise reader.fail("name", f"must be lower-case letters, digits, '-' or '_' (it names the spider), got {name!r}")
    by_markup = reader.flag("urls.articles_by_markup", False)
    return SiteProfile(
        name=name,
        version=reader.typed("version", str),
        source=source,
        default_base_url=_validate_base_url(reader, "default_base_url"),
        hosts=reader.strings("hosts", []),
        timezone=timezone,
        language=reader.typed("language", str, "en"),
        start_paths=start_paths,
        article_paths=reader.regex_list("urls.article_paths", [] if by_markup else ...),
        listing_paths=reader.regex_list("urls.listing_paths", []),
        deny_paths=reader.regex_list("urls.deny_paths", []),
        follow_paths=reader.regex_list("urls.follow_paths", []),
        pagination_param=reader.typed("urls.pagination_param", str, "page"),
        selectors=Selectors(**{
            key: reader.css_list(f"selectors.{key}", ["p"] if key == "paragraphs" else [])
            for key in _SELECTOR_KEYS
        }),
        similar=SimilarRules(
            headings=reader.strings("similar.headings", []),
            blocks=reader.css_list("similar.blocks", []),
            items=reader.css_list("similar.items", []),
            titles=reader.css_list("similar.titles", []),
            meta_pattern=reader.regex("similar.meta_pattern", meta_pattern) if meta_pattern else None,
        ),
        paywall=_paywall(reader),
        chrome=ChromeRules(
            selectors=reader.css_list("chrome.selectors", []),
            texts=reader.strings("chrome.texts", []),
        ),
        publisher=reader.text("publisher"),
        description=reader.text("description"),
        date_formats=reader.strings("date_formats", [], _date_format_problem),
        articles_by_markup=by_markup,
        follow_all=reader.flag("urls.follow_all", False),
    )


def _bundled() -> dict[str, Path]:
    folder = resources.files(__package__)
    return {
        entry.name.removesuffix(".toml"): Path(str(entry))
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    }


def available_profiles() -> list[str]:
    """Names of the profiles shipped with the crawler, e.g. ["morningstar"]."""
    return sorted(_bundled())


def load_profile(name_or_path: str) -> SiteProfile:
    """A bundled profile by name ("morningstar") or any profile file by path ("my/site.toml")."""
    if name_or_path.endswith(".toml") or "/" in name_or_path or "\\" in name_or_path:
        path = Path(name_or_path)
    else:
        bundled = _bundled()
        if name_or_path not in bundled:
            raise ProfileError(name_or_path, "", f"no such profile; available: {', '.join(sorted(bundled))}")
        path = bundled[name_or_path]
    return _load_file(str(path.resolve()))


@functools.lru_cache(maxsize=32)
def _load_file(path: str) -> SiteProfile:
    source = Path(path).name
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(path, "", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(source, "", f"not valid TOML: {exc}") from None
    return parse_profile(data, source)
