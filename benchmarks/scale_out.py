"""Scaling out: pages/s and peak memory of one crawl with 1, 2 and 4 workers on a shared frontier.

    .venv/bin/python benchmarks/scale_out.py --articles 3000 --rounds 3

The sample site (tests/site) is pre-rendered and served by nginx (benchmarks/static_site.py), so the
server never limits the crawl. Each round runs, in an order that alternates from round to round:
`sqlite-1`, the single-process crawl into SQLite (what a user gets without any option);
`pg-1`, one worker on the Redis frontier (`--frontier`) indexing into PostgreSQL;
`pg-2` and `pg-4`, `--workers 2` and `--workers 4` on the frontier into PostgreSQL.
Every run starts from an empty data directory, a new PostgreSQL database and an emptied Redis
database, with politeness off (as benchmarks/crawl.py). Pages are the responses archived (from the
summary line); time is the whole command's wall time; peak RSS is the whole process tree's (the
workers summed); CPU is user + system time of the tree. `speed` divides pages/s by pg-1's in the
same round. The machine's core count bounds what more workers can give.

That the server is not what limits the crawl is shown, not assumed: the `nginx CPU` column is the
share of one core nginx used during each run (a few per cent means it idled), and with `wrk`
installed the site's own request rate is measured before the rounds. The load average is printed
at the start and the end: figures taken beside other work on the machine say so.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from measure import run_measured
from static_site import StaticSite

NEWSARCHIVE = str(Path(sys.executable).parent / "newsarchive")
POLITENESS_OFF = ("AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0", "CONCURRENT_REQUESTS=32",
                  "CONCURRENT_REQUESTS_PER_DOMAIN=32", "LOG_LEVEL=WARNING", "ARCHIVE_PROGRESS=False")
ARCHIVED = re.compile(r"^(\d+) responses archived", re.MULTILINE)
MODES = ("sqlite-1", "pg-1", "pg-2", "pg-4")


@dataclass(frozen=True, slots=True)
class Run:
    mode: str
    pages: int
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    server_cpu_seconds: float  # nginx's CPU time during the run

    @property
    def server_share(self) -> float:
        """nginx's CPU time as a share of one core over the run."""
        return self.server_cpu_seconds / self.seconds

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds


