"""Crawl throughput and peak memory: full archival crawl vs. the same spider storing nothing vs. a
plain Scrapy CrawlSpider with a LinkExtractor, all against one generated site in the same run.

    .venv/bin/python benchmarks/crawl.py --articles 2000

The site is served by a separate process (so it never competes for this process's GIL); each crawl
runs in its own process and reports its own pages/second and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODES = ("archival", "no-storage", "plain-crawlspider")


def start_site(articles: int) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "newsarchive_site", "serve", "--port", "0", "--articles", str(articles)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    base_url = server.stdout.readline().strip()
    if not base_url.startswith("http"):
        server.kill()
        raise SystemExit(f"the sample site did not start: {base_url!r}")
    return server, base_url


def run_mode(mode: str, base_url: str, workdir: Path) -> dict:
    done = subprocess.run(
        [sys.executable, str(HERE / "crawl_once.py"), mode, base_url, str(workdir / mode)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{mode} crawl failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1, help="runs per mode; the best is reported")
    options = parser.parse_args()

    started = time.monotonic()
    server, base_url = start_site(options.articles)
    try:
        results: dict[str, dict] = {}
        with tempfile.TemporaryDirectory() as workdir:
            for _ in range(options.repeat):
                for mode in MODES:
                    result = run_mode(mode, base_url, Path(workdir) / str(time.monotonic_ns()))
                    best = results.get(mode)
                    if best is None or result["pages_per_second"] > best["pages_per_second"]:
                        results[mode] = result
    finally:
        server.terminate()
        server.wait()

    plain = results["plain-crawlspider"]
    print(f"site: {options.articles} articles, served from {base_url}; total {time.monotonic() - started:.0f}s")
    print(f"{'mode':<20}{'pages':>8}{'seconds':>10}{'pages/s':>10}{'peak MB':>10}{'speed':>8}{'memory':>8}")
    for mode in MODES:
        result = results[mode]
        print(
            f"{mode:<20}{result['pages']:>8}{result['seconds']:>10.1f}{result['pages_per_second']:>10.1f}"
            f"{result['peak_rss_mb']:>10.1f}"
            f"{result['pages_per_second'] / plain['pages_per_second']:>7.2f}x"
            f"{result['peak_rss_mb'] / plain['peak_rss_mb']:>7.2f}x"
        )
    archival = results["archival"]
    if "articles" in archival:
        print(f"archival crawl: {archival['articles']} articles, {archival['warc_bytes']:,} WARC bytes")


if __name__ == "__main__":
    main()
