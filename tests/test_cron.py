"""Crawls as cron runs them: overlapping runs, killed runs, exit codes. Real processes, real signals."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from newsarchive_site import serve
from tests.helpers import LOCAL_SETTINGS, NEWSARCHIVE, REPO, crawl, database_settings, rows, setting_args

# Slow enough that a crawl is still running when the test acts on it.
SLOW = ("DOWNLOAD_DELAY=0.3", "CONCURRENT_REQUESTS_PER_DOMAIN=1")


def start_crawl(data_dir: Path, base_url: str, *settings: str, flags: tuple[str, ...] = ()) -> subprocess.Popen:
    args = setting_args((*LOCAL_SETTINGS, *database_settings(data_dir), *settings))
    return subprocess.Popen(
        [NEWSARCHIVE, "crawl", "morningstar", "--data-dir", str(data_dir), "--base-url", base_url, *flags, *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def open_warcs(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "warcs").glob("*.open"))


def query(database: Path, sql: str) -> list[tuple]:
    return [tuple(row) for row in rows(database, sql)]


def test_an_overlapping_crawl_exits_at_once_with_code_3(server, tmp_path: Path) -> None:
    first = start_crawl(tmp_path, server.base_url, *SLOW)
    try:
        wait_for(lambda: open_warcs(tmp_path))
        started = time.monotonic()
        second = crawl(tmp_path, server.base_url)
        assert second.returncode == 3, second.stderr[-2000:]
        assert "another crawl of this site is running" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        # refused without waiting for the first crawl: it is still running (start-up alone can take
        # many seconds on a loaded machine, so the bound on time is loose)
        assert first.poll() is None, "the second crawl waited for the first to finish"
        assert time.monotonic() - started < 120
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)
    third = crawl(tmp_path, server.base_url, "CLOSESPIDER_PAGECOUNT=5")
    assert third.returncode == 0, third.stderr[-2000:]


def test_a_lock_left_by_a_dead_crawl_is_taken_over(server, tmp_path: Path) -> None:
    lock = tmp_path / "locks" / "morningstar.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("pid 999999 on elsewhere since 2026-01-01T00:00:00+00:00\n")
    result = crawl(tmp_path, server.base_url, "CLOSESPIDER_PAGECOUNT=5")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Taking over the lock" in result.stderr


def test_sigterm_closes_the_warc_cleanly_and_marks_the_run_interrupted(server, tmp_path: Path) -> None:
    running = start_crawl(tmp_path, server.base_url, *SLOW)
    wait_for(lambda: open_warcs(tmp_path) and open_warcs(tmp_path)[0].stat().st_size > 20_000)
    running.send_signal(signal.SIGTERM)
    _, stderr = running.communicate(timeout=120)
    assert running.returncode == 1, stderr[-2000:]
    assert not open_warcs(tmp_path)
    files = sorted((tmp_path / "warcs").glob("*.warc.gz"))
    checked = subprocess.run([sys.executable, "-m", "warcio.cli", "check", *map(str, files)], capture_output=True)
    assert checked.returncode == 0
    assert query(tmp_path / "archive.sqlite3", "SELECT status FROM crawl_runs") == [("interrupted",)]


def test_after_sigkill_the_next_run_recovers_the_open_warc_and_indexes_it(server, tmp_path: Path) -> None:
    killed = start_crawl(tmp_path, server.base_url, *SLOW)
    wait_for(lambda: open_warcs(tmp_path) and open_warcs(tmp_path)[0].stat().st_size > 60_000)
    os.kill(killed.pid, signal.SIGKILL)
    killed.communicate(timeout=30)
    (torn,) = open_warcs(tmp_path)
    complete_size = torn.stat().st_size
    with torn.open("ab") as handle:  # a record cut off half-way through its gzip member
        handle.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + os.urandom(500))

    result = crawl(tmp_path, server.base_url, "CLOSESPIDER_PAGECOUNT=3")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Recovered" in result.stderr
    assert not open_warcs(tmp_path)
    recovered = tmp_path / "warcs" / torn.name.removesuffix(".open")
    assert recovered.stat().st_size >= complete_size - 1  # the torn tail is gone, nothing before it
    checked = subprocess.run([sys.executable, "-m", "warcio.cli", "check", str(recovered)], capture_output=True)
    assert checked.returncode == 0, checked.stdout
    with recovered.open("rb") as stream:
        response_ids = {
            record.rec_headers.get_header("WARC-Record-ID")
            for record in ArchiveIterator(stream)
            if record.rec_type == "response"
        }
    indexed = {row[0] for row in query(tmp_path / "archive.sqlite3", "SELECT record_id FROM captures")}
    assert response_ids and response_ids <= indexed
    statuses = [row[0] for row in query(tmp_path / "archive.sqlite3", "SELECT status FROM crawl_runs ORDER BY id")]
    assert statuses == ["interrupted", "finished"]


def test_too_many_failed_pages_exit_with_code_4(server, tmp_path: Path) -> None:
    result = crawl(tmp_path, server.base_url, "ARCHIVE_MAX_FAILED_RATIO=0")
    assert result.returncode == 4, result.stderr[-2000:]
    assert "http_404" in result.stderr and "http_500" in result.stderr
    runs = subprocess.run(
        [NEWSARCHIVE, "runs", "--data-dir", str(tmp_path), *setting_args(database_settings(tmp_path))],
        capture_output=True, text=True, cwd=REPO,
    )
    assert runs.returncode == 0
    header, row = runs.stdout.splitlines()[:2]
    assert header.split()[:5] == ["id", "site", "started_at", "finished_at", "status"]
    assert "finished" in row.split()


def test_resume_continues_an_interrupted_crawl_without_fetching_pages_again(site, tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "crawl.log"
    with serve(site, host="127.0.0.1", port=0) as running:
        first = start_crawl(tmp_path, running.base_url, *SLOW, flags=("--resume",))
        wait_for(lambda: open_warcs(tmp_path) and open_warcs(tmp_path)[0].stat().st_size > 100_000)
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=120)
        fetched_before = [path for _, path, _ in running.requests]
        second = start_crawl(tmp_path, running.base_url, flags=("--resume", "--log-file", str(log_file)))
        _, stderr = second.communicate(timeout=300)
        assert second.returncode == 0, stderr[-3000:]
        fetched_after = [path for _, path, _ in running.requests][len(fetched_before):]
    archived = {path for path, truth in site.truth.items() if truth.reachable}
    urls = {row[0] for row in query(tmp_path / "archive.sqlite3", "SELECT url FROM articles")}
    assert urls == {running.base_url + path for path in archived}
    assert set(fetched_before) & archived, "the first run archived some articles before it stopped"
    assert not set(fetched_before) & set(fetched_after) & archived, "an article was fetched twice"
    assert "Spider closed (finished)" in log_file.read_text() and "Spider closed (finished)" in stderr


def run_in_terminal(args: list[str]) -> tuple[int, str]:
    """Run a command with a pseudo-terminal as its stdout and stderr, as a person at a shell would."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(args, stdin=terminal, stdout=terminal, stderr=terminal, cwd=REPO)
    os.close(terminal)
    output = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    os.close(controller)
    return process.wait(), output.decode("utf-8", "replace")


def test_progress_shows_in_a_terminal_and_not_under_cron(server, tmp_path: Path) -> None:
    settings = setting_args((*LOCAL_SETTINGS, *database_settings(tmp_path / "tty"), "DOWNLOAD_DELAY=0.05"))
    command = [NEWSARCHIVE, "crawl", "morningstar", "--data-dir", str(tmp_path / "tty"), "--base-url", server.base_url]
    code, shown = run_in_terminal([*command, *settings])
    assert code == 0, shown[-2000:]
    assert " pages, " in shown and " articles (" in shown and " revisits, " in shown
    piped = crawl(tmp_path / "cron", server.base_url, "DOWNLOAD_DELAY=0.05")
    assert piped.returncode == 0
    assert " revisits, " not in piped.stderr + piped.stdout
