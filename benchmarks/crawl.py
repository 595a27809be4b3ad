"""Crawl throughput and peak memory: `newsarchive crawl` against a plain Scrapy CrawlSpider, same site, same run.

    .venv/bin/python benchmarks/crawl.py --articles 3000 --pairs 3

The sample site (tests/site) is pre-rendered to files and served by nginx (benchmarks/static_site.py),
which answers tens of thousands of requests a second, so neither crawler ever waits on the server.
Both crawl with politeness off (AUTOTHROTTLE_ENABLED=False DOWNLOAD_DELAY=0 CONCURRENT_REQUESTS=32
CONCURRENT_REQUESTS_PER_DOMAIN=32), each in its own process, in interleaved pairs (the order
alternates from pair to pair) so that load from anything else on the machine falls on both.

For each run: pages fetched (Scrapy's `response_received_count`), wall time of the whole command as a
user waits for it (start-up and the final flush included), pages/s over that time, Scrapy's own
`elapsed_time_seconds` (spider opened to closed; for information), and the peak RSS of the command's
whole process tree. The ratio columns divide the archival crawl's figure by the plain
spider's in the same pair; the medians summarise the pairs.
"""

from __future__ import annotations

import argparse
import signal
import re
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from measure import run_measured
from static_site import StaticSite

HERE = Path(__file__).resolve().parent
NEWSARCHIVE = str(Path(sys.executable).parent / "newsarchive")
POLITENESS_OFF = (
    "AUTOTHROTTLE_ENABLED=False",
    "DOWNLOAD_DELAY=0",
    "CONCURRENT_REQUESTS=32",
    "CONCURRENT_REQUESTS_PER_DOMAIN=32",
    "LOG_LEVEL=INFO",  # Scrapy's closing stats dump is read back for the page count
)
PAGES = re.compile(r"'response_received_count': (\d+)")
ELAPSED = re.compile(r"'elapsed_time_seconds': ([\d.]+)")


@dataclass(frozen=True, slots=True)
class Run:
    mode: str
    pages: int
    seconds: float
    crawl_seconds: float  # Scrapy's elapsed_time_seconds: spider opened to closed, without start-up
    peak_rss_mb: float

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds


def settings_args(*extra: str) -> list[str]:
    return [arg for pair in (*POLITENESS_OFF, *extra) for arg in ("-s", pair)]


def archival_command(base_url: str, data_dir: Path, *extra: str) -> list[str]:
    return [NEWSARCHIVE, "crawl", "morningstar", "--data-dir", str(data_dir), "--base-url", base_url,
            *settings_args("ARCHIVE_PROGRESS=False", *extra)]


def plain_command(base_url: str) -> list[str]:
    return [sys.executable, str(HERE / "plain_spider.py"), base_url, *settings_args()]


def run_one(mode: str, base_url: str, workdir: Path) -> Run:
    command = archival_command(base_url, workdir / "data") if mode == "archival" else plain_command(base_url)
    measured = run_measured(command, cwd=workdir)
    found, elapsed = PAGES.search(measured.stderr), ELAPSED.search(measured.stderr)
    if measured.returncode != 0 or found is None or elapsed is None:
        raise SystemExit(f"the {mode} crawl failed (exit {measured.returncode}):\n{measured.stderr[-3000:]}")
    return Run(mode, int(found.group(1)), measured.seconds, float(elapsed.group(1)), measured.peak_rss_mb)


def print_table(pairs: list[tuple[Run, Run]]) -> None:
    print(f"{'pair':<6}{'mode':<10}{'pages':>8}{'seconds':>9}{'pages/s':>9}{'crawl s':>9}{'peak MB':>9}"
          f"{'speed':>8}{'memory':>8}")
    for number, (archival, plain) in enumerate(pairs, 1):
        for run in (archival, plain):
            ratios = (f"{archival.pages_per_second / plain.pages_per_second:>7.2f}x"
                      f"{archival.peak_rss_mb / plain.peak_rss_mb:>7.2f}x") if run is archival else ""
            print(f"{number:<6}{run.mode:<10}{run.pages:>8}{run.seconds:>9.1f}{run.pages_per_second:>9.1f}"
                  f"{run.crawl_seconds:>9.1f}{run.peak_rss_mb:>9.1f}{ratios}")
    speed = statistics.median(a.pages_per_second / p.pages_per_second for a, p in pairs)
    memory = statistics.median(a.peak_rss_mb / p.peak_rss_mb for a, p in pairs)
    archival_rate = statistics.median(a.pages_per_second for a, _ in pairs)
    plain_rate = statistics.median(p.pages_per_second for _, p in pairs)
    archival_rss = statistics.median(a.peak_rss_mb for a, _ in pairs)
    plain_rss = statistics.median(p.peak_rss_mb for _, p in pairs)
    print(f"median: archival {archival_rate:.1f} pages/s, {archival_rss:.0f} MB; plain {plain_rate:.1f} pages/s, "
          f"{plain_rss:.0f} MB; ratio {speed:.2f}x speed, {memory:.2f}x memory")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--pairs", type=int, default=3, help="interleaved archival/plain pairs")
    parser.add_argument("--only", choices=("archival", "plain"), help="run one crawler only (profiling)")
    options = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop nginx and remove its files on kill

    with StaticSite.start(options.articles) as site:
        rate = site.requests_per_second()
        served = f"{rate:,.0f} requests/s (wrk, 32 connections)" if rate else "not load-tested (no wrk)"
        print(f"site: {options.articles} articles, {site.rendered.pages} pages by nginx at {site.base_url}, {served}",
              flush=True)
        pairs: list[tuple[Run, Run]] = []
        with tempfile.TemporaryDirectory(prefix="newsarchive-bench-") as workdir:
            for number in range(options.pairs):
                order = ("archival", "plain") if number % 2 == 0 else ("plain", "archival")
                if options.only:
                    order = (options.only,)
                runs = {}
                for mode in order:
                    run_dir = Path(workdir) / f"{number}-{mode}"
                    run_dir.mkdir()
                    runs[mode] = run_one(mode, site.base_url, run_dir)
                    print(f"  {mode}: {runs[mode].pages} pages in {runs[mode].seconds:.1f}s, "
                          f"{runs[mode].peak_rss_mb:.0f} MB", flush=True)
                if not options.only:
                    pairs.append((runs["archival"], runs["plain"]))
    if pairs:
        print_table(pairs)


if __name__ == "__main__":
    main()
