"""Nightly re-crawl cost: WARC bytes written and time taken by a crawl of an unchanged site,
against the first crawl of it.

    .venv/bin/python benchmarks/recrawl.py --articles 3000

The site is served by nginx from pre-rendered files (benchmarks/static_site.py; its ETag and
Last-Modified answer conditional requests with 304), with politeness off as in benchmarks/crawl.py.

Three crawls into one data directory: the first; a re-crawl that re-fetches every archived article
with a conditional request (the worst case: every article younger than ARCHIVE_RECRAWL_DAYS); and a
re-crawl with the default policy (articles older than 7 days are not fetched again; the sample
site's articles are from early 2026). Each crawl's wall time and CPU time (the command and its
children), against the first crawl's: on a shared machine the CPU ratio is the steadier one.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from crawl import POLITENESS_OFF  # benchmarks/crawl.py
from measure import run_measured
from static_site import StaticSite

NEWSARCHIVE = str(Path(sys.executable).parent / "newsarchive")
LOCAL = (*POLITENESS_OFF, "LOG_LEVEL=WARNING", "ARCHIVE_MAX_FAILED_RATIO=1", "ARCHIVE_PROGRESS=False")


def crawl(data_dir: Path, base_url: str, *settings: str) -> tuple[float, float, int]:
    """Seconds taken, CPU seconds used and WARC bytes added by one crawl."""
    before = warc_bytes(data_dir)
    args = [arg for pair in (*LOCAL, *settings) for arg in ("-s", pair)]
    measured = run_measured(
        [NEWSARCHIVE, "crawl", "morningstar", "--data-dir", str(data_dir), "--base-url", base_url, *args])
    if measured.returncode != 0:
        raise SystemExit(f"a crawl failed (exit {measured.returncode}):\n{measured.stderr[-3000:]}")
    return measured.seconds, measured.cpu_seconds, warc_bytes(data_dir) - before


def warc_bytes(data_dir: Path) -> int:
    return sum(path.stat().st_size for path in (data_dir / "warcs").glob("*.warc.gz"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=3000)
    options = parser.parse_args()
    with StaticSite.start(options.articles) as site, tempfile.TemporaryDirectory() as workdir:
        data_dir, base_url = Path(workdir), site.base_url
        runs = {
            "first crawl": crawl(data_dir, base_url, "ARCHIVE_RECRAWL_DAYS=100000"),
            "re-crawl, every article conditional": crawl(data_dir, base_url, "ARCHIVE_RECRAWL_DAYS=100000"),
            "re-crawl, default policy": crawl(data_dir, base_url),
        }
    first_seconds, first_cpu, first_bytes = runs["first crawl"]
    print(f"site: {options.articles} articles, nothing changed between the crawls")
    print(f"{'crawl':<40}{'seconds':>9}{'CPU s':>8}{'WARC bytes':>14}{'time':>8}{'CPU':>8}{'bytes':>8}")
    for name, (seconds, cpu, written) in runs.items():
        print(
            f"{name:<40}{seconds:>9.1f}{cpu:>8.1f}{written:>14,}"
            f"{seconds / first_seconds:>7.0%} {cpu / first_cpu:>7.0%} {written / first_bytes:>7.1%}"
        )


if __name__ == "__main__":
    main()
