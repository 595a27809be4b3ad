"""Initial schema: crawl runs, captures, articles and their links.

Revision ID: 9c1e4b7a2d30
Revises:
Create Date: 2026-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9c1e4b7a2d30"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_uuid", sa.String(length=36), nullable=False),
        sa.Column("site", sa.String(), nullable=False),
        sa.Column("started_at", sa.String(), nullable=False),
        sa.Column("finished_at", sa.String(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("user_agent", sa.String(), nullable=True),
        sa.Column("warc_prefix", sa.String(), nullable=True),
        sa.Column("hostname", sa.String(), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'finished', 'failed', 'interrupted')",
            name=op.f("ck_crawl_runs_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crawl_runs")),
        sa.UniqueConstraint("run_uuid", name=op.f("uq_crawl_runs_run_uuid")),
    )
    with op.batch_alter_table("crawl_runs") as batch_op:
        batch_op.create_index(op.f("ix_crawl_runs_site"), ["site"], unique=False)

    # articles.latest_capture_id -> captures is added once captures exists (see below)
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("site", sa.String(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("section", sa.String(), nullable=False),
        sa.Column("published_at", sa.String(), nullable=True),
        sa.Column("updated_at", sa.String(), nullable=True),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("standfirst", sa.Text(), nullable=False),
        sa.Column("free_text", sa.Text(), nullable=False),
        sa.Column("paywalled", sa.Boolean(), nullable=True),
        sa.Column("paywall_signals", sa.JSON(), nullable=False),
        sa.Column("paywall_kind", sa.String(length=32), nullable=True),
        sa.Column("free_paragraphs", sa.Integer(), nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("lead_image_url", sa.String(), nullable=False),
        sa.Column("lead_image_caption", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("first_seen_at", sa.String(), nullable=False),
        sa.Column("last_seen_at", sa.String(), nullable=False),
        sa.Column("latest_capture_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_articles")),
        sa.UniqueConstraint("url", name=op.f("uq_articles_url")),
    )
    with op.batch_alter_table("articles") as batch_op:
        batch_op.create_index(op.f("ix_articles_site"), ["site"], unique=False)
        batch_op.create_index(op.f("ix_articles_section"), ["section"], unique=False)
        batch_op.create_index(op.f("ix_articles_published_at"), ["published_at"], unique=False)
        batch_op.create_index(op.f("ix_articles_paywalled"), ["paywalled"], unique=False)

    op.create_table(
        "captures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("record_id", sa.String(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("captured_at", sa.String(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(), nullable=True),
        sa.Column("payload_digest", sa.String(), nullable=True),
        sa.Column("warc_file", sa.String(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=True),
        sa.Column("meta_record_id", sa.String(), nullable=True),
        sa.Column("meta_warc_file", sa.String(), nullable=True),
        sa.Column("meta_offset", sa.BigInteger(), nullable=True),
        sa.Column("meta_length", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_captures_article_id_articles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["crawl_runs.id"],
            name=op.f("fk_captures_run_id_crawl_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_captures")),
        sa.UniqueConstraint("record_id", name=op.f("uq_captures_record_id")),
    )
    with op.batch_alter_table("captures") as batch_op:
        batch_op.create_index(op.f("ix_captures_article_id"), ["article_id"], unique=False)
        batch_op.create_index(op.f("ix_captures_payload_digest"), ["payload_digest"], unique=False)
        batch_op.create_index(op.f("ix_captures_run_id"), ["run_id"], unique=False)
        batch_op.create_index(op.f("ix_captures_url"), ["url"], unique=False)

    with op.batch_alter_table("articles") as batch_op:
        batch_op.create_foreign_key(
            op.f("fk_articles_latest_capture_id_captures"),
            "captures",
            ["latest_capture_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "article_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("section", sa.String(), nullable=False),
        sa.Column("date_text", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_links_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_links")),
        sa.UniqueConstraint(
            "article_id", "kind", "position", name=op.f("uq_article_links_article_id_kind_position")
        ),
    )
    with op.batch_alter_table("article_links") as batch_op:
        batch_op.create_index(op.f("ix_article_links_url"), ["url"], unique=False)


def downgrade() -> None:
    op.drop_table("article_links")
    with op.batch_alter_table("articles") as batch_op:
        batch_op.drop_constraint(op.f("fk_articles_latest_capture_id_captures"), type_="foreignkey")
    op.drop_table("captures")
    op.drop_table("articles")
    op.drop_table("crawl_runs")
