"""Turn archived WARC records into index rows: the one code path for the live crawl and reindex.

The crawl (through `DatabaseWriter`) and `reindex` both describe what was written to the WARC files
with the items below and hand them to `Ingestor.apply`, so a database rebuilt from the WARC files
equals the one written during the crawl. Applying the same items again changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from archive.errors import InvalidRecord
from archive.index.models import RUN_STATUSES, Article, ArticleLink, ArticleVersion, Capture, CrawlRun

logger = logging.getLogger(__name__)

ARTICLE_SCHEMA_PREFIX = "newsarchive/article/"
RUN_SCHEMA = "newsarchive/crawl-run/1"


def utc_iso(value: str | datetime) -> str:
    """Normalise a timestamp to UTC ISO-8601 with an explicit offset, e.g. "…T10:52:17+00:00".

    WARC-Date ("2026-11-26T10:52:17.123456Z"), warcinfo fields and extracted dates all pass through
    here, so stored timestamps compare and sort as text. A timestamp without a zone is taken as UTC.
    """
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def _optional_iso(value: str | None) -> str | None:
    return utc_iso(value) if value else None


@dataclass(frozen=True)
class RunStarted:
    """A crawl run, as its `warcinfo` records announce it."""

    run_uuid: str
    site: str
    started_at: str
    user_agent: str | None = None
    warc_prefix: str | None = None
    hostname: str | None = None

    @classmethod
    def from_warcinfo(cls, fields: Mapping[str, str]) -> RunStarted:
        """Read the run from `warcinfo` fields, the same ones the crawler writes."""
        try:
            return cls(
                run_uuid=fields["crawl-run-id"],
                site=fields["site"],
                started_at=fields["started-at"],
                user_agent=fields.get("http-header-user-agent"),
                warc_prefix=fields.get("warc-prefix"),
                hostname=fields.get("hostname"),
            )
        except KeyError as missing:
            raise InvalidRecord(
                f"warcinfo record lacks the {missing} field: it was not written by newsarchive"
            ) from None


@dataclass(frozen=True)
class CaptureRecord:
    """A `response` or `revisit` record and where it sits: file name, gzip member offset and length."""

    record_id: str
    url: str
    captured_at: str
    status: int | None
    content_type: str | None
    payload_digest: str | None
    warc_file: str
    offset: int
    length: int
    run_uuid: str | None = None
    record_type: str = "response"
    refers_to: str | None = None  # a revisit's original response record
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class ArticleRecord:
    """An article `metadata` record; `concurrent_to` is the response record it was extracted from."""

    record_id: str
    concurrent_to: str | None
    captured_at: str
    payload: dict[str, Any]
    warc_file: str
    offset: int
    length: int


@dataclass(frozen=True)
class RunFinished:
    """The crawl-run `metadata` record written when a run ends."""

    run_uuid: str
    finished_at: str
    status: str
    stats: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_record(cls, payload: Mapping[str, Any]) -> RunFinished:
        """Read a "newsarchive/crawl-run/1" payload."""
        try:
            return cls(
                run_uuid=payload["run_uuid"],
                finished_at=payload["finished_at"],
                status=payload["status"],
                stats=dict(payload.get("stats") or {}),
            )
        except KeyError as missing:
            raise InvalidRecord(f"crawl-run record lacks the {missing} key") from None


IngestItem = RunStarted | CaptureRecord | ArticleRecord | RunFinished


@dataclass
class IngestCounts:
    """What `Ingestor.apply` did, for progress reports and stats."""

    runs: int = 0
    captures: int = 0
    articles: int = 0
    runs_finished: int = 0
    unchanged: int = 0  # items already in the index


class Ingestor:
    """Applies items to the index inside the caller's transaction (the caller commits)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # Core statements go straight to the transaction's connection: Session.execute adds the ORM's
        # layer (and sends insert(Model) down the ORM bulk path), a third of reindex's time for nothing.
        # Taken again for every item, as the caller may commit between items.
        self.connection = session.connection()
        self.dialect = self.connection.dialect.name
        self.counts = IngestCounts()
        self._run_ids: dict[str, int | None] = {}
        self._fresh_captures: dict[str, _CaptureRow] = {}  # inserted by this ingestor, no article yet

    def apply(self, items: Iterable[IngestItem], invalid: Callable[[InvalidRecord], None] | None = None) -> None:
        """Apply items in order, as `apply_one` would one by one, with the same rows and ids.

        New responses and the article records that follow them are written in batches (one statement
        per table for many items); runs and revisits, which read what came before, one by one.
        An item that is not valid raises `InvalidRecord` before any of its rows are written, or is
        handed to `invalid` and left out when that is given.
        """
        batch = _Batch()
        for item in items:
            try:
                if batch.admits(item):
                    continue
            except InvalidRecord as error:
                if invalid is None:
                    self._apply_batch(batch)
                    raise
                invalid(error)
                continue
            self._apply_batch(batch)
            batch = _Batch()
            if batch.admits(item):
                continue
            try:
                self.apply_one(item)
            except InvalidRecord as error:
                if invalid is None:
                    raise
                invalid(error)
        self._apply_batch(batch)

    def _apply_batch(self, batch: _Batch) -> None:
        """Write a batch of new responses and article records (see `_Batch` for what it may hold)."""
        if not batch.captures and not batch.articles:
            return
        self.connection = self.session.connection()
        if batch.captures:
            self._insert_captures(batch.captures)
        if batch.articles:
            self._insert_articles(batch.articles)

    def apply_one(self, item: IngestItem) -> None:
        self.connection = self.session.connection()
        if isinstance(item, CaptureRecord):
            self._capture(item)
        elif isinstance(item, ArticleRecord):
            self._article(item)
        elif isinstance(item, RunStarted):
            self._run_started(item)
        elif isinstance(item, RunFinished):
            self._run_finished(item)
        else:
            raise TypeError(f"cannot ingest {type(item).__name__}")
        if self.session.dirty or self.session.new:  # only the run rows are ORM objects
            self.session.flush()

    def _insert_ignore(self, model: type[Any], key: str, values: dict[str, Any]) -> int | None:
        """INSERT unless a row with the same unique `key` exists; the new row's id, or None.

        ON CONFLICT DO NOTHING keeps this safe when several crawler processes share one database.
        """
        dialect = self.dialect
        if dialect not in ("sqlite", "postgresql"):  # pragma: no cover - not supported yet
            exists = self.connection.scalar(select(model.id).where(getattr(model, key) == values[key]))
            if exists is not None:
                return None
            return self.connection.execute(model.__table__.insert(), values).inserted_primary_key[0]
        statement = _insert_ignoring(dialect, model.__table__, key)
        return self.connection.execute(statement, values).scalar_one_or_none()

    def _run(self, run_uuid: str, *, lock: bool = False) -> CrawlRun | None:
        query = select(CrawlRun).where(CrawlRun.run_uuid == run_uuid)
        return self.session.scalars(query.with_for_update() if lock else query).one_or_none()

    def _run_started(self, item: RunStarted) -> None:
        started_at = utc_iso(item.started_at)
        run_id = self._insert_ignore(
            CrawlRun,
            "run_uuid",
            {
                "run_uuid": item.run_uuid,
                "site": item.site,
                "started_at": started_at,
                "status": "running",
                "stats": {},
                "user_agent": item.user_agent,
                "warc_prefix": item.warc_prefix,
                "hostname": item.hostname,
            },
        )
        if run_id is not None:
            self._run_ids[item.run_uuid] = run_id
            self.counts.runs += 1
            return
        # every WARC file of a run repeats its warcinfo: only fill what an earlier one lacked
        run = self._run(item.run_uuid, lock=True)
        assert run is not None
        run.started_at = min(run.started_at, started_at)
        run.user_agent = run.user_agent or item.user_agent
        run.warc_prefix = run.warc_prefix or item.warc_prefix
        run.hostname = run.hostname or item.hostname
        self.counts.unchanged += 1

    def _run_finished(self, item: RunFinished) -> None:
        if item.status not in RUN_STATUSES:
            raise InvalidRecord(
                f"crawl run {item.run_uuid} ended with unknown status {item.status!r}; "
                f"expected one of {', '.join(RUN_STATUSES)}"
            )
        run = self._run(item.run_uuid, lock=True)
        if run is None:
            logger.warning("Run %s finished but never started in the archive; ignored", item.run_uuid)
            return
        run.finished_at = utc_iso(item.finished_at)
        run.status = item.status
        run.stats = dict(item.stats)
        self.counts.runs_finished += 1

    def _run_id(self, run_uuid: str) -> int | None:
        # every capture names its run: look each run up once per batch, not once per capture
        if run_uuid not in self._run_ids:
            self._run_ids[run_uuid] = self.connection.scalar(
                select(CrawlRun.id).where(CrawlRun.run_uuid == run_uuid)
            )
        return self._run_ids[run_uuid]

    def _capture(self, item: CaptureRecord) -> None:
        values = self._capture_values(item)
        capture_id = self._insert_ignore(Capture, "record_id", values)
        if capture_id is None:
            self.counts.unchanged += 1
            return
        self.counts.captures += 1
        if item.refers_to:
            self._revisited(item)
        else:  # its article record usually follows within the batch: spare that lookup
            self._remember_fresh(item.record_id, _CaptureRow(capture_id, values["captured_at"], None, None))

    def _capture_values(self, item: CaptureRecord) -> dict[str, Any]:
        run_id = None
        if item.run_uuid is not None:
            run_id = self._run_id(item.run_uuid)
            if run_id is None:
                logger.warning(
                    "Capture %s names unknown run %s; stored without a run",
                    item.record_id,
                    item.run_uuid,
                )
        return {
            "record_id": item.record_id,
            "run_id": run_id,
            "url": item.url,
            "captured_at": utc_iso(item.captured_at),
            "status": item.status,
            # "" and None both mean "absent": store NULL so every writer agrees
            "content_type": item.content_type or None,
            "payload_digest": item.payload_digest or None,
            "warc_file": item.warc_file,
            "offset": item.offset,
            "length": item.length,
            "record_type": item.record_type,
            "refers_to": item.refers_to,
            "etag": item.etag,
            "last_modified": item.last_modified,
        }

    def _insert_captures(self, captures: list[CaptureRecord]) -> None:
        """New responses in one INSERT … ON CONFLICT DO NOTHING RETURNING: ids come back by record id."""
        rows = [self._capture_values(item) for item in captures]
        statement = _insert_ignoring(self.dialect, Capture.__table__, "record_id", returning_key=True)
        inserted = dict((key, row_id) for row_id, key in self.connection.execute(statement, rows))
        for row in rows:
            capture_id = inserted.get(row["record_id"])
            if capture_id is None:
                self.counts.unchanged += 1
                continue
            self.counts.captures += 1
            self._remember_fresh(row["record_id"], _CaptureRow(capture_id, row["captured_at"], None, None))

    def _remember_fresh(self, record_id: str, row: _CaptureRow) -> None:
        """Keep a new capture for the article record that usually follows it. Pages without one
        (sections, errors) would pile up over a long reindex: the oldest are forgotten (a
        forgotten one is looked up in the database if its article record comes after all)."""
        self._fresh_captures[record_id] = row
        if len(self._fresh_captures) > FRESH_CAPTURES_KEPT:
            del self._fresh_captures[next(iter(self._fresh_captures))]

    def _insert_articles(self, batch: list[tuple[ArticleRecord, dict[str, Any]]]) -> None:
        """Article records whose URLs differ from each other: existing articles are read in one
        query, new ones inserted in one statement, and the rows that hang off them (capture links,
        similar-story links, versions) written in one statement per table, in item order."""
        connection = self.connection
        missing = [item.concurrent_to for item, _ in batch
                   if item.concurrent_to and item.concurrent_to not in self._fresh_captures]
        known: dict[str, Any] = {}
        for chunk in _chunks(missing):
            known.update((row.record_id, row) for row in connection.execute(_CAPTURES_BY_RECORD_IDS, {"ids": chunk}))
        work = []
        for item, values in batch:
            capture = None
            if item.concurrent_to:
                capture = self._fresh_captures.pop(item.concurrent_to, None) or known.get(item.concurrent_to)
            if capture is None:
                logger.warning(
                    "Article record %s in %s describes response %s, which is not in the index",
                    item.record_id,
                    item.warc_file,
                    item.concurrent_to,
                )
            elif capture.meta_record_id == item.record_id:
                self.counts.unchanged += 1
                continue
            seen_at = capture.captured_at if capture is not None else utc_iso(item.captured_at)
            work.append((item, values, capture, seen_at))
        if not work:
            return
        existing = self._articles_by_url([values["url"] for _, values, _, _ in work])
        new_rows = [
            {**values, "first_seen_at": seen_at, "last_seen_at": seen_at,
             "latest_capture_id": capture.id if capture is not None else None}
            for _, values, capture, seen_at in work
            if values["url"] not in existing
        ]
        added: dict[str, int] = {}
        if new_rows:
            statement = _insert_ignoring(self.dialect, Article.__table__, "url", returning_key=True)
            added = dict((key, row_id) for row_id, key in connection.execute(statement, new_rows))
            if raced := [row["url"] for row in new_rows if row["url"] not in added]:
                existing.update(self._articles_by_url(raced))  # written meanwhile by another process
        capture_links: list[dict[str, Any]] = []
        similar_links: list[dict[str, Any]] = []
        versions: list[dict[str, Any]] = []
        for item, values, capture, seen_at in work:
            url = values["url"]
            if url in added:
                article_id, is_new, is_latest = added[url], True, True
            else:
                article = existing[url]
                article_id, is_new = article.id, False
                is_latest = self._update_article(article, values, capture, seen_at)
            if capture is not None:
                capture_links.append({
                    "capture_id": capture.id,
                    "article_id": article_id,
                    "meta_record_id": item.record_id,
                    "meta_warc_file": item.warc_file,
                    "meta_offset": item.offset,
                    "meta_length": item.length,
                })
            if is_latest:
                if not is_new:
                    self._delete_links(article_id)
                similar_links += _link_rows(article_id, item.payload.get("similar") or [])
            if version := self._version_row(
                article_id, capture.id if capture is not None else None, seen_at, values, first=is_new
            ):
                versions.append(version)
            self.counts.articles += 1
        if capture_links:
            connection.execute(_LINK_CAPTURE_TO_ARTICLE, capture_links)
        if similar_links:
            connection.execute(insert(ArticleLink.__table__), similar_links)
        if versions:
            connection.execute(insert(ArticleVersion.__table__), versions)

    def _articles_by_url(self, urls: list[str]) -> dict[str, _ArticleRow]:
        found: dict[str, _ArticleRow] = {}
        for chunk in _chunks(urls):
            for row in self.connection.execute(_ARTICLES_BY_URLS, {"urls": chunk}):
                found[row.url] = _ArticleRow(row.id, row.first_seen_at, row.last_seen_at)
        return found

    def _revisited(self, item: CaptureRecord) -> None:
        """An unchanged re-capture: the article was seen again, its content stays as it was."""
        original = self.connection.execute(
            _CAPTURE_BY_RECORD_ID, {"record_id": item.refers_to}
        ).one_or_none()
        if original is None or original.article_id is None:
            return
        seen_at = utc_iso(item.captured_at)
        self.connection.execute(
            update(Capture.__table__)
            .where(Capture.__table__.c.record_id == item.record_id)
            .values(article_id=original.article_id)
        )
        self.connection.execute(
            update(Article.__table__)
            .where(Article.__table__.c.id == original.article_id, Article.__table__.c.last_seen_at < seen_at)
            .values(last_seen_at=seen_at)
        )

    def _article(self, item: ArticleRecord) -> None:
        """One article record, as `_insert_articles` writes a batch of them."""
        self._insert_articles([(item, article_values(item))])

    def _update_article(
        self, article: _ArticleRow, values: dict[str, Any], capture: _CaptureRow | None, seen_at: str
    ) -> bool:
        """Fold a capture of an article already indexed into its row; whether it is now the latest.

        Timestamps from utc_iso() sort as text; on a tie the record applied first stays.
        """
        is_latest = seen_at > article.last_seen_at
        changes: dict[str, Any] = {
            "first_seen_at": min(article.first_seen_at, seen_at),
            "last_seen_at": max(article.last_seen_at, seen_at),
        }
        if is_latest:
            changes |= values
            changes["latest_capture_id"] = capture.id if capture is not None else None
        articles = Article.__table__
        self.connection.execute(update(articles).where(articles.c.id == article.id).values(**changes))
        return is_latest

    def _version_row(
        self, article_id: int, capture_id: int | None, seen_at: str, values: dict[str, Any], *, first: bool
    ) -> dict[str, Any] | None:
        """A history row when this capture differs from the version before it (or is the first)."""
        previous = None if first else self.connection.execute(
            _VERSION_BEFORE, {"article_id": article_id, "seen_at": seen_at}
        ).one_or_none()
        snapshot = {name: values[name] for name in VERSIONED}
        changed = [name for name in VERSIONED if previous is not None and getattr(previous, name) != snapshot[name]]
        if previous is not None and not changed:
            return None
        return {**snapshot, "article_id": article_id, "capture_id": capture_id, "captured_at": seen_at,
                "changed": changed}

    def _delete_links(self, article_id: int) -> None:
        links = ArticleLink.__table__
        self.connection.execute(delete(links).where(links.c.article_id == article_id, links.c.kind == "similar"))


