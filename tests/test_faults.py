"""Fault injection: a read-only data directory, a damaged index, a full disk. Each ends in one
clear `Error:` line and the documented exit code, never a traceback, and nothing archived is lost.

Marked `slow` (run by `make test`). The full disk is a small tmpfs when this process may mount one
(root), otherwise RLIMIT_FSIZE on the crawl process; a read-only directory is tested as another
user when running as root (root ignores file modes).
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from newsarchive_site import build_site, serve
from tests.helpers import (
    LOCAL_SETTINGS, REPO, connect_index, copy_archive, crawl, has_table, newsarchive_argv, run_newsarchive,
)

pytestmark = pytest.mark.slow

NOBODY = 65534


def _as_nobody() -> list[str]:
    """A command prefix that runs as an unprivileged user (root ignores file modes)."""
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] if os.geteuid() == 0 else []


def _run(*args: str, preexec=None, prefix: list[str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*(prefix or []), *newsarchive_argv(*args)], capture_output=True, text=True, timeout=timeout,
                          cwd=REPO, preexec_fn=preexec)


def _one_clear_line(done: subprocess.CompletedProcess, *needles: str) -> str:
    lines = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert len(lines) == 1, done.stderr[-3000:]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def small_site():
    with serve(build_site(30), host="127.0.0.1", port=0) as running:
        yield running


@pytest.fixture(scope="module")
def archived(small_site, tmp_path_factory) -> Path:
    """A data directory with one good crawl in it."""
    data_dir = tmp_path_factory.mktemp("archived")
    result = crawl(data_dir, small_site.base_url, "ARCHIVE_MAX_FAILED_RATIO=0.1")
    assert result.returncode == 0, result.stderr[-3000:]
    return data_dir


def _copy(data_dir: Path, target: Path) -> Path:
    return copy_archive(data_dir, target, ignore=shutil.ignore_patterns("locks"))


# the small sample site has a broken link and a failing page: 2 of 38, over the default 5%
SETTINGS = (*LOCAL_SETTINGS, "ARCHIVE_MAX_FAILED_RATIO=0.1")


def _settings() -> list[str]:
    return [arg for value in SETTINGS for arg in ("-s", value)]


@pytest.mark.sqlite_only("the index file in a read-only data directory cannot be written (a PostgreSQL index can)")
def test_a_read_only_data_directory_is_one_clear_line(archived, small_site) -> None:
    parent = Path(tempfile.mkdtemp(prefix="newsarchive-ro-"))  # outside pytest's private tmp: another user reads it
    try:
        parent.chmod(0o755)
        data_dir = _copy(archived, parent / "ro")
        for path in [data_dir, *data_dir.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        crawled = _run("crawl", "morningstar", "--data-dir", str(data_dir), "--base-url", small_site.base_url,
                       *_settings(), prefix=_as_nobody())
        assert crawled.returncode == 1
        _one_clear_line(crawled, "cannot write", "writable")
        rebuilt = _run("reindex", "--data-dir", str(data_dir), prefix=_as_nobody())
        assert rebuilt.returncode == 1
        _one_clear_line(rebuilt, "writable")
    finally:
        for path in [parent, *parent.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(parent)


@pytest.mark.sqlite_only("a damaged SQLite file is detected, set aside and rebuilt")
@pytest.mark.parametrize("damage", ["not a database", "torn pages"])
def test_a_damaged_index_says_reindex_and_reindex_rebuilds_it(archived, small_site, tmp_path, damage) -> None:
    data_dir = _copy(archived, tmp_path / "damaged")
    database = data_dir / "archive.sqlite3"
    expected = sqlite3.connect(database).execute("SELECT count(*) FROM articles").fetchone()[0]
    if damage == "not a database":
        database.write_bytes(b"this is not a database\n" * 100)
    else:  # a valid header, garbage after it
        head = database.read_bytes()[:100]
        database.write_bytes(head + os.urandom(64 * 1024))
    for suffix in ("-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    for args in (("search", "Britain"), ("query", "SELECT count(*) FROM articles"), ("runs",),
                 ("crawl", "morningstar", "--base-url", small_site.base_url, *_settings())):
        done = _run(args[0], "--data-dir", str(data_dir), *args[1:])
        assert done.returncode == 1, (args, done.stdout, done.stderr[-2000:])
        _one_clear_line(done, "damaged", "newsarchive reindex")
    rebuilt = _run("reindex", "--data-dir", str(data_dir))
    assert rebuilt.returncode == 0, rebuilt.stderr[-3000:]
    assert list(data_dir.glob("archive.sqlite3.damaged-*"))  # set aside, not deleted
    assert sqlite3.connect(database).execute("SELECT count(*) FROM articles").fetchone()[0] == expected
    searched = _run("search", "--data-dir", str(data_dir), "Britain")
    assert searched.returncode == 0


@contextmanager
def _small_disk(path: Path, size_kib: int) -> Iterator[tuple[Path, object]]:
    """A directory on a filesystem of `size_kib` KiB, and a preexec_fn for processes writing to it."""
    path.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(path)], capture_output=True
    ).returncode == 0
    if mounted:
        try:
            yield path, None
        finally:
            subprocess.run(["umount", "-l", str(path)], check=False)
        return

    def limit() -> None:  # no mount: any file past the size fails with EFBIG instead of ENOSPC
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size_kib * 1024, size_kib * 1024))

    yield path, limit


def test_a_full_disk_names_the_warc_write_and_keeps_what_was_written(small_site, tmp_path) -> None:
    with _small_disk(tmp_path / "disk", 400) as (disk, limit):
        data_dir = disk / "data"
        upgraded = _run("db", "upgrade", "--data-dir", str(data_dir), preexec=limit)
        assert upgraded.returncode == 0, upgraded.stderr[-2000:]
        first = _run("crawl", "morningstar", "--data-dir", str(data_dir), "--base-url", small_site.base_url,
                     *_settings(), preexec=limit)
        second = _run("crawl", "morningstar", "--data-dir", str(data_dir), "--base-url", small_site.base_url,
                      "-s", "ARCHIVE_INCREMENTAL=False", *_settings(), preexec=limit)
        failed = [done for done in (first, second) if done.returncode != 0]
        assert failed, "the disk never filled: make the disk smaller"
        for done in failed:
            assert done.returncode == 1, done.stderr[-3000:]
            line = _one_clear_line(done)
            assert "WARC" in line or "disk" in line, line
        warcs = sorted(path.name for path in (data_dir / "warcs").iterdir())
        copy_archive(data_dir, tmp_path / "copy", ignore=shutil.ignore_patterns("locks"))
    # with room again, the next crawl indexes what the failed runs wrote and ends their runs
    copy = tmp_path / "copy"
    # the small site always has a 404 and a 500: what counts here is the index, not the failure ratio
    again = crawl(copy, small_site.base_url, "ARCHIVE_MAX_FAILED_RATIO=0.5")
    assert again.returncode == 0, again.stderr[-3000:]
    indexed = index_view(copy / "archive.sqlite3")
    assert not [run for run in indexed["runs"] if run[2] == "running"]
    assert not rows_past_the_end(copy)
    rebuilt = _copy(copy, tmp_path / "rebuilt")
    done = run_newsarchive("reindex", "--data-dir", str(rebuilt))
    assert done.returncode == 0, done.stderr[-3000:]
    assert index_view(rebuilt / "archive.sqlite3") == indexed


@pytest.mark.sqlite_only("a SQLite file on a full disk, and one killed mid-migration, are left for `db upgrade` to finish")
def test_a_db_upgrade_that_runs_out_of_space_or_is_killed_leaves_a_database_upgrade_can_finish(tmp_path) -> None:
    with _small_disk(tmp_path / "disk", 64) as (disk, limit):
        data_dir = disk / "data"
        failed = _run("db", "upgrade", "--data-dir", str(data_dir), preexec=limit)
        assert failed.returncode == 1
        _one_clear_line(failed, "could not be written")
        connection = sqlite3.connect(data_dir / "archive.sqlite3")
        tables = connection.execute("SELECT name FROM sqlite_master").fetchall()
        connection.close()
        assert tables == []  # all or nothing: no objects of a revision without its version stamp
    for delay in (0.4, 0.8, 1.2, 1.6, 2.0):  # kills at random points of start-up and migration
        process = subprocess.Popen(newsarchive_argv("db", "upgrade", "--data-dir", str(tmp_path / "killed")),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
        time.sleep(delay * random.random() + 0.2)
        process.kill()
        process.wait()
        done = _run("db", "upgrade", "--data-dir", str(tmp_path / "killed"))
        assert done.returncode == 0, done.stderr[-2000:]
        (tmp_path / "killed" / "archive.sqlite3").unlink()


# --- SIGKILL at random moments ---------------------------------------------------------------

INDEX_VIEW = {
    "captures": "SELECT c.record_id, c.url, c.record_type, c.status, c.payload_digest, c.warc_file, c.\"offset\","
                " c.length, c.meta_record_id, c.meta_warc_file, c.meta_offset, c.meta_length, c.refers_to,"
                " a.url, r.run_uuid FROM captures c LEFT JOIN articles a ON a.id = c.article_id"
                " LEFT JOIN crawl_runs r ON r.id = c.run_id",
    "articles": "SELECT a.url, a.title, a.free_text, a.paywalled, a.first_seen_at, a.last_seen_at, c.record_id"
                " FROM articles a LEFT JOIN captures c ON c.id = a.latest_capture_id",
    "links": "SELECT a.url, l.kind, l.position, l.url, l.title FROM article_links l JOIN articles a ON a.id = l.article_id",
    "runs": "SELECT run_uuid, site, status FROM crawl_runs",
}


def index_view(database: Path) -> dict[str, set[tuple]]:
    """The index without its row ids (a reindex numbers rows in file order, a crawl as they came)."""
    with connect_index(database) as connection:
        return {name: {tuple(row) for row in connection.execute(sql).fetchall()} for name, sql in INDEX_VIEW.items()}


def rows_past_the_end(data_dir: Path) -> list[tuple]:
    """Index rows whose record does not lie wholly inside its WARC file (`.open` until recovered)."""
    if not has_table(data_dir / "archive.sqlite3", "captures"):
        return []  # killed before its schema was made: no rows at all
    with connect_index(data_dir / "archive.sqlite3") as connection:
        located = connection.execute(
            "SELECT warc_file, \"offset\", length FROM captures"
            " UNION ALL SELECT meta_warc_file, meta_offset, meta_length FROM captures WHERE meta_warc_file IS NOT NULL"
        ).fetchall()
    sizes: dict[str, int] = {}
    bad = []
    for name, offset, length in located:
        path = data_dir / "warcs" / name
        if not path.exists():
            path = path.with_name(name + ".open")  # the killed crawl's file, recovered by the next
        if name not in sizes:
            sizes[name] = path.stat().st_size if path.exists() else -1
        if offset + length > sizes[name]:
            bad.append((name, offset, length, sizes[name]))
    return bad


def _crawl_killed_after(data_dir: Path, base_url: str, seconds: float, *extra: str) -> None:
    process = subprocess.Popen(
        newsarchive_argv("crawl", "morningstar", "--data-dir", str(data_dir), "--base-url", base_url, *_settings(), *extra),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
    )
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_random_kills_during_crawls_lose_nothing_and_the_index_never_runs_ahead(tmp_path) -> None:
    seed = int(os.environ.get("NEWSARCHIVE_FAULT_SEED", random.randrange(1 << 30)))
    chance = random.Random(seed)
    site = build_site(60)
    data_dir = tmp_path / "data"
    with serve(site, host="127.0.0.1", port=0) as running:
        for _ in range(8):  # start-up takes about 1.5 s, a whole crawl about 4 s
            _crawl_killed_after(data_dir, running.base_url, chance.uniform(1.0, 4.0))
            assert not rows_past_the_end(data_dir), f"seed {seed}"
        final = crawl(data_dir, running.base_url, "ARCHIVE_MAX_FAILED_RATIO=0.1")
    assert final.returncode == 0, f"seed {seed}: " + final.stderr[-3000:]
    assert not rows_past_the_end(data_dir), f"seed {seed}"
    indexed = index_view(final.database)
    reachable = {running.base_url + path for path, truth in site.truth.items() if truth.reachable}
    missing = reachable - {row[0] for row in indexed["articles"]}
    assert not missing, f"seed {seed}: {len(missing)} reachable articles not indexed, e.g. {sorted(missing)[:3]}"
    assert not [run for run in indexed["runs"] if run[2] == "running"], f"seed {seed}"
    # the index is exactly what a reindex of the WARC files builds
    copy = _copy(data_dir, tmp_path / "rebuilt")
    rebuilt = run_newsarchive("reindex", "--data-dir", str(copy))
    assert rebuilt.returncode == 0, rebuilt.stderr[-3000:]
    again = index_view(copy / "archive.sqlite3")
    for table in INDEX_VIEW:
        assert again[table] == indexed[table], f"seed {seed}: {table} differs from a reindex"


def test_a_crawl_killed_while_idle_on_a_slow_page_leaves_no_row_past_a_file_end(tmp_path) -> None:
    from tests.hostile.server import PROFILE, serve_hostile

    with serve_hostile(slow_page=True) as site:
        process = subprocess.Popen(
            newsarchive_argv("crawl", str(PROFILE), "--data-dir", str(tmp_path), "--base-url", site.base_url,
             *_settings(), "-s", "ARCHIVE_DB_BATCH_SIZE=1"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
        )
        deadline = time.monotonic() + 60
        while "/article/slow" not in site.paths() and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(3)  # everything else done: the crawl idles on the slow page, its index rows written
        process.kill()
        process.wait()
    with connect_index(tmp_path / "archive.sqlite3") as connection:
        indexed = connection.execute("SELECT count(*) FROM captures").fetchone()[0]
    assert indexed > 10
    assert not rows_past_the_end(tmp_path)


def test_a_reindex_killed_half_way_leaves_the_old_index_and_a_second_reindex_finishes(archived, tmp_path) -> None:
    data_dir = _copy(archived, tmp_path / "data")
    before = index_view(data_dir / "archive.sqlite3")
    for delay in (0.5, 1.0, 1.5, 2.0):
        process = subprocess.Popen(newsarchive_argv("reindex", "--data-dir", str(data_dir)),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
        time.sleep(delay)
        process.kill()
        process.wait()
        assert index_view(data_dir / "archive.sqlite3") == before  # one transaction: all or nothing
    done = run_newsarchive("reindex", "--data-dir", str(data_dir))
    assert done.returncode == 0
    assert index_view(data_dir / "archive.sqlite3") == before


def test_an_article_whose_record_a_kill_prevented_is_extracted_by_the_next_crawl(tmp_path) -> None:
    """Killed after the response was archived but before its article record: the next
    (incremental) crawl finds an identical page, and must still extract and index the article."""
    from warcio.archiveiterator import ArchiveIterator

    from tests.hostile.server import LIMITS, PROFILE, serve_hostile

    settings = [*_settings(), *(arg for value in LIMITS for arg in ("-s", value))]
    with serve_hostile(huge_page=True) as site:
        huge = site.base_url + "/article/huge"
        process = subprocess.Popen(
            newsarchive_argv("crawl", str(PROFILE), "--data-dir", str(tmp_path), "--base-url", site.base_url, *settings),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO,
        )
        def archived_kinds() -> set[str]:
            kinds = set()
            for path in (tmp_path / "warcs").glob("*.warc.gz*"):
                with path.open("rb") as stream:
                    try:
                        for record in ArchiveIterator(stream):
                            if record.rec_headers.get_header("WARC-Target-URI") == huge:
                                kinds.add(record.rec_type)
                    except Exception:  # the torn tail of a file being written, or of the killed crawl's
                        pass
            return kinds

        # kill as soon as the response is on disk: its extraction (100,000 paragraphs) is still to come
        deadline = time.monotonic() + 60
        while "response" not in archived_kinds() and time.monotonic() < deadline:
            time.sleep(0.02)
        process.kill()
        process.wait()
        kinds = archived_kinds()
        assert kinds == {"request", "response"}, f"the kill came too early or too late: {kinds}"
        again = crawl(tmp_path, site.base_url, *LIMITS, site=str(PROFILE))
    assert again.returncode == 0, again.stderr[-3000:]
    with connect_index(tmp_path / "archive.sqlite3") as connection:
        titles = connection.execute("SELECT title FROM articles WHERE url = ?", (huge,)).fetchall()
    assert titles == [("Huge story",)]
