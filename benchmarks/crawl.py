"""Crawl throughput and peak memory: `newsarchive crawl` against a plain Scrapy CrawlSpider, same site, same run.

    .venv/bin/python benchmarks/crawl.py --articles 3000 --pairs 3

The sample site (tests/site) is pre-rendered to files and served by nginx (benchmarks/static_site.py),
which answers tens of thousands of requests a second, so neither crawler ever waits on the server.
Both crawl with politeness off (AUTOTHROTTLE_ENABLED=False DOWNLOAD_DELAY=0 CONCURRENT_REQUESTS=32
CONCURRENT_REQUESTS_PER_DOMAIN=32), each in its own process, in interleaved pairs (the order
alternates from pair to pair) so that load from anything else on the machine falls on both.

For each run: pages fetched (Scrapy's `response_received_count`; the archival crawl's include the page
requisites it fetches, which the plain spider does not), site pages (the pages both spiders fetch: the
archival spider's `archive/pages`, the plain spider's responses but robots.txt), wall time of the
whole command as a user waits for it (start-up and the final flush included), pages/s and site
pages/s over that time, Scrapy's own `elapsed_time_seconds` (spider opened to closed; for
information), the peak RSS of the command's whole process tree, and the CPU time per site page
(user + system, the process and its children): on a machine shared with other work, CPU per page
moves far less than wall time does. `--no-requisites` crawls without page requisites, so both
crawlers fetch the same pages and nothing else. The ratio columns
divide the archival crawl's figure by the plain spider's in the same round; the medians summarise
the rounds. --compare runs a second installation (say, the code before a change) in every round.
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
# The archival spider's own pages (HTML and feeds, not robots.txt nor requisites): what the plain
# spider fetches. The plain spider's are its responses but robots.txt.
SPIDER_PAGES = re.compile(r"'archive/pages': (\d+)")
ELAPSED = re.compile(r"'elapsed_time_seconds': ([\d.]+)")


@dataclass(frozen=True, slots=True)
class Run:
    mode: str
    pages: int  # responses received: for the archival crawl, its page requisites too
    site_pages: int  # pages a plain spider also fetches (no robots.txt, no requisites)
    seconds: float
    crawl_seconds: float  # Scrapy's elapsed_time_seconds: spider opened to closed, without start-up
    peak_rss_mb: float
    cpu_seconds: float

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds

    @property
    def cpu_ms_per_page(self) -> float:
        """Per site page: the archival crawl's requisites are part of the cost of archiving a page."""
        return 1000 * self.cpu_seconds / self.site_pages

    @property
    def site_pages_per_second(self) -> float:
        return self.site_pages / self.seconds


def settings_args(*extra: str) -> list[str]:
    return [arg for pair in (*POLITENESS_OFF, *extra) for arg in ("-s", pair)]


def archival_command(base_url: str, data_dir: Path, *extra: str, newsarchive: str = NEWSARCHIVE) -> list[str]:
    return [newsarchive, "crawl", "morningstar", "--data-dir", str(data_dir), "--base-url", base_url,
            *settings_args("ARCHIVE_PROGRESS=False", *extra)]


def plain_command(base_url: str) -> list[str]:
    return [sys.executable, str(HERE / "plain_spider.py"), base_url, *settings_args()]


def run_one(mode: str, command: list[str], workdir: Path) -> Run:
    measured = run_measured(command, cwd=workdir)
    found, elapsed = PAGES.search(measured.stderr), ELAPSED.search(measured.stderr)
    if measured.returncode != 0 or found is None or elapsed is None:
        raise SystemExit(f"the {mode} crawl failed (exit {measured.returncode}):\n{measured.stderr[-3000:]}")
    spider_pages = SPIDER_PAGES.search(measured.stderr)
    site_pages = int(spider_pages.group(1)) if spider_pages else int(found.group(1)) - 1
    return Run(mode, int(found.group(1)), site_pages, measured.seconds, float(elapsed.group(1)),
               measured.peak_rss_mb, measured.cpu_seconds)


