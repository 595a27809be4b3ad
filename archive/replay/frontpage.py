"""The replay server's front page: a dashboard (`archive.replay.dashboard`), then the archived articles,
newest first, each linked to its capture.

Filters are query parameters: `section`, `paywall` (`paywalled`, `free`, `unknown`) and `q`. A search
runs through the full-text index (`archive.readers.search.search`) when the installed code has it, and
falls back to a case-insensitive match on the headline otherwise; `find_searcher` is the one place
that decides, and `FrontPage` takes any `Searcher`, so tests and other indexes can plug in.

Archived data is hostile input here: a page's `og:url` or canonical link can be `javascript:…`.
Only http(s) URLs become links (`http_url`), everything is escaped by the template, and the page
carries a Content-Security-Policy that allows no script at all. Replay links point at the archive's
own origin (another port), so archived scripts never run on this one. The database work of a
request runs through `run_blocking` (a thread pool in `newsarchive replay`), so one slow search
does not hold up other requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from archive.index.database import Database
from archive.errors import ArchiveError
from archive.index.models import Article, Capture
from archive.replay.dashboard import Dashboard
from archive.replay.server import COLLECTION, replay_path

DEFAULT_LIMIT = 200
PAYWALL_FILTERS = {"paywalled": True, "free": False}
# no script anywhere; the inline stylesheet and server-drawn SVG are all the page needs
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
]


def http_url(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) URL, else None: what may become a link."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    return url.strip() if parts.scheme.lower() in ("http", "https") and parts.netloc else None


@dataclass(frozen=True, slots=True)
class ArticleEntry:
    """One line of the front page."""

    article_id: int
    title: str
    url: str
    section: str
    published_at: str | None
    paywalled: bool | None
    paywall_kind: str | None
    word_count: int  # words of free text
    replay_url: str | None  # the latest capture in the replay, None if the capture is not indexed
    live_url: str | None  # the article's URL when it is http(s), the only kind that becomes a link


@dataclass(frozen=True, slots=True)
class Filters:
    """The front page's filters, read from its query string; unknown values are dropped."""

    section: str = ""
    paywall: str = ""  # "", "paywalled", "free", "unknown"
    words: str = ""

    @classmethod
    def from_query_string(cls, query_string: str) -> Filters:
        values = {name: items[-1].strip() for name, items in parse_qs(query_string).items() if items}
        paywall = values.get("paywall", "")
        return cls(values.get("section", ""), paywall if paywall in ("paywalled", "free", "unknown") else "",
                   values.get("q", ""))


FRONT_PAGE_SEARCH_SECONDS = 5.0


class Searcher(Protocol):
    """Ranked article ids for `words` (best first), honouring the section and paywall filters."""

    def __call__(self, database_url: str, words: str, section: str | None, paywalled: bool | None,
                 limit: int) -> list[int]: ...


def find_searcher() -> Searcher | None:
    """The full-text search of `archive.readers.search`, if this installation has it."""
    try:
        from archive.readers.query import QueryLimits
        from archive.readers.search import search
    except ImportError:
        return None
    # the front page serves every visitor from one worker: no search may hold it for long
    limits = QueryLimits(timeout=FRONT_PAGE_SEARCH_SECONDS)

    def full_text(database_url: str, words: str, section: str | None, paywalled: bool | None,
                  limit: int) -> list[int]:
        hits = search(database_url, words, section=section, paywalled=paywalled, limit=limit, limits=limits)
        return [hit.article_id for hit in hits]

    return full_text


class FrontPage:
    """A WSGI app rendering the list of archived articles."""

    def __init__(self, database: Database, searcher: Searcher | None = None, limit: int = DEFAULT_LIMIT,
                 collection: str = COLLECTION, archive_url: str = "/",
                 run_blocking: Callable[..., Any] | None = None) -> None:
        self.database = database
        self.searcher = searcher
        self.limit = limit
        self.collection = collection
        self.archive_url = archive_url.rstrip("/")  # the archive's origin: "http://127.0.0.1:8081"
        self.run_blocking = run_blocking or (lambda function, *args: function(*args))
        self.engine = database.engine
        self.templates = Environment(
            loader=PackageLoader("archive.replay", "templates"), autoescape=select_autoescape(["html"])
        )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = self.run_blocking(self.render, environ.get("QUERY_STRING", ""))
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                  ("Content-Length", str(len(body))), *SECURITY_HEADERS])
        return [body]

    def render(self, query_string: str) -> bytes:
        """The whole page for one query string."""
        filters = Filters.from_query_string(query_string)
        error = ""
        try:
            entries, total = self.articles(filters)
        except ArchiveError as exc:  # a search the index cannot parse: say so on the page
            entries, total, error = [], 0, str(exc)
        return self.templates.get_template("front.html").render(
            entries=entries, total=total, filters=filters, sections=self.sections(), error=error,
            searching_full_text=self.searcher is not None, limit=self.limit,
            dashboard=Dashboard.load(self.engine),
        ).encode("utf-8")

    def sections(self) -> list[str]:
        with Session(self.engine) as session:
            return list(session.scalars(
                select(Article.section).where(Article.section != "").distinct().order_by(Article.section)
            ))

    def articles(self, filters: Filters) -> tuple[list[ArticleEntry], int]:
        """The entries matching `filters` (at most `limit`) and how many match in all."""
        paywalled = PAYWALL_FILTERS.get(filters.paywall)
        ranked: list[int] | None = None
        if filters.words and self.searcher is not None:
            ranked = self.searcher(self.database.url, filters.words, filters.section or None,
                                   paywalled, self.limit)
        query = self._query(filters, paywalled, ranked)
        with Session(self.engine) as session:
            total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
            rows = session.execute(query.limit(self.limit)).all()
        entries = [self._entry(*row) for row in rows]
        if ranked is not None:
            order = {article_id: position for position, article_id in enumerate(ranked)}
            entries.sort(key=lambda entry: order[entry.article_id])
        return entries, total

    def _query(self, filters: Filters, paywalled: bool | None, ranked: Sequence[int] | None) -> Select[Any]:
        query = (
            select(Article, Capture.url, Capture.captured_at)
            .outerjoin(Capture, Capture.id == Article.latest_capture_id)
            .order_by(Article.published_at.desc().nulls_last(), Article.id.desc())
        )
        if filters.section:
            query = query.where(func.lower(Article.section) == filters.section.lower())
        if paywalled is not None:
            query = query.where(Article.paywalled.is_(paywalled))
        elif filters.paywall == "unknown":
            query = query.where(Article.paywalled.is_(None))
        if ranked is not None:
            query = query.where(Article.id.in_(ranked))
        elif filters.words:
            pattern = "%" + filters.words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(Article.title.ilike(pattern, escape="\\"))
        return query

    def _entry(self, article: Article, capture_url: str | None, captured_at: str | None) -> ArticleEntry:
        replay = None
        if http_url(capture_url) and captured_at:
            replay = self.archive_url + replay_path(captured_at, capture_url.strip(), self.collection)
        return ArticleEntry(
            article.id, article.title, article.url, article.section, article.published_at,
            article.paywalled, article.paywall_kind, article.word_count, replay, http_url(article.url),
        )