class _CaptureRow(NamedTuple):
    id: int
    captured_at: str
    meta_record_id: str | None
    article_id: int | None


class _ArticleRow(NamedTuple):
    id: int
    first_seen_at: str
    last_seen_at: str


FRESH_CAPTURES_KEPT = 5000

# the fields whose change makes a new version of an article
VERSIONED = ("title", "standfirst", "free_text", "paywalled", "published_at", "updated_at", "word_count")

# Built once: a statement object reused with new parameters skips SQLAlchemy's construction and
# cache-key work, which is most of the cost of one small statement on the writer thread.
_CAPTURE_BY_RECORD_ID = select(
    Capture.id, Capture.captured_at, Capture.meta_record_id, Capture.article_id
).where(
    Capture.record_id == bindparam("record_id")
)
_VERSION_BEFORE = (
    select(*(getattr(ArticleVersion, name) for name in VERSIONED))
    .where(ArticleVersion.article_id == bindparam("article_id"), ArticleVersion.captured_at <= bindparam("seen_at"))
    .order_by(ArticleVersion.captured_at.desc(), ArticleVersion.id.desc())
    .limit(1)
)
_LINK_CAPTURE_TO_ARTICLE = (
    update(Capture.__table__)
    .where(Capture.__table__.c.id == bindparam("capture_id"))
    .values(
        article_id=bindparam("article_id"),
        meta_record_id=bindparam("meta_record_id"),
        meta_warc_file=bindparam("meta_warc_file"),
        meta_offset=bindparam("meta_offset"),
        meta_length=bindparam("meta_length"),
    )
)


