"""Before/after: the same crawl, reindex and query work run by two checkouts of newsarchive, interleaved.

    git worktree add /tmp/before <commit>      # or any clone of the older code
    .venv/bin/python benchmarks/compare_trees.py /tmp/before . --articles 2000 --pairs 3

Both trees run in this virtualenv; each command gets PYTHONPATH=<tree>, so it imports that tree's
`archive` and `crawler` (the installed sample site serves both). The sample site is served by nginx
(benchmarks/static_site.py). For each pair, in alternating order: a full `newsarchive crawl` with
politeness off, then `newsarchive reindex` of one shared crawl's WARC files, then the query
benchmark's queries (benchmarks/query.py of each tree, on one shared index). Medians are printed;
a machine shared with other work is the reason for the pairs and the alternation.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from crawl import PAGES, archival_command
from measure import run_measured
from static_site import StaticSite

NEWSARCHIVE = str(Path(sys.executable).parent / "newsarchive")
QUERY_LINE = re.compile(r"^\s*([\d.]+)\s+([\d.]+)\s+(\d+)\s+(.+)$")


def env_for(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree.resolve())}


def crawl_once(tree: Path, base_url: str, data_dir: Path) -> tuple[float, float, int]:
    shutil.rmtree(data_dir, ignore_errors=True)
    measured = run_measured(archival_command(base_url, data_dir), env=env_for(tree))
    if measured.returncode != 0:
        raise SystemExit(f"{tree}: the crawl failed:\n{measured.stderr[-3000:]}")
    pages = int(PAGES.search(measured.stderr).group(1))
    return measured.seconds, measured.peak_rss_mb, pages


def reindex_once(tree: Path, data_dir: Path) -> tuple[float, float]:
    measured = run_measured([NEWSARCHIVE, "reindex", "--data-dir", str(data_dir)], env=env_for(tree))
    if measured.returncode != 0:
        raise SystemExit(f"{tree}: reindex failed:\n{measured.stderr[-3000:]}")
    return measured.seconds, measured.peak_rss_mb


def query_once(tree: Path, database: Path, articles: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, str(tree / "benchmarks" / "query.py"), "--articles", str(articles), "--runs", "5",
         "--database", str(database)],
        capture_output=True, text=True, env=env_for(tree),  # exit 1 only says a query passed its target
    )
    return {match[4].strip(): float(match[1]) for line in done.stdout.splitlines() if (match := QUERY_LINE.match(line))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--articles", type=int, default=2000, help="articles of the crawled sample site")
    parser.add_argument("--query-articles", type=int, default=20000, help="articles of the query benchmark's index")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--no-query", action="store_true", help="crawl and reindex only")
    options = parser.parse_args()
    trees = {"before": options.before, "after": options.after}
    crawls: dict[str, list[tuple[float, float, int]]] = {name: [] for name in trees}
    reindexes: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
    queries: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory(prefix="newsarchive-compare-") as scratch, StaticSite.start(options.articles) as site:
        work = Path(scratch)
        shared = work / "shared"  # one crawl's WARC files, reindexed by both trees
        crawl_once(trees["after"], site.base_url, shared)
        database = work / "query.sqlite3"
        if not options.no_query:
            query_once(trees["after"], database, options.query_articles)  # builds the index once
        for pair in range(options.pairs):
            order = list(trees) if pair % 2 == 0 else list(reversed(trees))
            for name in order:
                crawls[name].append(crawl_once(trees[name], site.base_url, work / name))
                print(f"pair {pair + 1} {name:6} crawl   {crawls[name][-1][0]:7.1f} s  {crawls[name][-1][1]:6.0f} MB  "
                      f"{crawls[name][-1][2]} pages", flush=True)
            for name in order:
                reindexes[name].append(reindex_once(trees[name], shared))
                print(f"pair {pair + 1} {name:6} reindex {reindexes[name][-1][0]:7.1f} s  {reindexes[name][-1][1]:6.0f} MB",
                      flush=True)
            for name in order if not options.no_query else ():
                queries[name].append(query_once(trees[name], database, options.query_articles))
    print(f"\nmedians over {options.pairs} interleaved pairs ({options.articles} articles crawled):")
    print(f"{'':28} {'before':>10} {'after':>10} {'after/before':>13}")
    for label, values in (
        ("crawl wall s", {n: [c[0] for c in crawls[n]] for n in trees}),
        ("crawl pages/s", {n: [c[2] / c[0] for c in crawls[n]] for n in trees}),
        ("crawl peak RSS MB", {n: [c[1] for c in crawls[n]] for n in trees}),
        ("reindex wall s", {n: [r[0] for r in reindexes[n]] for n in trees}),
        ("reindex peak RSS MB", {n: [r[1] for r in reindexes[n]] for n in trees}),
    ):
        before, after = statistics.median(values["before"]), statistics.median(values["after"])
        print(f"{label:28} {before:10.1f} {after:10.1f} {after / before:13.2f}")
    names = [name for name in queries["after"][0] if name in queries["before"][0]] if queries["after"] else []
    for name in names:
        before = statistics.median(run[name] for run in queries["before"])
        after = statistics.median(run[name] for run in queries["after"])
        print(f"query {name[:22]:22} {before:10.1f} {after:10.1f} {after / before:13.2f}   (median ms)")


if __name__ == "__main__":
    main()
