"""Many workers on one shared frontier (scrapy-redis on the real Redis at 127.0.0.1:6379) indexing
into one real PostgreSQL database: each article archived once, nothing lost when a worker is killed,
one run of a site at a time. Each test uses a Redis database of its own and empties it afterwards.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from redis import Redis
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from archive.errors import LockHeld
from archive.index import database as db
from archive.index.models import Base
from archive.session.recovery import recover_open_files
from tests.helpers import LOCAL_SETTINGS, NEWSARCHIVE, REPO, REQUISITES_ON, run_newsarchive, setting_args

REDIS_DB = {"two_workers": 11, "killed": 12, "refused": 13, "seed": 14, "lock": 8, "worker": 9, "worker_stopped": 10,
            "orphaned": 7}
INDEX_TABLES = ("articles", "captures", "article_links", "article_versions")
SLOW_SITE = ("DOWNLOAD_DELAY=0.1", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "RANDOMIZE_DOWNLOAD_DELAY=False")


@pytest.fixture
def frontier_url(request) -> Iterator[str]:
    number = REDIS_DB[request.param]
    server = Redis(host="127.0.0.1", port=6379, db=number)
    server.flushdb()
    yield f"redis://127.0.0.1:6379/{number}"
    server.flushdb()


def worker_args(data_dir: Path, base_url: str, url: str, database: str, *settings: str) -> list[str]:
    pairs = (*LOCAL_SETTINGS, "ARCHIVE_FRONTIER_LEASE=3", *settings)
    return ["crawl", "morningstar", "--data-dir", str(data_dir), "--base-url", base_url,
            "--frontier", url, "--database", database, *setting_args(pairs)]


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def responses(warc_dirs: list[Path]) -> Counter:
    """How many times each URL was fetched, read from the WARC files with warcio (a 5xx is retried
    by design: only its last attempt counts)."""
    fetched: Counter = Counter()
    for warc_dir in warc_dirs:
        for path in sorted(warc_dir.glob("*.warc.gz*")):
            with path.open("rb") as stream:
                for record in ArchiveIterator(stream):
                    if record.rec_type in ("response", "revisit") and not record.http_headers.get_statuscode().startswith("5"):
                        fetched[local(record.rec_headers.get_header("WARC-Target-URI"))] += 1
    return fetched


def article_records(warc_dirs: list[Path]) -> Counter:
    found: Counter = Counter()
    for warc_dir in warc_dirs:
        for path in sorted(warc_dir.glob("*.warc.gz*")):
            with path.open("rb") as stream:
                for record in ArchiveIterator(stream):
                    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                    if record.rec_type == "metadata" and not uri.startswith("urn:"):
                        found[local(uri)] += 1
    return found


def index_contents(url: str, table: str) -> Counter:
    """A table's rows without the ids the database assigned (workers insert in any order)."""
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            model = Base.metadata.tables[table]
            wanted = [column for column in model.c if column.name != "id" and not column.name.endswith("_id")]
            return Counter(repr(tuple(row)) for row in connection.execute(select(*wanted)))
    finally:
        engine.dispose()


