"""Profile regular expressions that cannot hang a crawl.

Profiles are written by hand, and a pattern such as `(a|aa)+$` backtracks exponentially: with
Python's `re` one such match blocks the reactor, and SIGTERM with it, for minutes. Patterns are
compiled with the `regex` module (already installed: dateparser needs it) because it reads the same
syntax as `re`, matched a URL path 5x faster than google-re2 (benchmarks/profile_regex.py), and
takes a per-call timeout. The loader rejects a pattern that is slow on a short hostile probe; at crawl time
a match that still runs past `MATCH_TIMEOUT` counts as no match and switches the pattern off.
"""

from __future__ import annotations

import logging
import string

import regex

logger = logging.getLogger(__name__)

MATCH_TIMEOUT = 0.1  # seconds for one match: a URL path or a line of text takes microseconds
PROBE_TIMEOUT = 0.05  # seconds for one probe when a profile is loaded
PROBE_LENGTH = 32  # characters: enough to make exponential backtracking take seconds, not micros

CACHED_RESULTS = 4096  # per pattern and method
CACHED_TEXT_LENGTH = 300  # characters: URL paths and short lines, not paragraphs
_UNKNOWN = object()

PatternError = regex.error


class CatastrophicPattern(ValueError):
    """A pattern whose matching time explodes on a short input."""


class SafePattern:
    """A compiled profile pattern whose matches are bounded in time.

    A match that times out returns None (no match), is logged once, and switches the pattern off
    for the rest of the process, so a hostile page costs at most one timeout per pattern.
    """

    __slots__ = ("pattern", "_compiled", "switched_off", "_searched", "_matched")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled = regex.compile(pattern)
        self.switched_off = False
        # A timed match costs ~10 µs against ~1 µs for `re`, and the same paths and lines come back
        # on every page (navigation, listings, "Similar stories"): short inputs' results are kept.
        self._searched: dict[str, regex.Match[str] | None] = {}
        self._matched: dict[str, regex.Match[str] | None] = {}

    def search(self, text: str) -> regex.Match[str] | None:
        return self._run(self._compiled.search, self._searched, text)

    def match(self, text: str) -> regex.Match[str] | None:
        return self._run(self._compiled.match, self._matched, text)

    def _run(self, method, known: dict[str, regex.Match[str] | None], text: str) -> regex.Match[str] | None:  # type: ignore[no-untyped-def]
        if self.switched_off:
            return None
        found = known.get(text, _UNKNOWN)
        if found is not _UNKNOWN:
            return found  # type: ignore[return-value]
        try:
            found = method(text, timeout=MATCH_TIMEOUT)
        except TimeoutError:
            self.switched_off = True
            logger.error(
                "Profile pattern %r took over %.2f s on %r (%d characters) and is switched off for this run: "
                "rewrite it without nested repetition",
                self.pattern, MATCH_TIMEOUT, text[:80], len(text),
            )
            return None
        if len(text) <= CACHED_TEXT_LENGTH:
            if len(known) >= CACHED_RESULTS:  # bounded: a large site's paths start the cache afresh
                known.clear()
            known[text] = found
        return found

    def __repr__(self) -> str:
        return f"SafePattern({self.pattern!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SafePattern) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)


def compile_profile_pattern(pattern: str) -> SafePattern:
    """Compile a profile pattern, refusing one that backtracks without bound on a short probe.

    Raises `PatternError` for invalid syntax and `CatastrophicPattern` for a slow pattern.
    """
    compiled = SafePattern(pattern)
    for probe in _probes(pattern):
        try:
            compiled._compiled.search(probe, timeout=PROBE_TIMEOUT)
        except TimeoutError:
            raise CatastrophicPattern(
                f"backtracks without bound (matching {len(probe)} characters like {probe[:8]!r}… took over "
                f"{PROBE_TIMEOUT} s): avoid nested or overlapping repetition such as (a+)+ or (a|aa)+"
            ) from None
    return compiled


def _probes(pattern: str) -> list[str]:
    """Runs of one character, each followed by a character that fails the match at the end: the
    input that drives nested repetition into trying every way of splitting the run."""
    candidates = {char for char in pattern if char in string.ascii_letters + string.digits}
    candidates.update("a0/- ")
    return [char * PROBE_LENGTH + "\x00" for char in sorted(candidates)]
