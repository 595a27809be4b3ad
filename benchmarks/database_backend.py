"""Crawl throughput and peak memory with the index in SQLite (the default) or in PostgreSQL, same site, same run.

    .venv/bin/python benchmarks/database_backend.py --articles 3000 --pairs 3

The sample site is pre-rendered and served by nginx (benchmarks/static_site.py), so the server is never
what is measured. Each run is one `newsarchive crawl` process with politeness off (as benchmarks/crawl.py),
into a fresh data directory and, for PostgreSQL, a fresh database on the server named by --postgresql
(created and dropped here). Runs go in interleaved pairs, the order alternating, so load from anything
else on the machine falls on both. For each run: pages fetched, wall time of the whole command, pages/s,
the peak RSS of the crawler's process tree (the PostgreSQL server's own memory and CPU are not counted),
and the articles in the index afterwards, read back to check that both indexed the same site.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from crawl import PAGES, archival_command
from measure import run_measured
from static_site import StaticSite

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive.readers.query import run_query  # noqa: E402

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True, slots=True)
class Run:
    backend: str
    pages: int
    seconds: float
    peak_rss_mb: float
    articles: int

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds


class ThrowAwayDatabase:
    """A new database on the PostgreSQL server at `admin_url`, dropped on exit."""

    def __init__(self, admin_url: str) -> None:
        from sqlalchemy import make_url

        self.admin = make_url(admin_url)
        self.name = f"newsarchive_bench_{uuid.uuid4().hex[:8]}"
        self.url = self.admin.set(database=self.name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host=self.admin.host, port=self.admin.port or 5432, user=self.admin.username,
                             password=self.admin.password, dbname=self.admin.database, autocommit=True) as connection:
            connection.execute(sql)

    def __enter__(self) -> ThrowAwayDatabase:
        self._execute(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def run_one(backend: str, base_url: str, workdir: Path, server: str) -> Run:
    data_dir = workdir / "data"

    def crawl(database_url: str) -> Run:
        measured = run_measured(archival_command(base_url, data_dir, f"ARCHIVE_DATABASE_URL={database_url}"), cwd=workdir)
        found = PAGES.search(measured.stderr)
        if measured.returncode != 0 or found is None:
            raise SystemExit(f"the {backend} crawl failed (exit {measured.returncode}):\n{measured.stderr[-3000:]}")
        articles = run_query(database_url, "SELECT COUNT(*) FROM articles").rows[0][0]
        return Run(backend, int(found.group(1)), measured.seconds, measured.peak_rss_mb, articles)

    if backend == "sqlite":
        return crawl(f"sqlite:///{data_dir / 'archive.sqlite3'}")
    with ThrowAwayDatabase(server) as database:
        return crawl(database.url)


def print_table(pairs: list[dict[str, Run]]) -> None:
    print(f"{'pair':<6}{'index':<12}{'pages':>8}{'articles':>10}{'seconds':>9}{'pages/s':>9}{'peak MB':>9}")
    for number, runs in enumerate(pairs, 1):
        for run in runs.values():
            print(f"{number:<6}{run.backend:<12}{run.pages:>8}{run.articles:>10}{run.seconds:>9.1f}"
                  f"{run.pages_per_second:>9.1f}{run.peak_rss_mb:>9.1f}")
    for backend in ("sqlite", "postgresql"):
        rate = statistics.median(runs[backend].pages_per_second for runs in pairs)
        rss = statistics.median(runs[backend].peak_rss_mb for runs in pairs)
        print(f"median {backend}: {rate:.1f} pages/s, {rss:.0f} MB")
    ratio = statistics.median(runs["postgresql"].pages_per_second / runs["sqlite"].pages_per_second for runs in pairs)
    print(f"PostgreSQL / SQLite speed: {ratio:.2f}x (median of pairs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--pairs", type=int, default=3, help="interleaved SQLite/PostgreSQL pairs")
    parser.add_argument("--postgresql", default=DEFAULT_SERVER, help="admin URL of the PostgreSQL server to use")
    options = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop nginx and remove its files on kill

    with StaticSite.start(options.articles) as site:
        print(f"site: {options.articles} articles, {site.rendered.pages} pages by nginx at {site.base_url}", flush=True)
        pairs: list[dict[str, Run]] = []
        with tempfile.TemporaryDirectory(prefix="newsarchive-bench-") as workdir:
            for number in range(options.pairs):
                order = ("sqlite", "postgresql") if number % 2 == 0 else ("postgresql", "sqlite")
                runs = {}
                for backend in order:
                    run_dir = Path(workdir) / f"{number}-{backend}"
                    run_dir.mkdir()
                    runs[backend] = run_one(backend, site.base_url, run_dir, options.postgresql)
                    run = runs[backend]
                    print(f"  {backend}: {run.pages} pages, {run.articles} articles in {run.seconds:.1f}s, "
                          f"{run.peak_rss_mb:.0f} MB", flush=True)
                pairs.append(runs)
    print_table(pairs)


if __name__ == "__main__":
    main()
