"""Assembles the whole site (pages plus ground truth) from the article plan."""

from __future__ import annotations

from .article_page import render_article
from .assets import asset_pages
from .listing_pages import (
    FBCLID, UTM_SOCIAL, error_page, home_page, print_page, redirect_page, robots_txt, rss_feed,
    section_pages, subscribe_page,
)
from .model import ArticleTruth, Page, Site
from .plan import SECTIONS, ArticleSpec, plan_articles

ROBOTS_DISALLOWED = ["/subscribe/", "/print/"]
MISSING_PATH = "/article/b/story-taken-down-after-legal-complaint"
BROKEN_PATH = "/article/w/story-the-server-fails-on"
HTML_UTF8 = "text/html; charset=UTF-8"
_COMMON = [
    ("X-Generator", "Drupal 10 (https://www.drupal.org)"),
    ("X-Content-Type-Options", "nosniff"),
    ("Vary", "Cookie"),
    ("Vary", "Accept-Encoding"),
]


def _html_page(text: str, status: int = 200, content_type: str = HTML_UTF8,
               encoding: str = "utf-8", bom: bool = False, extra: list[tuple[str, str]] | None = None) -> Page:
    body = text.encode(encoding)
    if bom:
        body = b"\xef\xbb\xbf" + body
    headers = [("Content-Type", content_type), ("Cache-Control", "max-age=300, public"), *_COMMON,
               *(extra or [])]
    return Page(status=status, headers=headers, body=body)


def _article_page(spec: ArticleSpec, html: str) -> Page:
    if spec.bom:
        content_type = "text/html"
    elif spec.encoding != "utf-8":
        content_type = f"text/html; charset={spec.encoding}"
    else:
        content_type = HTML_UTF8
    cookies = [("Set-Cookie", f"SSESS4f1c2e=anon{spec.index}; path=/; HttpOnly; SameSite=Lax"),
               ("Set-Cookie", "ms_meter=1; Max-Age=2592000; path=/")]
    return _html_page(html, content_type=content_type, encoding=spec.encoding, bom=spec.bom, extra=cookies)


def _truth(spec: ArticleSpec) -> ArticleTruth:
    free = [" ".join(p.text.split()) for p in spec.paragraphs[: spec.free_paragraphs]]
    return ArticleTruth(
        path=spec.path, title=spec.title, section=spec.section,
        published_at=spec.published.isoformat(), authors=spec.authors, standfirst=spec.standfirst,
        paywalled=spec.paywall_kind is not None, paywall_kind=spec.paywall_kind,
        free_text="\n\n".join(free), free_paragraphs=len(free), similar=tuple(spec.similar),
        only_via_similar=spec.only_via_similar, encoding=spec.encoding,
        reachable=not (spec.orphan or spec.disallowed_only), template=spec.template,
        variants=spec.variants,
    )


def build_site(n_articles: int = 60, seed: int = 1) -> Site:
    """Deterministic site of `n_articles` articles (at least 30) for a given seed."""
    specs = plan_articles(n_articles, seed)
    by_path = {spec.path: spec for spec in specs}
    pages: dict[str, Page] = {}
    listed = [spec for spec in specs if spec.listed]
    for spec in specs:
        pages[spec.path] = _article_page(spec, render_article(spec, by_path, listed[:8]))
    by_section = {
        path: (name, [s for s in listed if s.section_path == path]) for path, name, _letter in SECTIONS
    }
    utm_article = listed[3]
    fbclid_article = by_section["/britain"][1][1]
    for (path, (name, members)) in by_section.items():
        for key, html in section_pages(path, name, members, fbclid_article.path).items():
            pages[key] = _html_page(html)
    redirected = next(spec for spec in specs if spec.old_path)
    assert redirected.old_path is not None
    pages["/"] = _html_page(home_page(listed[:12], by_section, utm_article.path, redirected.old_path,
                                      MISSING_PATH, BROKEN_PATH))
    pages["/rss.xml"] = _html_page(rss_feed(listed[:20]), content_type="application/rss+xml; charset=utf-8")
    pages["/robots.txt"] = _html_page(robots_txt(ROBOTS_DISALLOWED), content_type="text/plain; charset=utf-8")
    secret = next((spec for spec in specs if spec.disallowed_only), None)
    pages["/subscribe/"] = _html_page(subscribe_page("/subscribe/", secret))
    pages["/subscribe/offers"] = _html_page(subscribe_page("/subscribe/offers", None))
    pages["/subscribe/donate"] = _html_page(subscribe_page("/subscribe/donate", None))
    for spec in specs[:10]:
        pages[f"/print/node/{10000 + spec.index}"] = _html_page(print_page(spec))
    pages[redirected.old_path] = _html_page(
        redirect_page("{base}" + redirected.path), status=301,
        extra=[("Location", "{base}" + redirected.path)],
    )
    pages.update(asset_pages([spec.image for spec in specs]))
    pages[BROKEN_PATH] = _html_page(error_page(500, "The website encountered an unexpected error"), status=500)
    pages[utm_article.path + UTM_SOCIAL.replace("&amp;", "&")] = pages[utm_article.path]
    pages[fbclid_article.path + FBCLID] = pages[fbclid_article.path]
    links = {
        "tracking": (utm_article.path + UTM_SOCIAL.replace("&amp;", "&"), fbclid_article.path + FBCLID),
        "redirect": (redirected.old_path,),
        "not_found": (MISSING_PATH,),
        "server_error": (BROKEN_PATH,),
    }
    return Site(
        pages=pages,
        truth={spec.path: _truth(spec) for spec in specs},
        robots_disallowed=list(ROBOTS_DISALLOWED),
        not_found=_html_page(error_page(404, "Page not found"), status=404),
        links=links,
    )
