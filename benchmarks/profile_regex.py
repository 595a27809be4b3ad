"""Profile regular expressions: `re`, `regex` (what the crawler uses) and google-re2, side by side.

    .venv/bin/python benchmarks/profile_regex.py [--rounds 5]

Two figures per engine: the time to match the bundled profiles' URL patterns against real-looking
paths (the per-link cost of a crawl), and the time of one hostile match (`(a|aa)+$` and `(a+)+$` on
26 'a's and a '!'), capped by a 2 s timeout where the engine takes one. The engines run
interleaved, round by round, and the best round is reported. google-re2 is optional: install it
(`pip install google-re2`) to compare; the crawler does not depend on it.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable

import regex

from crawler.sites import load_profile

PATHS = ["/article/b/some-long-article-slug-here", "/britain", "/britain?page=3", "/news/old-address",
         "/2026/nov/25/a-clarion-story", "/user/login", "/rss.xml", "/article/premium/paid-story"]
HOSTILE = (r"(a|aa)+$", r"(a+)+$")


def engines() -> dict[str, Callable[[str], object]]:
    found: dict[str, Callable[[str], object]] = {"re": re.compile, "regex": regex.compile}
    try:
        import re2

        found["google-re2"] = re2.compile
    except ImportError:
        pass
    return found


def url_patterns() -> list[str]:
    patterns: list[str] = []
    for name in ("morningstar", "generic"):
        profile = load_profile(name)
        for group in (profile.article_paths, profile.listing_paths, profile.deny_paths, profile.follow_paths):
            patterns += [pattern.pattern for pattern in group]
    return patterns


def time_urls(compile_: Callable[[str], object], patterns: list[str], repeat: int = 2000) -> float:
    compiled = [compile_(pattern) for pattern in patterns]
    started = time.perf_counter()
    for _ in range(repeat):
        for path in PATHS:
            for pattern in compiled:
                pattern.search(path)  # type: ignore[attr-defined]
    return (time.perf_counter() - started) / (repeat * len(PATHS) * len(compiled)) * 1e6


def time_hostile(name: str, compile_: Callable[[str], object], pattern: str) -> str:
    if name == "re" and pattern == r"(a|aa)+$":
        return "skipped (minutes)"
    text = "a" * 26 + "!"
    compiled = compile_(pattern)
    started = time.perf_counter()
    try:
        if name == "regex":
            compiled.search(text, timeout=2.0)  # type: ignore[attr-defined]
        else:
            compiled.search(text)  # type: ignore[attr-defined]
    except TimeoutError:
        return "timed out at 2 s"
    return f"{(time.perf_counter() - started) * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    patterns = url_patterns()
    found = engines()
    best = {name: float("inf") for name in found}
    for _ in range(args.rounds):
        for name, compile_ in found.items():  # interleaved: one round of each engine in turn
            best[name] = min(best[name], time_urls(compile_, patterns))
    print(f"{len(patterns)} profile patterns x {len(PATHS)} paths, best of {args.rounds} rounds:")
    for name in found:
        print(f"  {name:11} {best[name]:.2f} us per match")
    for pattern in HOSTILE:
        print(f"hostile {pattern!r}:")
        for name, compile_ in found.items():
            print(f"  {name:11} {time_hostile(name, compile_, pattern)}")


if __name__ == "__main__":
    main()
