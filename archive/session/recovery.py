"""Recover WARC files left `.open` by a crawl that was killed (SIGKILL, power loss, OOM).

Each record is its own gzip member, so everything up to the last complete member is intact. The
torn tail is cut off, the file is closed under its final name, and its records are indexed (the
ingest ignores records it already has), so nothing the dead crawl archived is lost.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from archive.index.database import make_engine
from archive.index.ingest import IngestItem, Ingestor, RunStarted
from archive.index.models import CrawlRun
from archive.index.reindex import ReindexStats, read_warc, warcinfo_run_id
from archive.warc.writer import OPEN_SUFFIX, file_safe_host

logger = logging.getLogger(__name__)

# {prefix}-{timestamp}-{serial}-{host}-{pid}.warc.gz.open
_OPEN_NAME = re.compile(r"^.+-\d{20}-\d{5}-(?P<host>.+)-(?P<pid>\d+)\.warc\.gz\.open$")
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class RecoveredFile:
    name: str  # final name, without `.open`
    kept_bytes: int
    cut_bytes: int  # the torn tail that was removed
    records_indexed: int


def complete_length(path: Path) -> int:
    """Bytes from the start of `path` up to the end of its last complete gzip member."""
    complete = position = 0
    decompressor = zlib.decompressobj(wbits=31)
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            data = chunk
            while data:
                try:
                    decompressor.decompress(data, _CHUNK)  # output is not needed, only the framing
                    # a member can end inside an output-limited call: what follows it is then in
                    # unused_data, and a stale copy stays in unconsumed_tail; feeding that back loops forever
                    while decompressor.unconsumed_tail and not decompressor.eof:
                        decompressor.decompress(decompressor.unconsumed_tail, _CHUNK)
                except zlib.error:
                    return complete
                if decompressor.eof:
                    rest = decompressor.unused_data
                    position += len(data) - len(rest)
                    complete = position
                    data = rest
                    decompressor = zlib.decompressobj(wbits=31)
                else:
                    position += len(data)
                    data = b""
    return complete


def is_abandoned(path: Path) -> bool:
    """An `.open` file whose writer is gone: written on this host by a process that is not alive.

    Files from other hosts are left alone: from here there is no telling whether their writer lives.
    """
    match = _OPEN_NAME.match(path.name)
    if match is None or match["host"] != file_safe_host(socket.gethostname()):
        return False
    try:
        os.kill(int(match["pid"]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def recover_open_files(warc_dir: Path, database_url: str | None) -> list[RecoveredFile]:
    """Close every abandoned `.open` WARC file in `warc_dir` and index what it holds."""
    recovered = []
    for path in sorted(warc_dir.glob(f"*{OPEN_SUFFIX}")):
        if not is_abandoned(path):
            logger.info("Leaving %s alone: its writer may still be running", path.name)
            continue
        size = path.stat().st_size
        keep = complete_length(path)
        with path.open("r+b") as handle:
            handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())
        final = path.with_name(path.name.removesuffix(OPEN_SUFFIX))
        os.replace(path, final)
        indexed = _index(final, database_url) if database_url and keep else 0
        logger.warning(
            "Recovered %s from a crawl that did not finish: kept %d bytes, cut a torn tail of %d bytes, "
            "indexed %d records",
            final.name,
            keep,
            size - keep,
            indexed,
        )
        recovered.append(RecoveredFile(final.name, keep, size - keep, indexed))
    return recovered


def _index(path: Path, database_url: str) -> int:
    """Index the file's records; its crawl never wrote its end record, so mark the run interrupted."""
    stats = ReindexStats()
    runs: set[str] = set()

    def noting_runs(items: Iterable[IngestItem]) -> Iterator[IngestItem]:
        for item in items:
            if isinstance(item, RunStarted):
                runs.add(item.run_uuid)
            yield item

    engine = make_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            Ingestor(session).apply(noting_runs(read_warc(path, stats)))
            session.execute(
                update(CrawlRun)
                .where(CrawlRun.run_uuid.in_(runs), CrawlRun.status == "running")
                .values(status="interrupted")
            )
    finally:
        engine.dispose()
    return stats.records


def recover_unfinished_runs(warc_dir: Path, database_url: str, site: str) -> list[str]:
    """Index the closed WARC files of this site's runs that never finished, and mark those runs
    interrupted. Called under the site's crawl lock, so no run of the site is alive.

    A crawl that died after closing its file (a full disk failed the index, or a kill after the
    rename) left records the index may not hold, and a run stuck at `running`; `.open` recovery
    alone would never look at those files again.
    """
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            dead = set(connection.scalars(
                select(CrawlRun.run_uuid).where(CrawlRun.site == site, CrawlRun.status == "running")
            ))
    finally:
        engine.dispose()
    if not dead:
        return []
    indexed = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        if warcinfo_run_id(path) in dead:
            records = _index(path, database_url)
            logger.warning("Indexed %s of a crawl that did not finish: %d records", path.name, records)
            indexed.append(path.name)
    engine = make_engine(database_url)
    try:  # a dead run whose files are gone, or hold no warcinfo, is still not running
        with Session(engine) as session, session.begin():
            session.execute(
                update(CrawlRun).where(CrawlRun.run_uuid.in_(dead), CrawlRun.status == "running")
                .values(status="interrupted")
            )
    finally:
        engine.dispose()
    return indexed