_CAPTURES_BY_RECORD_IDS = select(
    Capture.id, Capture.captured_at, Capture.meta_record_id, Capture.article_id, Capture.record_id
).where(Capture.record_id.in_(bindparam("ids", expanding=True)))
_ARTICLES_BY_URLS = (
    select(Article.id, Article.first_seen_at, Article.last_seen_at, Article.url)
    .where(Article.url.in_(bindparam("urls", expanding=True)))
    .with_for_update()
)
_IN_CHUNK = 500  # values per IN (…) list: far below SQLite's and PostgreSQL's limits on parameters


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _link_rows(article_id: int, similar: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "article_id": article_id,
            "kind": "similar",
            "position": position,
            "url": story["url"],
            "title": story.get("title") or "",
            "section": story.get("section") or "",
            "date_text": story.get("date") or "",
        }
        for position, story in enumerate(similar)
    ]


class _Batch:
    """Consecutive items that `Ingestor.apply` writes together: new responses, and article records
    of distinct URLs (a second record of one URL reads what the first wrote, so it starts a new batch).
    Runs and revisits read the index as the items before them left it: they are never batched."""

    LIMIT = 500  # items: bounds the memory a batch holds and the size of its statements

    def __init__(self) -> None:
        self.captures: list[CaptureRecord] = []
        self.articles: list[tuple[ArticleRecord, dict[str, Any]]] = []
        self._record_ids: set[str] = set()
        self._urls: set[str] = set()

    def admits(self, item: IngestItem) -> bool:
        """Take `item` if it may join; `InvalidRecord` for an article record that cannot be indexed."""
        if len(self.captures) + len(self.articles) >= self.LIMIT:
            return False
        if isinstance(item, CaptureRecord):
            if item.refers_to or item.record_id in self._record_ids:
                return False
            self._record_ids.add(item.record_id)
            self.captures.append(item)
            return True
        if isinstance(item, ArticleRecord):
            values = article_values(item)
            if values["url"] in self._urls:
                return False
            self._urls.add(values["url"])
            self.articles.append((item, values))
            return True
        return False