def new_database(admin_url: str) -> str:
    import psycopg
    from sqlalchemy import make_url

    admin = make_url(admin_url)
    name = f"newsarchive_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(host=admin.host, port=admin.port or 5432, user=admin.username, password=admin.password,
                         dbname=admin.database, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, url: str) -> None:
    import psycopg
    from sqlalchemy import make_url

    admin, name = make_url(admin_url), make_url(url).database
    with psycopg.connect(host=admin.host, port=admin.port or 5432, user=admin.username, password=admin.password,
                         dbname=admin.database, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def command(mode: str, base_url: str, data_dir: Path, frontier: str, database: str) -> list[str]:
    args = [NEWSARCHIVE, "crawl", "morningstar", "--data-dir", str(data_dir), "--base-url", base_url]
    for pair in POLITENESS_OFF:
        args += ["-s", pair]
    if mode == "sqlite-1":
        return args
    workers = int(mode.split("-")[1])
    args += ["--frontier", frontier, "--database", database]
    return args + (["--workers", str(workers)] if workers > 1 else [])


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU time of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def run_one(mode: str, site: StaticSite, options: argparse.Namespace, scratch: Path) -> Run:
    from redis import Redis

    Redis.from_url(options.frontier).flushdb()
    database = new_database(options.postgresql) if mode != "sqlite-1" else ""
    try:
        data_dir = scratch / f"{mode}-{uuid.uuid4().hex[:6]}"
        server_before = cpu_seconds_of(site.process.pid)
        measured = run_measured(command(mode, site.base_url, data_dir, options.frontier, database))
        server_cpu = cpu_seconds_of(site.process.pid) - server_before
    finally:
        if database:
            drop_database(options.postgresql, database)
    found = ARCHIVED.search(measured.stdout)
    if measured.returncode != 0 or found is None:
        raise SystemExit(f"the {mode} crawl failed (exit {measured.returncode}):\n{measured.stderr[-3000:]}")
    shutil.rmtree(data_dir, ignore_errors=True)  # 3000 articles x 4 modes x rounds: keep the disk free
    return Run(mode, int(found.group(1)), measured.seconds, measured.peak_rss_mb, measured.cpu_seconds, server_cpu)


def print_table(rounds: list[dict[str, Run]], modes: tuple[str, ...]) -> None:
    baseline = "pg-1" if "pg-1" in modes else modes[0]
    print(f"{'round':<6}{'mode':<10}{'pages':>7}{'seconds':>9}{'pages/s':>9}{'CPU s':>8}{'peak MB':>9}"
          f"{'nginx CPU':>10}{'vs ' + baseline:>9}")
    for number, runs in enumerate(rounds, 1):
        for mode in modes:
            run = runs[mode]
            speed = run.pages_per_second / runs[baseline].pages_per_second
            print(f"{number:<6}{mode:<10}{run.pages:>7}{run.seconds:>9.1f}{run.pages_per_second:>9.1f}"
                  f"{run.cpu_seconds:>8.1f}{run.peak_rss_mb:>9.0f}{run.server_share:>9.1%}{speed:>8.2f}x")
    print(f"\nmedian over {len(rounds)} rounds (each ratio taken within its round against {baseline}, then the median):\n")
    print(f"| mode | pages | pages/s | peak RSS (MB) | CPU s | nginx CPU | vs {baseline} |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for mode in modes:
        runs = [r[mode] for r in rounds]
        speed = statistics.median(r[mode].pages_per_second / r[baseline].pages_per_second for r in rounds)
        print(f"| {mode} | {statistics.median(r.pages for r in runs):.0f} | {statistics.median(r.pages_per_second for r in runs):.1f} "
              f"| {statistics.median(r.peak_rss_mb for r in runs):.0f} | {statistics.median(r.cpu_seconds for r in runs):.1f} "
              f"| {statistics.median(r.server_share for r in runs):.1%} | {speed:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds of the four modes")
    parser.add_argument("--frontier", default="redis://127.0.0.1:6379/15", help="a Redis database it may empty")
    parser.add_argument("--postgresql", default=os.environ.get("NEWSARCHIVE_TEST_POSTGRESQL", "postgresql://postgres@127.0.0.1:5432/postgres"),
                        help="admin URL: a throw-away database is created (and dropped) for each run")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated subset of {', '.join(MODES)}")
    options = parser.parse_args()
    modes = tuple(mode for mode in MODES if mode in options.modes.split(","))
    if not modes:
        parser.error(f"--modes: choose from {', '.join(MODES)}")
    print(f"{os.cpu_count()} cores; {options.articles} articles; {options.rounds} rounds; "
          f"load average at start {load_average()}", flush=True)
    rounds = []
    with StaticSite.start(options.articles) as site, tempfile.TemporaryDirectory(prefix="scale-out-") as scratch:
        rate = site.requests_per_second()
        print(f"nginx: {site.rendered.pages} pages; " + (f"{rate:.0f} requests/s for one article page (wrk, 32 connections)"
              if rate else "wrk not installed: its request rate is not measured (see the nginx CPU column)"), flush=True)
        for number in range(options.rounds):
            order = modes if number % 2 == 0 else tuple(reversed(modes))
            runs = {mode: run_one(mode, site, options, Path(scratch)) for mode in order}
            rounds.append(runs)
            print(f"round {number + 1}: " + ", ".join(f"{m} {r.pages_per_second:.1f} pages/s" for m, r in runs.items()), flush=True)
    print(f"load average at end {load_average()}")
    print_table(rounds, modes)


if __name__ == "__main__":
    main()
