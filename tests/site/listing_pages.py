"""Non-article pages: home, paginated section listings, RSS, robots.txt, subscribe, print and errors."""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import format_datetime

from .chrome import document, esc, long_date
from .plan import ArticleSpec

PER_PAGE = 10
UTM_SOCIAL = "?utm_source=twitter&amp;utm_medium=social"
FBCLID = "?fbclid=IwAR2xQe7Vb0kQ4m3T9sLx8yZ1pN6cD"


def _teaser_row(spec: ArticleSpec, href: str | None = None) -> str:
    href = href or spec.path
    return f"""<div class="views-row"><article class="node node--view-mode-teaser">
<a href="{href}"><img src="{spec.image.replace('article_main', 'teaser')}" alt="{esc(spec.caption)}" /></a>
<h2 class="node__title"><a href="{href}" rel="bookmark">{esc(spec.title)}</a></h2>
<div class="teaser-meta">{esc(spec.section)} / {long_date(spec.published)}</div>
<p class="teaser-text">{esc(spec.standfirst)}</p>
</article></div>"""


def _pager(current: int, last: int) -> str:
    """Drupal's full pager: query-only hrefs, zero-based ?page=N, rel=prev/next."""
    items = []
    if current > 0:
        items.append('<li class="pager__item pager__item--first"><a href="?page=0" title="Go to first page">« First</a></li>')
        items.append(f'<li class="pager__item pager__item--previous"><a href="?page={current - 1}" rel="prev">‹ Previous</a></li>')
    for number in range(max(0, current - 4), min(last, current + 4) + 1):
        active = " is-active" if number == current else ""
        items.append(f'<li class="pager__item{active}"><a href="?page={number}">{number + 1}</a></li>')
    if current < last:
        items.append(f'<li class="pager__item pager__item--next"><a href="?page={current + 1}" rel="next">Next ›</a></li>')
        items.append(f'<li class="pager__item pager__item--last"><a href="?page={last}">Last »</a></li>')
    return ('<nav class="pager" role="navigation" aria-labelledby="pagination-heading">'
            '<h4 id="pagination-heading" class="visually-hidden">Pagination</h4>'
            f'<ul class="pager__items js-pager__items">{"".join(items)}</ul></nav>')


def _listing_head(path: str, title: str) -> str:
    return (f'<link rel="canonical" href="{{base}}{path}" />\n'
            '<meta property="og:type" content="website" />\n'
            f'<meta property="og:title" content="{esc(title)}" />')


def section_pages(path: str, name: str, specs: Sequence[ArticleSpec], fbclid_path: str | None) -> dict[str, str]:
    """Every listing page of one section, keyed "/britain", "/britain?page=1", ..."""
    chunks = [specs[i:i + PER_PAGE] for i in range(0, len(specs), PER_PAGE)] or [[]]
    pages = {}
    for number, chunk in enumerate(chunks):
        rows = "\n".join(
            _teaser_row(s, s.path + FBCLID if s.path == fbclid_path else None) for s in chunk
        )
        key = path if number == 0 else f"{path}?page={number}"
        main = f"""<h1 class="page-title">{esc(name)}</h1>
<div class="view view-taxonomy-term view-display-id-page_1"><div class="view-content">
{rows}
</div>
{_pager(number, len(chunks) - 1)}
</div>"""
        pages[key] = document(name, _listing_head(key, name), "path-taxonomy", main)
    return pages


def home_page(
    top: Sequence[ArticleSpec],
    by_section: dict[str, tuple[str, Sequence[ArticleSpec]]],
    utm_path: str,
    old_path: str,
    missing_path: str,
    broken_path: str,
) -> str:
    """Front page: top stories, a block per section and a "Most read" list with awkward links."""
    top_rows = "\n".join(_teaser_row(s, s.path + UTM_SOCIAL if s.path == utm_path else None) for s in top)
    blocks = "\n".join(
        f'<section class="front-section"><h2><a href="{path}">{esc(name)}</a></h2>\n'
        + "\n".join(_teaser_row(s) for s in specs[:4]) + "\n</section>"
        for path, (name, specs) in by_section.items()
    )
    most_read = (
        '<div class="block block-most-read"><h2>Most read</h2><ol>'
        f'<li><a href="{old_path}">Looking back: an old favourite</a></li>'
        f'<li><a href="{missing_path}">A story that has been taken down</a></li>'
        f'<li><a href="{broken_path}">A story the server chokes on</a></li>'
        '<li><a href="/subscribe/offers">Subscriber offers</a></li>'
        '</ol></div>'
    )
    main = f"""<h1 class="visually-hidden">Morning Star</h1>
<div class="view view-frontpage"><div class="view-content">
{top_rows}
</div></div>
{blocks}
{most_read}"""
    return document("Home", _listing_head("/", "Morning Star"), "path-frontpage", main)


def rss_feed(items: Sequence[ArticleSpec]) -> str:
    """RSS 2.0 with absolute links, newest first."""
    entries = "\n".join(f"""<item>
<title>{esc(s.title)}</title>
<link>{{base}}{s.path}</link>
<description>{esc(s.standfirst)}</description>
<pubDate>{format_datetime(s.published)}</pubDate>
<dc:creator>{esc(", ".join(s.authors) or "Morning Star")}</dc:creator>
<guid isPermaLink="false">{10000 + s.index} at {{base}}</guid>
</item>""" for s in items)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xml:base="{{base}}/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>Morning Star</title>
<link>{{base}}/</link>
<description>The people’s daily paper</description>
<language>en</language>
<atom:link href="{{base}}/rss.xml" rel="self" type="application/rss+xml" />
{entries}
</channel>
</rss>
"""


def robots_txt(disallowed: Sequence[str]) -> str:
    lines = "\n".join(f"Disallow: {prefix}" for prefix in disallowed)
    return f"# Drupal robots.txt\nUser-agent: *\nCrawl-delay: 0\n{lines}\nSitemap: {{base}}/rss.xml\n"


def subscribe_page(path: str, secret: ArticleSpec | None) -> str:
    """A page under a robots-disallowed prefix; may hold the only link to an article."""
    link = (f'<p>Subscribers’ exclusive: <a href="{secret.path}">{esc(secret.title)}</a></p>'
            if secret else "")
    main = f"""<h1 class="page-title">Subscribe to the Morning Star</h1>
<p>Digital subscriptions from £1 for the first month. Print and digital bundles available.</p>
{link}
<a href="/subscribe/offers">See all offers</a> <a href="/subscribe/donate">Donate</a>"""
    return document("Subscribe", _listing_head(path, "Subscribe"), "path-subscribe", main)


def print_page(spec: ArticleSpec) -> str:
    body = "\n".join(f"<p>{p.html}</p>" for p in spec.paragraphs)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8" /><meta name="robots" content="noindex" />
<title>{esc(spec.title)} | Morning Star</title></head>
<body class="print"><h1>{esc(spec.title)}</h1>{body}<p><a href="{spec.path}">Back to article</a></p></body></html>
"""


def error_page(status: int, title: str) -> str:
    main = f'<h1 class="page-title">{esc(title)}</h1><p>Sorry, something went wrong ({status}).</p>'
    return document(title, '<meta name="robots" content="noindex" />', "path-error", main)


def redirect_page(target: str) -> str:
    return f'<!DOCTYPE html><html><head><title>Moved</title></head><body><a href="{target}">Moved permanently</a></body></html>'