@lru_cache(maxsize=16)
def _insert_ignoring(dialect: str, table: Table, key: str, returning_key: bool = False) -> Any:
    module = sqlite if dialect == "sqlite" else postgresql
    returning = (table.c.id, table.c[key]) if returning_key else (table.c.id,)
    return module.insert(table).on_conflict_do_nothing(index_elements=[key]).returning(*returning)


def article_values(item: ArticleRecord) -> dict[str, Any]:
    """The `articles` columns an article metadata payload sets (all but the seen-at times)."""
    payload = item.payload
    schema = str(payload.get("schema", ""))
    if not schema.startswith(ARTICLE_SCHEMA_PREFIX) or not payload.get("url"):
        raise InvalidRecord(
            f"metadata record {item.record_id} in {item.warc_file} is not an article record "
            f"(schema {schema!r}, url {payload.get('url')!r})"
        )
    paywall = dict(payload.get("paywall") or {})
    try:
        return {
            "url": payload["url"],
            "site": payload["site"],
            "title": payload.get("title") or "",
            "section": payload.get("section") or "",
            "published_at": _optional_iso(payload.get("published_at")),
            "updated_at": _optional_iso(payload.get("updated_at")),
            "authors": list(payload.get("authors") or []),
            "standfirst": payload.get("standfirst") or "",
            "free_text": payload.get("free_text") or "",
            "paywalled": paywall.get("paywalled"),
            "paywall_signals": paywall,
            "paywall_kind": paywall.get("kind"),
            "free_paragraphs": int(paywall.get("free_paragraphs") or 0),
            "word_count": int(payload.get("word_count") or 0),
            "lead_image_url": payload.get("lead_image_url") or "",
            "lead_image_caption": payload.get("lead_image_caption") or "",
            "language": payload.get("language") or "",
        }
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidRecord(
            f"article record {item.record_id} in {item.warc_file} is malformed: {error!r}"
        ) from error
