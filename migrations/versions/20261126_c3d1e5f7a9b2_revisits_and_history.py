"""Revisit captures and article history.

`captures` learns what kind of record it points at (a full `response` or a `revisit` that refers to
an earlier response), the ETag and Last-Modified a conditional re-fetch sends back, and for revisits
the record they refer to. `article_versions` keeps one row per distinct version of an article, so a
user can ask with SQL what changed and when.

Revision ID: c3d1e5f7a9b2
Revises: b2f0c1a9e7d4
Create Date: 2026-11-26 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3d1e5f7a9b2"
down_revision: str | Sequence[str] | None = "b2f0c1a9e7d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ADD/DROP COLUMN, not batch mode: a batch rebuild of `captures` would break the views
    # that read it (SQLite checks them when the rebuilt table is renamed)
    op.add_column(
        "captures", sa.Column("record_type", sa.String(length=16), nullable=False, server_default="response")
    )
    op.add_column("captures", sa.Column("refers_to", sa.String(), nullable=True))
    op.add_column("captures", sa.Column("etag", sa.String(), nullable=True))
    op.add_column("captures", sa.Column("last_modified", sa.String(), nullable=True))
    op.create_table(
        "article_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("captured_at", sa.String(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("standfirst", sa.Text(), nullable=False),
        sa.Column("free_text", sa.Text(), nullable=False),
        sa.Column("paywalled", sa.Boolean(), nullable=True),
        sa.Column("published_at", sa.String(), nullable=True),
        sa.Column("updated_at", sa.String(), nullable=True),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name=op.f("fk_article_versions_article_id_articles"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["captures.id"], name=op.f("fk_article_versions_capture_id_captures"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_article_versions")),
    )
    op.create_index(op.f("ix_article_versions_article_id"), "article_versions", ["article_id"])
    op.create_index(op.f("ix_captures_refers_to"), "captures", ["refers_to"])


def downgrade() -> None:
    op.drop_index(op.f("ix_captures_refers_to"), table_name="captures")
    op.drop_index(op.f("ix_article_versions_article_id"), table_name="article_versions")
    op.drop_table("article_versions")
    for column in ("last_modified", "etag", "refers_to", "record_type"):
        op.drop_column("captures", column)
