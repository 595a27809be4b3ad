"""What earlier crawls archived, as the next crawl needs it: the digest table behind revisits.

For a URL, its latest full `response` capture (record id, date, payload digest, validators) and, for
article pages, the article's dates and archived Similar-stories links. Looked up in the index a batch
of URLs at a time, as a crawl reaches them: nothing is loaded up front, nothing held per URL.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists, func, select

from archive.index.database import Database
from archive.index.models import Article, ArticleLink, Capture
from archive.warc.records import warc_date

# SQLite allows 32766 bound parameters; a crawl's batches are far smaller, but stay well below
MAX_BATCH = 500


@dataclass(frozen=True, slots=True)
class PreviousCapture:
    """A URL's latest full capture: what a revisit refers to and a conditional request sends."""

    record_id: str
    captured_at: str  # UTC ISO-8601, as stored
    payload_digest: str | None
    etag: str | None
    last_modified: str | None
    article_published_at: str | None  # set when the capture is an article page
    article_first_seen_at: str | None
    similar_links: tuple[str, ...] = ()  # the article's archived Similar stories: what a 304 still leads to

    @property
    def is_article(self) -> bool:
        return self.article_first_seen_at is not None

    @property
    def warc_date(self) -> str:
        """The capture time as WARC writes it (WARC-Refers-To-Date needs that form)."""
        return warc_date(datetime.fromisoformat(self.captured_at))

    def article_age_days(self, now: datetime) -> float | None:
        """Days since publication (or first sighting); None when the capture is not an article."""
        stamp = self.article_published_at or self.article_first_seen_at
        if stamp is None:
            return None
        return (now - datetime.fromisoformat(stamp)).total_seconds() / 86400


_URLS = bindparam("urls", expanding=True)
_LATEST = (
    select(func.max(Capture.id))
    .where(Capture.url.in_(_URLS), Capture.record_type == "response", Capture.status == 200)
    .group_by(Capture.url)
)
_CAPTURES = (
    select(
        Capture.url,
        Capture.record_id,
        Capture.captured_at,
        Capture.payload_digest,
        Capture.etag,
        Capture.last_modified,
        Article.published_at,
        Article.first_seen_at,
        Article.id,
    )
    .outerjoin(Article, Article.id == Capture.article_id)
    .where(Capture.id.in_(_LATEST))
)
_LINKS = (
    select(ArticleLink.article_id, ArticleLink.url)
    .where(ArticleLink.article_id.in_(bindparam("article_ids", expanding=True)))
    .order_by(ArticleLink.article_id, ArticleLink.position)
)
_ANY_CAPTURE = select(exists().where(Capture.record_type == "response"))


class PreviousCaptures:
    """Looks up earlier crawls' captures of a batch of URLs in one round of queries."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def any(self) -> bool:
        """Whether any earlier crawl archived anything: a first crawl need not look anything up."""
        with self.database.engine.connect() as connection:
            return bool(connection.scalar(_ANY_CAPTURE))

    def lookup(self, urls: Collection[str]) -> dict[str, PreviousCapture]:
        """The latest successful full capture of each of `urls` that was archived before."""
        found: dict[str, PreviousCapture] = {}
        wanted = list(dict.fromkeys(urls))
        with self.database.engine.connect() as connection:
            for start in range(0, len(wanted), MAX_BATCH):
                rows = connection.execute(_CAPTURES, {"urls": wanted[start : start + MAX_BATCH]}).all()
                links: dict[int, list[str]] = {}
                article_ids = [row.id for row in rows if row.id is not None]
                if article_ids:
                    for article_id, link in connection.execute(_LINKS, {"article_ids": article_ids}):
                        links.setdefault(article_id, []).append(link)
                for row in rows:
                    found[row.url] = PreviousCapture(*row[1:8], similar_links=tuple(links.get(row.id, ())))
        return found
