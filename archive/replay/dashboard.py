"""The archive at a glance: the replay front page's dashboard, drawn as SVG on the server.

Four panels, each read with one query over the index: articles archived per day (by when the crawl
first saw them), the paywalled share of each section by week of publication, the last crawl runs
with their status and failed pages, and article changes per day (new versions after the first).
Charts are inline SVG with text labels and `<title>` tooltips, so they read without JavaScript and
need no charting library (the front page allows no script at all). Dates are bucketed in Python
from ISO text, so the queries run the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape
from typing import Any

from markupsafe import Markup
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from archive.index.models import Article, ArticleVersion, CrawlRun

DAYS_SHOWN = 30  # the per-day charts cover the last 30 days that have data
WEEKS_SHOWN = 8
RUNS_SHOWN = 8
CHANGES_SHOWN = 8


@dataclass(frozen=True, slots=True)
class RunLine:
    """One crawl run as the dashboard lists it."""

    run_id: int
    site: str
    status: str
    started_at: str
    pages: int
    failed_pages: int
    articles: int  # new or changed in that run
    requisites: int


@dataclass(frozen=True, slots=True)
class ChangeLine:
    """One new version of an article."""

    article_id: int
    title: str
    captured_at: str
    changed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Dashboard:
    """What the four panels show, read once per page view."""

    archived_per_day: list[tuple[str, int]]
    paywalled_share: dict[str, list[tuple[str, int, int]]]  # section -> [(week, paywalled, articles)]
    weeks: list[str]
    runs: list[RunLine]
    changes_per_day: list[tuple[str, int]]
    latest_changes: list[ChangeLine]

    @classmethod
    def load(cls, engine: Engine) -> Dashboard:
        # grouped by label: PostgreSQL does not match `substr(x, $1, $2)` in GROUP BY with the select's
        # `substr(x, $3, $4)` (each bound number is a parameter of its own)
        first_seen_day = func.substr(Article.first_seen_at, 1, 10).label("day")
        published_day = func.substr(Article.published_at, 1, 10).label("day")
        with Session(engine) as session:
            per_day = session.execute(
                select(first_seen_day, func.count()).group_by(first_seen_day)
            ).all()
            by_section_day = session.execute(
                select(Article.section, published_day, Article.paywalled, func.count())
                .where(Article.published_at.is_not(None))
                .group_by(Article.section, published_day, Article.paywalled)
            ).all()
            runs = session.execute(
                select(CrawlRun.id, CrawlRun.site, CrawlRun.status, CrawlRun.started_at, CrawlRun.stats)
                .order_by(CrawlRun.id.desc()).limit(RUNS_SHOWN)
            ).all()
            versions = session.execute(
                select(ArticleVersion.article_id, ArticleVersion.title, ArticleVersion.captured_at,
                       ArticleVersion.changed)
                .order_by(ArticleVersion.id.desc())
            ).all()
        archived = sorted((day, count) for day, count in per_day if day)[-DAYS_SHOWN:]
        weeks, shares = _weekly_shares(by_section_day)
        changes = [ChangeLine(article_id, title, captured_at, tuple(changed))
                   for article_id, title, captured_at, changed in versions if changed]
        per_change_day = Counter(change.captured_at[:10] for change in changes)
        return cls(
            archived_per_day=archived,
            paywalled_share=shares,
            weeks=weeks,
            runs=[_run_line(*row) for row in runs],
            changes_per_day=sorted(per_change_day.items())[-DAYS_SHOWN:],
            latest_changes=changes[:CHANGES_SHOWN],
        )

    def archived_chart(self) -> Markup:
        return bar_chart(self.archived_per_day, "Articles archived per day", "articles")

    def changes_chart(self) -> Markup:
        return bar_chart(self.changes_per_day, "Article changes per day", "changes")

    def share_chart(self) -> Markup:
        return share_heatmap(self.paywalled_share, self.weeks)

    def runs_chart(self) -> Markup:
        return runs_chart(self.runs)


def _weekly_shares(rows: list[Any]) -> tuple[list[str], dict[str, list[tuple[str, int, int]]]]:
    """(section, day, paywalled, count) rows as each section's paywalled/all counts per ISO week."""
    paywalled: dict[tuple[str, str], int] = defaultdict(int)
    total: dict[tuple[str, str], int] = defaultdict(int)
    for section, day, is_paywalled, count in rows:
        try:
            year, week, _ = date.fromisoformat(day).isocalendar()
        except (TypeError, ValueError):
            continue
        key = (section or "no section", f"{year}-W{week:02d}")
        total[key] += count
        if is_paywalled:
            paywalled[key] += count
    weeks = sorted({week for _, week in total})[-WEEKS_SHOWN:]
    shares = {
        section: [(week, paywalled[(section, week)], total[(section, week)]) for week in weeks]
        for section in sorted({section for section, _ in total})
    }
    return weeks, shares


