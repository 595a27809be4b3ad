"""`newsarchive reindex` speed and peak memory: the whole index rebuilt from a crawl's WARC files.

    .venv/bin/python benchmarks/reindex.py --articles 3000 30000

For each size, the sample site is served by nginx (benchmarks/static_site.py) and crawled once by
`newsarchive crawl` with politeness off; then `newsarchive reindex` rebuilds the index from those
WARC files, --runs times, each timed as a user waits for it (process start-up included) with the
peak RSS of its process tree and its CPU time (steadier than wall time on a shared machine).
--compare runs another installation's reindex on the same files after this one's. Each rebuild
must give the index the crawl wrote: the row counts of every table are compared (the test suite
compares the rows themselves).

--keep DIR keeps the crawled data directories (DIR/<articles>) and reuses them on the next run,
so the crawl of a large site is paid once.
"""

from __future__ import annotations

import argparse
import signal
import shutil
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path

from crawl import archival_command
from measure import run_measured
from static_site import StaticSite

NEWSARCHIVE = str(Path(sys.executable).parent / "newsarchive")
TABLES = ("crawl_runs", "captures", "articles", "article_versions", "article_links")


def row_counts(data_dir: Path) -> dict[str, int]:
    with sqlite3.connect(data_dir / "archive.sqlite3") as connection:
        return {table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}


def crawled(articles: int, data_dir: Path) -> None:
    """Crawl the sample site of `articles` articles into `data_dir`, unless a finished crawl is there."""
    if (data_dir / "crawled").exists():
        return
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    with StaticSite.start(articles) as site:
        print(f"crawling {articles} articles from {site.base_url} ...", flush=True)
        measured = run_measured(archival_command(site.base_url, data_dir, "LOG_LEVEL=WARNING"))
    if measured.returncode != 0:
        raise SystemExit(f"the crawl failed:\n{measured.stderr[-3000:]}")
    print(f"  crawled in {measured.seconds:.0f}s", flush=True)
    (data_dir / "crawled").write_text(str(row_counts(data_dir)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, nargs="+", default=[3000, 30000])
    parser.add_argument("--runs", type=int, default=3, help="rebuilds per size; the median is reported")
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the crawled data directories here")
    parser.add_argument("--compare", metavar="NEWSARCHIVE",
                        help="also rebuild with this other installation's newsarchive command")
    options = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop nginx and remove its files on kill

    rows = []
    with tempfile.TemporaryDirectory(prefix="newsarchive-reindex-") as scratch:
        base = options.keep or Path(scratch)
        for articles in options.articles:
            data_dir = base / str(articles)
            crawled(articles, data_dir)
            expected = row_counts(data_dir)
            warc_bytes = sum(path.stat().st_size for path in (data_dir / "warcs").glob("*.warc.gz"))
            commands = {"this": NEWSARCHIVE, **({"other": options.compare} if options.compare else {})}
            for name, command in commands.items():
                runs = []
                for _ in range(options.runs):
                    measured = run_measured([command, "reindex", "--data-dir", str(data_dir)])
                    if measured.returncode != 0:
                        raise SystemExit(f"reindex failed:\n{measured.stderr[-3000:]}")
                    if (counts := row_counts(data_dir)) != expected:
                        raise SystemExit(f"the rebuilt index differs from the crawled one: {counts} != {expected}")
                    runs.append(measured)
                    print(f"  {name} {articles}: {measured.seconds:.1f}s, {measured.cpu_seconds:.1f} CPU s, "
                          f"{measured.peak_rss_mb:.0f} MB", flush=True)
                rows.append((name, expected, warc_bytes, statistics.median(r.seconds for r in runs),
                             statistics.median(r.cpu_seconds for r in runs), max(r.peak_rss_mb for r in runs)))
    print(f"{'code':<6}{'articles':>9}{'captures':>10}{'WARC MB':>9}{'seconds':>9}{'articles/s':>12}"
          f"{'CPU s':>8}{'articles/CPU s':>16}{'peak MB':>9}")
    for name, counts, warc_bytes, seconds, cpu, peak in rows:
        print(f"{name:<6}{counts['articles']:>9}{counts['captures']:>10}{warc_bytes / 1e6:>9.0f}{seconds:>9.1f}"
              f"{counts['articles'] / seconds:>12.0f}{cpu:>8.1f}{counts['articles'] / cpu:>16.0f}{peak:>9.0f}")


if __name__ == "__main__":
    main()
