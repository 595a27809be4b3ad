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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from archive.index.database import Database
from archive.index.ingest import IngestItem, Ingestor, RunStarted
from archive.index.models import CrawlRun
from archive.index.reindex import ReindexStats, read_warc, warcinfo_run_id
from archive.warc.reader import complete_length
from archive.warc.writer import OPEN_SUFFIX, file_safe_host

logger = logging.getLogger(__name__)

# {prefix}-{timestamp}-{serial}-{host}-{pid}.warc.gz.open
_OPEN_NAME = re.compile(r"^.+-\d{20}-\d{5}-(?P<host>.+)-(?P<pid>\d+)\.warc\.gz\.open$")


@dataclass(frozen=True, slots=True)
class RecoveredFile:
    name: str  # final name, without `.open`
    kept_bytes: int
    cut_bytes: int  # the torn tail that was removed
    records_indexed: int


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


def recover_open_files(warc_dir: Path, database: Database | None) -> list[RecoveredFile]:
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
        indexed = _index(final, database) if database is not None and keep else 0
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


def _index(path: Path, database: Database) -> int:
    """Index the file's records; its crawl never wrote its end record, so mark the run interrupted."""
    stats = ReindexStats()
    runs: set[str] = set()

    def noting_runs(items: Iterable[IngestItem]) -> Iterator[IngestItem]:
        for item in items:
            if isinstance(item, RunStarted):
                runs.add(item.run_uuid)
            yield item

    with Session(database.engine) as session, session.begin():
        Ingestor(session).apply(noting_runs(read_warc(path, stats)))
        session.execute(
            update(CrawlRun)
            .where(CrawlRun.run_uuid.in_(runs), CrawlRun.status == "running")
            .values(status="interrupted")
        )
    return stats.records


def recover_unfinished_runs(warc_dir: Path, database: Database, site: str) -> list[str]:
    """Index the closed WARC files of this site's runs that never finished, and of runs the index
    never recorded at all, and mark those runs interrupted. Called under the site's crawl lock, so
    no run of the site is alive. Costs one small read (the warcinfo record) per WARC file.

    A crawl that died after closing its file (a full disk failed the index, or a kill after the
    rename) left records the index may not hold, and a run stuck at `running`; `.open` recovery
    alone would never look at those files again.
    """
    with database.engine.connect() as connection:
        dead = set(connection.scalars(
            select(CrawlRun.run_uuid).where(CrawlRun.site == site, CrawlRun.status == "running")
        ))
        known = set(connection.scalars(select(CrawlRun.run_uuid)))
    indexed = []
    for path in sorted(warc_dir.glob("*.warc.gz")):
        run_id = warcinfo_run_id(path)
        # a run the index never heard of: the disk filled before even its start was indexed
        if run_id in dead or (run_id is not None and run_id not in known):
            records = _index(path, database)
            logger.warning("Indexed %s of a crawl that did not finish: %d records", path.name, records)
            indexed.append(path.name)
    # a dead run whose files are gone, or hold no warcinfo, is still not running
    with Session(database.engine) as session, session.begin():
        session.execute(
            update(CrawlRun).where(CrawlRun.run_uuid.in_(dead), CrawlRun.status == "running")
            .values(status="interrupted")
        )
    return indexed