def print_table(rounds: list[dict[str, Run]]) -> None:
    print("pages: responses (the archival crawl's page requisites included); site pages: the pages both "
          "spiders fetch; 'site' ratios compare site pages/s; CPU is per site page")
    print(f"{'round':<6}{'mode':<10}{'pages':>7}{'site pg':>8}{'seconds':>9}{'pages/s':>9}{'site/s':>8}{'crawl s':>9}"
          f"{'CPU ms/page':>12}{'peak MB':>9}{'speed':>8}{'site':>7}{'memory':>8}{'CPU':>7}")
    for number, runs in enumerate(rounds, 1):
        plain = runs["plain"]
        for run in runs.values():
            ratios = "" if run is plain else (
                f"{run.pages_per_second / plain.pages_per_second:>7.2f}x"
                f"{run.site_pages_per_second / plain.site_pages_per_second:>6.2f}x"
                f"{run.peak_rss_mb / plain.peak_rss_mb:>7.2f}x"
                f"{run.cpu_ms_per_page / plain.cpu_ms_per_page:>6.2f}x")
            print(f"{number:<6}{run.mode:<10}{run.pages:>7}{run.site_pages:>8}{run.seconds:>9.1f}"
                  f"{run.pages_per_second:>9.1f}{run.site_pages_per_second:>8.1f}{run.crawl_seconds:>9.1f}"
                  f"{run.cpu_ms_per_page:>12.1f}{run.peak_rss_mb:>9.1f}{ratios}")
    print("median over the rounds (ratios are taken within a round, then the median):")
    for mode in rounds[0]:
        runs = [r[mode] for r in rounds]
        line = (f"  {mode:<9}{statistics.median(r.pages_per_second for r in runs):>7.1f} pages/s"
                f"{statistics.median(r.site_pages_per_second for r in runs):>7.1f} site pages/s"
                f"{statistics.median(r.cpu_ms_per_page for r in runs):>7.1f} CPU ms/page"
                f"{statistics.median(r.peak_rss_mb for r in runs):>6.0f} MB")
        if mode != "plain":
            speed = statistics.median(r[mode].pages_per_second / r["plain"].pages_per_second for r in rounds)
            site = statistics.median(r[mode].site_pages_per_second / r["plain"].site_pages_per_second for r in rounds)
            memory = statistics.median(r[mode].peak_rss_mb / r["plain"].peak_rss_mb for r in rounds)
            cpu = statistics.median(r[mode].cpu_ms_per_page / r["plain"].cpu_ms_per_page for r in rounds)
            line += (f"   vs plain: {speed:.2f}x speed ({site:.2f}x in site pages), {memory:.2f}x memory, "
                     f"{cpu:.2f}x CPU per page")
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--pairs", type=int, default=3, help="interleaved rounds of archival and plain crawls")
    parser.add_argument("--compare", metavar="NEWSARCHIVE",
                        help="also crawl with this other installation's newsarchive command in each round "
                             "(e.g. the previous release's), shown as 'other'")
    parser.add_argument("--no-requisites", action="store_true",
                        help="archival crawls without page requisites (ARCHIVE_REQUISITES=False): the same pages "
                             "as the plain spider, nothing more")
    options = parser.parse_args()
    archival_extra = ("ARCHIVE_REQUISITES=False",) if options.no_requisites else ()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop nginx and remove its files on kill

    with StaticSite.start(options.articles) as site:
        rate = site.requests_per_second()
        served = f"{rate:,.0f} requests/s (wrk, 32 connections)" if rate else "not load-tested (no wrk)"
        print(f"site: {options.articles} articles, {site.rendered.pages} pages by nginx at {site.base_url}, {served}",
              flush=True)
        modes = ["archival", "plain"] + (["other"] if options.compare else [])
        rounds: list[dict[str, Run]] = []
        with tempfile.TemporaryDirectory(prefix="newsarchive-bench-") as workdir:
            for number in range(options.pairs):
                order = modes[number % len(modes):] + modes[:number % len(modes)]  # rotate who goes first
                runs = {}
                for mode in order:
                    run_dir = Path(workdir) / f"{number}-{mode}"
                    run_dir.mkdir()
                    command = (plain_command(site.base_url) if mode == "plain" else archival_command(
                        site.base_url, run_dir / "data", *archival_extra,
                        newsarchive=options.compare if mode == "other" else NEWSARCHIVE))
                    runs[mode] = run_one(mode, command, run_dir)
                    print(f"  {mode}: {runs[mode].pages} pages ({runs[mode].site_pages} site pages) in {runs[mode].seconds:.1f}s, "
                          f"{runs[mode].cpu_seconds:.1f} CPU s, {runs[mode].peak_rss_mb:.0f} MB", flush=True)
                rounds.append({mode: runs[mode] for mode in modes})
    print_table(rounds)


if __name__ == "__main__":
    main()
