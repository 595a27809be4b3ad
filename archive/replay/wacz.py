"""Pack the archive into one WACZ file (WACZ 1.1.1) that ReplayWeb.page and pywb can load.

The `wacz` package does the packing: the WARC files under `archive/`, a sorted CDXJ index under
`indexes/`, `datapackage.json` with a sha256 hash of every file, and `datapackage-digest.json`. We
hand it `pages/pages.jsonl` ourselves: one page per archived article (its latest capture's URL and
time, and its headline), so a reader opens the WACZ on a list of articles rather than every
listing page and robots.txt.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import wacz.main
from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.index.database import Database
from archive.errors import ArchiveError
from archive.index.models import Article, Capture
from archive.replay.server import REPLAY_RECORDS
from archive.replay.index import RevisitResolver

logger = logging.getLogger(__name__)

PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "Archived articles"}


class ExportError(ArchiveError):
    """The WACZ file could not be written."""


@dataclass(frozen=True, slots=True)
class Page:
    """One entry of pages.jsonl."""

    url: str
    ts: str  # ISO-8601, UTC, as the WARC-Date of the capture
    title: str

    def to_json(self) -> str:
        return json.dumps({"url": self.url, "ts": self.ts, "title": self.title}, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class WaczSummary:
    """What `export_wacz` wrote; its str() is the command's output line."""

    path: Path
    warc_files: int
    pages: int

    def __str__(self) -> str:
        return f"Wrote {self.path}: {self.warc_files} WARC files, {self.pages} pages"


def article_pages(database: Database) -> list[Page]:
    """The latest capture of every archived article, newest publication first."""
    with Session(database.engine) as session:
        rows = session.execute(
            select(Capture.url, Capture.captured_at, Article.title)
            .join(Capture, Capture.id == Article.latest_capture_id)
            .order_by(Article.published_at.desc(), Article.id)
        ).all()
    return [Page(url, _iso_z(captured_at), title) for url, captured_at, title in rows]


def export_wacz(database: Database, warc_dir: Path, output: Path) -> WaczSummary:
    """Write `output` as a WACZ of every closed WARC file in `warc_dir`."""
    warcs = sorted(str(path) for path in Path(warc_dir).glob("*.warc.gz"))
    if not warcs:
        raise ExportError(f"no WARC files in {warc_dir}: crawl something first, or check --data-dir")
    output = Path(output)
    if not output.parent.is_dir():
        raise ExportError(f"directory {output.parent} does not exist: create it or choose another -o")
    pages = article_pages(database)

    with tempfile.TemporaryDirectory(prefix="newsarchive-wacz-") as scratch:
        pages_file = Path(scratch) / "pages.jsonl"
        lines = [json.dumps(PAGES_HEADER), *(page.to_json() for page in pages)]
        pages_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
        partial = output.with_name(output.name + ".part")
        chatter = io.StringIO()  # the wacz package prints its progress; keep stdout for our summary
        args = ["create", "-o", str(partial), "--pages", str(pages_file), "--copy-pages", *warcs]
        try:
            with contextlib.redirect_stdout(chatter), _replayable_records_only():
                status = wacz.main.main(args)
        except Exception as exc:
            partial.unlink(missing_ok=True)
            raise ExportError(f"could not write {output}: {exc}") from exc
        finally:
            for line in chatter.getvalue().splitlines():
                logger.debug("wacz: %s", line)
        if status:
            partial.unlink(missing_ok=True)
            raise ExportError(f"could not write {output}: {chatter.getvalue().strip()}")
        partial.replace(output)
    logger.info("Wrote %s (%d WARC files, %d pages)", output, len(warcs), len(pages))
    return WaczSummary(output, len(warcs), len(pages))


@contextlib.contextmanager
def _replayable_records_only() -> Iterator[None]:
    """Index only what replay may serve (see `archive.replay.server.REPLAY_RECORDS`), revisits resolved.

    The wacz package builds its indexer with fixed options and indexes our article metadata
    records too, which share the page's URL and date; ReplayWeb.page or pywb could then show the
    JSON instead of the page. Revisit lines point at their originals (`archive.replay.index`), so a
    304 revisit replays the original payload. Its indexer class is swapped for one `create`.
    """
    original = wacz.main.WACZIndexer

    class ReplayableIndexer(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("records", REPLAY_RECORDS)
            super().__init__(*args, **kwargs)
            self.revisits = RevisitResolver()

        def _do_write(self, urlkey: str, ts: str, index: dict[str, Any], out: Any) -> None:
            super()._do_write(urlkey, ts, self.revisits.resolve(urlkey, ts, index), out)

    wacz.main.WACZIndexer = ReplayableIndexer
    try:
        yield
    finally:
        wacz.main.WACZIndexer = original


def _iso_z(moment: str) -> str:
    return moment[:-6] + "Z" if moment.endswith("+00:00") else moment
