"""The database index of the WARC files: typed SQLAlchemy models on one `Base`.

The WARC files are the truth; these tables only say where things are and what was extracted, so
`reindex` can always rebuild them. Column names are a public contract (users write SQL against
them); timestamps are UTC ISO-8601 text ("2026-02-20T09:30:00+00:00") so plain sqlite3 can read and
sort them, and JSON columns are JSON text. Every change here needs an Alembic migration.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RUN_STATUSES = ("running", "finished", "failed", "interrupted")


class Base(DeclarativeBase):
    """One metadata for every table, with names that migrations can refer to."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON}


class CrawlRun(Base):
    """One crawl process run, as announced by the `warcinfo` record of each of its files."""

    __tablename__ = "crawl_runs"
    __table_args__ = (
        CheckConstraint(
            "status IN ({})".format(", ".join(f"'{status}'" for status in RUN_STATUSES)),
            name="status",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    site: Mapped[str] = mapped_column(String, index=True)
    started_at: Mapped[str] = mapped_column(String)
    finished_at: Mapped[str | None] = mapped_column(String)
    status: Mapped[str] = mapped_column(String(16), default="running")
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    user_agent: Mapped[str | None] = mapped_column(String)
    warc_prefix: Mapped[str | None] = mapped_column(String)
    hostname: Mapped[str | None] = mapped_column(String)


class Article(Base):
    """One article by canonical URL; the other columns come from its latest capture."""

    __tablename__ = "articles"
    __table_args__ = (
        # covering: counts by section, month and paywall (docs/database.md) never read the text
        Index("ix_articles_section_published_at", "section", "published_at", "paywalled", "word_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String, unique=True)
    site: Mapped[str] = mapped_column(String, index=True)
    title: Mapped[str] = mapped_column(Text, default="")
    section: Mapped[str] = mapped_column(String, default="", index=True)
    published_at: Mapped[str | None] = mapped_column(String, index=True)
    updated_at: Mapped[str | None] = mapped_column(String)
    authors: Mapped[list[str]] = mapped_column(default=list)
    standfirst: Mapped[str] = mapped_column(Text, default="")
    free_text: Mapped[str] = mapped_column(Text, default="")
    paywalled: Mapped[bool | None] = mapped_column(index=True)  # NULL: no signal either way
    paywall_signals: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the whole marker
    paywall_kind: Mapped[str | None] = mapped_column(String(32))
    free_paragraphs: Mapped[int] = mapped_column(default=0)
    word_count: Mapped[int] = mapped_column(default=0)
    lead_image_url: Mapped[str] = mapped_column(String, default="")
    lead_image_caption: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(16), default="")
    first_seen_at: Mapped[str] = mapped_column(String)
    last_seen_at: Mapped[str] = mapped_column(String)
    # captures also points here, so this side of the cycle is added after both tables exist
    latest_capture_id: Mapped[int | None] = mapped_column(
        ForeignKey("captures.id", use_alter=True, ondelete="SET NULL")
    )


class Capture(Base):
    """One archived response record and where to read it back: file, offset and gzip length."""

    __tablename__ = "captures"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("crawl_runs.id", ondelete="SET NULL"), index=True
    )
    record_id: Mapped[str] = mapped_column(String, unique=True)  # WARC-Record-ID
    url: Mapped[str] = mapped_column(String, index=True)  # WARC-Target-URI, as fetched
    captured_at: Mapped[str] = mapped_column(String)  # WARC-Date
    status: Mapped[int | None] = mapped_column()
    content_type: Mapped[str | None] = mapped_column(String)
    payload_digest: Mapped[str | None] = mapped_column(String, index=True)  # finds revisit originals
    warc_file: Mapped[str] = mapped_column(String)  # file name inside the WARC directory
    offset: Mapped[int] = mapped_column(BigInteger)
    length: Mapped[int] = mapped_column(BigInteger)  # of the gzip member: one seek, one read
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"), index=True
    )
    # the article metadata record describing this response; it may sit in the next file after a
    # rollover, hence its own file name
    meta_record_id: Mapped[str | None] = mapped_column(String)
    meta_warc_file: Mapped[str | None] = mapped_column(String)
    meta_offset: Mapped[int | None] = mapped_column(BigInteger)
    meta_length: Mapped[int | None] = mapped_column(BigInteger)
    # "response" (the body is in this record) or "revisit" (unchanged: see refers_to)
    record_type: Mapped[str] = mapped_column(String(16), server_default="response")
    refers_to: Mapped[str | None] = mapped_column(String, index=True)  # a revisit's original record
    etag: Mapped[str | None] = mapped_column(String)  # sent back as If-None-Match on re-crawls
    last_modified: Mapped[str | None] = mapped_column(String)  # sent back as If-Modified-Since


class ArticleLink(Base):
    """An outlink shown on the article page (the "Similar stories" block), in page order."""

    __tablename__ = "article_links"
    __table_args__ = (UniqueConstraint("article_id", "kind", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32), default="similar")
    position: Mapped[int] = mapped_column()
    url: Mapped[str] = mapped_column(String, index=True)  # canonical target
    title: Mapped[str] = mapped_column(Text, default="")
    section: Mapped[str] = mapped_column(String, default="")
    date_text: Mapped[str] = mapped_column(String, default="")  # as shown on the page


class ArticleVersion(Base):
    """One distinct version of an article: its first capture, and every capture that changed it."""

    __tablename__ = "article_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), index=True
    )
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("captures.id", ondelete="SET NULL"))
    captured_at: Mapped[str] = mapped_column(String)
    title: Mapped[str] = mapped_column(Text)
    standfirst: Mapped[str] = mapped_column(Text)
    free_text: Mapped[str] = mapped_column(Text)
    paywalled: Mapped[bool | None] = mapped_column()
    published_at: Mapped[str | None] = mapped_column(String)
    updated_at: Mapped[str | None] = mapped_column(String)
    word_count: Mapped[int] = mapped_column()
    changed: Mapped[list[str]] = mapped_column()  # fields that differ from the previous version