def _run_line(run_id: int, site: str, status: str, started_at: str, stats: dict[str, Any] | None) -> RunLine:
    stats = stats or {}
    articles = int(stats.get("archive/articles/new", 0)) + int(stats.get("archive/articles/changed", 0))
    return RunLine(run_id, site, status, started_at, int(stats.get("archive/pages", 0)),
                   int(stats.get("archive/failed_pages", 0)), articles, int(stats.get("archive/requisites", 0)))


# --- drawing -------------------------------------------------------------------------------------

WIDTH = 460
HEIGHT = 150
MARGIN = 28
INK = "#222"
BAR = "#8b0000"
STATUS_COLOURS = {"finished": "#2e7d32", "running": "#1565c0", "interrupted": "#ef6c00", "failed": "#c62828"}


def _svg(title: str, body: str, height: int = HEIGHT) -> Markup:
    return Markup(
        f'<svg class="chart" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'font-family="system-ui, sans-serif" font-size="10">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def bar_chart(points: list[tuple[str, int]], title: str, unit: str) -> Markup:
    """One bar per day, each with its count above it and a tooltip; every fifth day labelled."""
    if not points:
        return _svg(title, f'<text x="{MARGIN}" y="{HEIGHT // 2}" fill="{INK}">No {unit} yet.</text>')
    days = _fill_days(points)
    top = max(count for _, count in days) or 1
    step = (WIDTH - 2 * MARGIN) / len(days)
    plot = HEIGHT - 2 * MARGIN
    parts = [f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" y2="{HEIGHT - MARGIN}" stroke="#999"/>']
    for index, (day, count) in enumerate(days):
        height = plot * count / top
        x = MARGIN + index * step
        y = HEIGHT - MARGIN - height
        parts.append(
            f'<rect class="bar" data-day="{day}" data-count="{count}" x="{x + 1:.1f}" y="{y:.1f}" '
            f'width="{max(step - 2, 1):.1f}" height="{height:.1f}" fill="{BAR}"><title>{day}: {count} {unit}</title></rect>'
        )
        if count:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" fill="{INK}">{count}</text>')
        if index % 5 == 0 or index == len(days) - 1:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{HEIGHT - MARGIN + 14}" text-anchor="middle" '
                         f'fill="{INK}">{day[5:]}</text>')
    return _svg(title, "".join(parts))


def _fill_days(points: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Days without data shown as zero, so the axis is time."""
    counts = dict(points)
    try:
        first, last = date.fromisoformat(points[0][0]), date.fromisoformat(points[-1][0])
    except ValueError:
        return points
    span = min((last - first).days, DAYS_SHOWN - 1)
    start = last - timedelta(days=span)
    return [((start + timedelta(days=n)).isoformat(), counts.get((start + timedelta(days=n)).isoformat(), 0))
            for n in range(span + 1)]


def share_heatmap(shares: dict[str, list[tuple[str, int, int]]], weeks: list[str]) -> Markup:
    """Rows are sections, columns weeks of publication; each cell says the paywalled share."""
    title = "Paywalled share by section and week of publication"
    if not shares:
        return _svg(title, f'<text x="{MARGIN}" y="{HEIGHT // 2}" fill="{INK}">No dated articles yet.</text>')
    label_width = 90
    cell = (WIDTH - label_width - 8) / max(len(weeks), 1)
    row = 20
    height = 22 + row * len(shares) + 6
    parts = [f'<text x="{label_width + index * cell + cell / 2:.1f}" y="14" text-anchor="middle" fill="{INK}">'
             f"{escape(week[5:])}</text>" for index, week in enumerate(weeks)]
    for line, (section, cells) in enumerate(shares.items()):
        y = 22 + line * row
        parts.append(f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end" fill="{INK}">{escape(section[:16])}</text>')
        for index, (week, paywalled, total) in enumerate(cells):
            x = label_width + index * cell
            if not total:
                parts.append(f'<rect x="{x + 1:.1f}" y="{y}" width="{cell - 2:.1f}" height="{row - 2}" fill="#f3f3f3"/>')
                continue
            share = paywalled / total
            parts.append(
                f'<rect class="share" data-section="{escape(section)}" data-week="{week}" data-share="{share:.3f}" '
                f'x="{x + 1:.1f}" y="{y}" width="{cell - 2:.1f}" height="{row - 2}" fill="{BAR}" '
                f'fill-opacity="{0.12 + 0.88 * share:.2f}"><title>{escape(section)}, {week}: {paywalled} of {total} '
                f"paywalled</title></rect>"
                f'<text x="{x + cell / 2:.1f}" y="{y + 13}" text-anchor="middle" '
                f'fill="{"#fff" if share > 0.5 else INK}">{round(100 * share)}%</text>'
            )
    return _svg(title, "".join(parts), height)


def runs_chart(runs: list[RunLine]) -> Markup:
    """One bar per run (oldest left): pages fetched, the failed part on top, coloured by status."""
    title = "Last crawl runs: pages and failed pages"
    if not runs:
        return _svg(title, f'<text x="{MARGIN}" y="{HEIGHT // 2}" fill="{INK}">No crawl runs yet.</text>')
    ordered = list(reversed(runs))
    top = max(run.pages + run.failed_pages for run in ordered) or 1
    step = (WIDTH - 2 * MARGIN) / len(ordered)
    plot = HEIGHT - 2 * MARGIN
    parts = [f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" y2="{HEIGHT - MARGIN}" stroke="#999"/>']
    for index, run in enumerate(ordered):
        x = MARGIN + index * step
        ok_height = plot * run.pages / top
        failed_height = plot * run.failed_pages / top
        colour = STATUS_COLOURS.get(run.status, "#757575")
        y = HEIGHT - MARGIN - ok_height
        parts.append(
            f'<rect class="run" data-run="{run.run_id}" data-status="{escape(run.status)}" x="{x + 2:.1f}" '
            f'y="{y:.1f}" width="{max(step - 4, 1):.1f}" height="{ok_height:.1f}" fill="{colour}">'
            f"<title>run {run.run_id} ({escape(run.status)}): {run.pages} pages, {run.failed_pages} failed</title></rect>"
            f'<rect class="failed" data-run="{run.run_id}" data-failed="{run.failed_pages}" x="{x + 2:.1f}" '
            f'y="{y - failed_height:.1f}" width="{max(step - 4, 1):.1f}" height="{failed_height:.1f}" fill="#c62828"/>'
            f'<text x="{x + step / 2:.1f}" y="{HEIGHT - MARGIN + 14}" text-anchor="middle" fill="{INK}">#{run.run_id}</text>'
            f'<text x="{x + step / 2:.1f}" y="{y - failed_height - 3:.1f}" text-anchor="middle" fill="{INK}">'
            f"{run.failed_pages} failed</text>"
        )
    return _svg(title, "".join(parts))