def indexed_article_paths(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            articles = Base.metadata.tables["articles"]
            return {local(value) for value in connection.scalars(select(articles.c.url))}
    finally:
        engine.dispose()


def assert_valid_and_equal_to_reindex(warc_dirs: list[Path], url: str, postgresql_database, tmp_path: Path) -> None:
    gathered = tmp_path / "gathered"
    (gathered / "warcs").mkdir(parents=True)
    for warc_dir in warc_dirs:
        for path in warc_dir.glob("*.warc.gz"):
            check = subprocess.run([str(Path(NEWSARCHIVE).parent / "warcio"), "check", str(path)],
                                   capture_output=True, text=True)
            assert check.returncode == 0, check.stdout + check.stderr
            os.link(path, gathered / "warcs" / path.name)
    rebuilt = postgresql_database()
    done = run_newsarchive("reindex", "--data-dir", str(gathered), "-s", f"ARCHIVE_DATABASE_URL={rebuilt}")
    assert done.returncode == 0, done.stderr[-3000:]
    for table in INDEX_TABLES:
        assert index_contents(url, table) == index_contents(rebuilt, table), table


def site_articles(crawled) -> set[str]:
    """The articles a single process archives from the same site (the suite's shared SQLite crawl)."""
    from tests.helpers import rows

    return {local(row[0]) for row in rows(crawled.result.database, "SELECT url FROM articles")}


@pytest.mark.slow
@pytest.mark.parametrize("frontier_url", ["two_workers"], indirect=True)
def test_two_workers_archive_every_article_once(server, crawled, frontier_url, postgresql_database, tmp_path) -> None:
    database = postgresql_database()
    done = run_newsarchive(*worker_args(tmp_path / "data", server.base_url, frontier_url, database, REQUISITES_ON), "--workers", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "articles new or changed" in done.stdout and len(done.stdout.strip().splitlines()) == 1
    warcs = [tmp_path / "data" / "warcs"]
    # (on a loaded machine one worker may crawl the small site before the other starts: not asserted)
    fetched = responses(warcs)
    assert 2 <= fetched["/robots.txt"] <= 4  # each worker reads the robots.txt of the site and of the CDN it fetches from
    del fetched["/robots.txt"]
    assert fetched and max(fetched.values()) == 1, [url for url, n in fetched.items() if n > 1]
    # page requisites too, fetched once across the workers: the same pages and requisites as one process fetches
    single = responses([crawled.result.warc_dir])
    del single["/robots.txt"]
    assert set(fetched) == set(single), (set(fetched) ^ set(single))
    expected = site_articles(crawled)
    assert indexed_article_paths(database) == expected
    assert article_records(warcs) == Counter(dict.fromkeys(expected, 1))
    assert_valid_and_equal_to_reindex(warcs, database, postgresql_database, tmp_path)
    runs = index_contents(database, "crawl_runs")
    assert len(runs) == 2  # one crawl_runs row per worker
    assert not Redis.from_url(frontier_url).get("newsarchive:morningstar:run"), "the run lock is released when the run ends"
    state = run_newsarchive("frontier", "--frontier", frontier_url)
    site, queued, in_flight, seen = state.stdout.splitlines()[1].split("\t")[:4]
    assert (site, queued, in_flight) == ("morningstar", "0", "0") and int(seen) > sum(fetched.values())


@pytest.mark.slow
@pytest.mark.parametrize("frontier_url", ["killed"], indirect=True)
def test_a_killed_workers_requests_are_finished_by_the_other(server, crawled, frontier_url, postgresql_database, tmp_path) -> None:
    database = postgresql_database()
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    first = subprocess.Popen([NEWSARCHIVE, *worker_args(first_dir, server.base_url, frontier_url, database, *SLOW_SITE)],
                             cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    redis = Redis.from_url(frontier_url)
    deadline = time.monotonic() + 180  # a loaded machine takes long to start a crawler
    while not redis.get("newsarchive:morningstar:run") and time.monotonic() < deadline:
        time.sleep(0.1)
    second = subprocess.Popen([NEWSARCHIVE, *worker_args(second_dir, server.base_url, frontier_url, database, *SLOW_SITE), "--join"],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # kill the first worker once it holds requests it has not finished
    taken: dict[Any, Any] = {}
    while time.monotonic() < deadline and not (redis.scard("newsarchive:morningstar:seen") > 25 and taken):
        keys = [key for key in redis.scan_iter(match="newsarchive:morningstar:inflight:*") if f"-{first.pid}-".encode() in key]
        taken = redis.hgetall(keys[0]) if keys else {}
        time.sleep(0.05)
    assert taken, "the first worker took requests"
    first.send_signal(signal.SIGKILL)
    first.wait()
    # what it held when it died (its lease has not lapsed yet, so nobody has requeued them)
    held = {local(pickle.loads(entry)["url"]) for key in redis.scan_iter(match="newsarchive:morningstar:inflight:*")
            if f"-{first.pid}-".encode() in key for entry in redis.hkeys(key)}
    assert held
    out, err = second.communicate(timeout=240)
    assert second.returncode == 0, err[-3000:]
    assert not redis.hlen(next(iter(redis.scan_iter(match="newsarchive:morningstar:inflight:*")), b"none"))
    # what the killed worker's next start does with its `.open` file: close it and index what it holds
    with db.Database(database) as index:
        recover_open_files(first_dir / "warcs", index)
    warcs = [first_dir / "warcs", second_dir / "warcs"]
    expected = site_articles(crawled)
    assert indexed_article_paths(database) == expected
    fetched = responses(warcs)
    del fetched["/robots.txt"]
    twice = [url for url, times in fetched.items() if times > 1]
    # only a page the killed worker had taken and not finished can be fetched again
    assert set(twice) <= held, (twice, held)
    articles = article_records(warcs)
    assert set(articles) == expected and sum(articles.values()) - len(expected) <= len(twice)
    assert_valid_and_equal_to_reindex(warcs, database, postgresql_database, tmp_path)


@pytest.mark.parametrize("frontier_url", ["refused"], indirect=True)
def test_a_second_cluster_run_is_refused_while_one_runs(server, frontier_url, postgresql_database, tmp_path) -> None:
    database = postgresql_database()
    running = subprocess.Popen([NEWSARCHIVE, *worker_args(tmp_path / "a", server.base_url, frontier_url, database, *SLOW_SITE)],
                               cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        redis = Redis.from_url(frontier_url)
        deadline = time.monotonic() + 60
        while not any(redis.scan_iter(match="newsarchive:morningstar:alive:*")) and time.monotonic() < deadline:
            time.sleep(0.1)  # the worker is crawling
        refused = run_newsarchive(*worker_args(tmp_path / "b", server.base_url, frontier_url, database))
        assert refused.returncode == 3, refused.stderr[-2000:]
        assert "another crawl of this site is running" in refused.stderr
        assert not (tmp_path / "b" / "warcs").exists() or not list((tmp_path / "b" / "warcs").iterdir())
    finally:
        running.send_signal(signal.SIGTERM)
        running.wait(timeout=60)
    assert not redis.get("newsarchive:morningstar:run"), "the run lock is released when its worker stops"


@pytest.mark.parametrize("frontier_url", ["seed"], indirect=True)
def test_seed_queues_the_start_pages_once(server, frontier_url) -> None:
    first = run_newsarchive("seed", "morningstar", "--frontier", frontier_url, "--base-url", server.base_url)
    again = run_newsarchive("seed", "morningstar", "--frontier", frontier_url, "--base-url", server.base_url)
    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    queued = int(first.stdout.split()[0])
    assert queued > 0 and again.stdout.startswith("0 start pages")
    state = run_newsarchive("frontier", "--frontier", frontier_url).stdout.splitlines()
    assert state[1].split("\t")[:4] == ["morningstar", str(queued), "0", str(queued)]


@pytest.mark.parametrize("frontier_url", ["lock"], indirect=True)
def test_the_run_lock_is_released_by_its_last_member_and_never_revived(frontier_url) -> None:
    from crawler.frontier.keys import FrontierKeys
    from crawler.frontier.lock import ClusterRunLock, RunEnded

    server = Redis.from_url(frontier_url)
    lock = ClusterRunLock(server, FrontierKeys("morningstar"), ttl=3.0)
    token = lock.start()
    lock.join(token, "a")
    lock.join(token, "b")
    with pytest.raises(LockHeld):
        lock.start()  # one run of a site at a time
    assert not lock.leave(token, "a") and lock.running() == token  # b is still at work
    assert lock.leave(token, "b") and lock.running() is None  # the last member ends the run at once
    with pytest.raises(RunEnded):
        lock.join(token, "late")  # a late worker does not revive the ended run
    assert lock.running() is None
    # a member that was killed (its lease lapses after ttl / 3) does not hold the lock for longer than its lease
    token = lock.start()
    lock.join(token, "killed")
    lock.join(token, "live")
    lock.leave(token, "live")
    assert lock.running() == token and server.pttl(FrontierKeys("morningstar").run) <= 1000
    time.sleep(1.2)
    assert lock.running() is None


@pytest.mark.parametrize("frontier_url", ["orphaned"], indirect=True)
def test_a_waiting_worker_finds_the_requests_of_a_run_whose_workers_all_died(server, frontier_url) -> None:
    """Every worker of a run was killed holding requests, nothing is queued: the requests are not
    stranded in flight, a worker looking for work queues them again once the dead leases lapse."""
    from crawler.frontier.run import sites_with_work

    seeded = run_newsarchive("seed", "morningstar", "--frontier", frontier_url, "--base-url", server.base_url)
    assert seeded.returncode == 0, seeded.stderr
    redis = Redis.from_url(frontier_url)
    queued = redis.zrange("newsarchive:morningstar:requests", 0, -1, withscores=True)
    # a worker took them all (as the queue's pop does) and was killed: its lease expires, nothing renews it
    redis.delete("newsarchive:morningstar:requests")
    redis.hset("newsarchive:morningstar:inflight:dead-1", mapping=dict(queued))
    redis.sadd("newsarchive:morningstar:workers", "dead-1")
    redis.set("newsarchive:morningstar:alive:dead-1", "busy", px=500)
    assert sites_with_work(frontier_url) == []  # its lease still runs: it may yet finish them
    time.sleep(0.7)
    assert sites_with_work(frontier_url) == ["morningstar"]
    assert redis.zrange("newsarchive:morningstar:requests", 0, -1, withscores=True) == queued
    assert not redis.exists("newsarchive:morningstar:inflight:dead-1")


def start_worker(data_dir: Path, url: str, database: str, *settings: str) -> tuple[subprocess.Popen, Path, Path]:
    """`newsarchive worker` in the background; its stdout and stderr go to files the test reads."""
    data_dir.mkdir(parents=True, exist_ok=True)
    out, err = data_dir.parent / f"{data_dir.name}.out", data_dir.parent / f"{data_dir.name}.err"
    pairs = (*LOCAL_SETTINGS, "ARCHIVE_FRONTIER_LEASE=3", *settings)
    process = subprocess.Popen([NEWSARCHIVE, "worker", "--frontier", url, "--database", database, "--data-dir", str(data_dir),
                                "--poll", "0.5", *setting_args(pairs)],
                               cwd=REPO, stdout=out.open("w"), stderr=err.open("w"))
    return process, out, err


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def crawl_runs(url: str) -> list[tuple[str, str]]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            runs = Base.metadata.tables["crawl_runs"]
            return [tuple(row) for row in connection.execute(select(runs.c.site, runs.c.status))]
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("frontier_url", ["worker"], indirect=True)
def test_a_waiting_worker_crawls_a_site_seeded_after_it_started(server, crawled, frontier_url, postgresql_database, tmp_path) -> None:
    database = postgresql_database()
    process, out, err = start_worker(tmp_path / "data", frontier_url, database)
    try:
        wait_for(lambda: "Waiting for work" in err.read_text(), 180, "the worker to start")
        time.sleep(1.0)  # idle: nothing seeded yet
        assert process.poll() is None and not list((tmp_path / "data").glob("warcs/*"))
        seeded = run_newsarchive("seed", "morningstar", "--frontier", frontier_url, "--base-url", server.base_url)
        assert seeded.returncode == 0, seeded.stderr
        wait_for(lambda: "articles new or changed" in out.read_text(), 300, "the crawl's summary line")
        redis = Redis.from_url(frontier_url)
        wait_for(lambda: not redis.get("newsarchive:morningstar:run"), 10, "the run lock to be released")
        time.sleep(1.0)
        assert process.poll() is None, "the worker waits for more work"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, err.read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
    warcs = [tmp_path / "data" / "warcs"]
    expected = site_articles(crawled)
    assert indexed_article_paths(database) == expected
    assert article_records(warcs) == Counter(dict.fromkeys(expected, 1))
    fetched = responses(warcs)
    assert fetched and max(fetched.values()) == 1, [url for url, n in fetched.items() if n > 1]
    assert crawl_runs(database) == [("morningstar", "finished")]
    assert_valid_and_equal_to_reindex(warcs, database, postgresql_database, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("frontier_url", ["worker_stopped"], indirect=True)
def test_sigterm_stops_a_worker_cleanly_and_loses_nothing(server, crawled, frontier_url, postgresql_database, tmp_path) -> None:
    database = postgresql_database()
    redis = Redis.from_url(frontier_url)
    seeded = run_newsarchive("seed", "morningstar", "--frontier", frontier_url, "--base-url", server.base_url)
    assert seeded.returncode == 0, seeded.stderr
    data_dir = tmp_path / "data"
    process, out, err = start_worker(data_dir, frontier_url, database, *SLOW_SITE)
    try:
        def mid_crawl() -> bool:
            taken = sum(redis.hlen(key) for key in redis.scan_iter(match="newsarchive:morningstar:inflight:*"))
            return redis.scard("newsarchive:morningstar:seen") > 20 and taken > 0
        wait_for(mid_crawl, 240, "the worker to be mid-crawl")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0, err.read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
    # a clean stop: nothing held in flight, the rest queued again, the WARC closed, the run interrupted
    assert not any(redis.hlen(key) for key in redis.scan_iter(match="newsarchive:morningstar:inflight:*"))
    assert redis.zcard("newsarchive:morningstar:requests") > 0
    assert not redis.get("newsarchive:morningstar:run"), "the stopped run's lock is released"
    assert not list((data_dir / "warcs").glob("*.open"))
    assert crawl_runs(database) == [("morningstar", "interrupted")]
    assert indexed_article_paths(database) < site_articles(crawled)
    # a worker started again continues the queue: every article is archived, none lost
    process, out, err = start_worker(data_dir, frontier_url, database)
    try:
        wait_for(lambda: "articles new or changed" in out.read_text(), 300, "the second crawl's summary line")
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, err.read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
    warcs = [data_dir / "warcs"]
    expected = site_articles(crawled)
    assert indexed_article_paths(database) == expected
    assert set(article_records(warcs)) == expected
    assert sorted(status for _, status in crawl_runs(database)) == ["finished", "interrupted"]
    assert_valid_and_equal_to_reindex(warcs, database, postgresql_database, tmp_path)
