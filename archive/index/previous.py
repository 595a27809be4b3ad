"""What earlier crawls archived, as the next crawl needs it: the digest table behind revisits.

For each URL, its latest full `response` capture (record id, date, payload digest, validators) and,
for article pages, the article's dates. Loaded once per crawl with one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from archive.index.database import make_engine
from archive.index.models import Article, ArticleLink, Capture
from archive.warc.records import warc_date


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


@dataclass(frozen=True, slots=True)
class PreviousCrawls:
    """Everything earlier crawls archived that the next crawl decides by, loaded once."""

    by_url: dict[str, PreviousCapture]
    article_urls: frozenset[str]
    # an article's archived Similar-stories links: what a 304 (no body) still leads to
    similar_links: dict[str, tuple[str, ...]]


def load_previous_crawls(database_url: str) -> PreviousCrawls:
    """The latest successful full capture of every URL in the index, and every article URL."""
    latest = (
        select(func.max(Capture.id))
        .where(Capture.record_type == "response", Capture.status == 200)
        .group_by(Capture.url)
    )
    query = (
        select(
            Capture.url,
            Capture.record_id,
            Capture.captured_at,
            Capture.payload_digest,
            Capture.etag,
            Capture.last_modified,
            Article.published_at,
            Article.first_seen_at,
        )
        .outerjoin(Article, Article.id == Capture.article_id)
        .where(Capture.id.in_(latest))
    )
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            by_url = {row.url: PreviousCapture(*row[1:]) for row in connection.execute(query)}
            article_urls = frozenset(connection.scalars(select(Article.url)))
            links: dict[str, list[str]] = {}
            for article_url, link_url in connection.execute(
                select(Article.url, ArticleLink.url)
                .join(ArticleLink, ArticleLink.article_id == Article.id)
                .order_by(ArticleLink.article_id, ArticleLink.position)
            ):
                links.setdefault(article_url, []).append(link_url)
    finally:
        engine.dispose()
    return PreviousCrawls(by_url, article_urls, {url: tuple(urls) for url, urls in links.items()})
