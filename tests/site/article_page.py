"""Article pages in the site's two templates ("a": Drupal field wrappers, "b": a redesigned theme)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime

from .chrome import LONDON, appeal_box, document, esc, free_limit_box, long_date, newsletter_box
from .plan import ArticleSpec

TRACKING_SUFFIX = "?utm_source=related&amp;utm_medium=web"


def _local_iso(moment: datetime) -> str:
    return moment.astimezone(LONDON).isoformat(timespec="seconds")


def _utc_z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _jsonld(spec: ArticleSpec) -> str:
    """NewsArticle JSON-LD; template "b" wraps it in @graph and writes booleans as text."""
    free = spec.paywall_kind is None
    node: dict[str, object] = {
        "@type": "NewsArticle",
        "headline": spec.title,
        "datePublished": _local_iso(spec.published) if spec.template == "a" else _utc_z(spec.published),
        "dateModified": _local_iso(spec.published),
        "articleSection": spec.section,
        "isAccessibleForFree": free if spec.template == "a" else ("True" if free else "False"),
        "url": "{base}" + spec.path,
        "mainEntityOfPage": {"@type": "WebPage", "@id": "{base}" + spec.path},
        "image": {"@type": "ImageObject", "url": "{base}" + spec.image},
        "publisher": {"@type": "Organization", "name": "Morning Star",
                      "logo": {"@type": "ImageObject", "url": "{base}/themes/custom/morningstar/logo.png"}},
    }
    if spec.standfirst:
        node["description"] = spec.standfirst
    if spec.authors:
        people = [{"@type": "Person", "name": name} for name in spec.authors]
        node["author"] = people[0] if spec.template == "b" and len(people) == 1 else people
    if spec.paywall_kind == "overlay":
        node["hasPart"] = {"@type": "WebPageElement", "isAccessibleForFree": False,
                           "cssSelector": "#paywall-overlay"}
    if spec.template == "a":
        text = json.dumps({"@context": "https://schema.org", **node}, ensure_ascii=False)
        crumbs = json.dumps({"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
            {"@type": "ListItem", "position": 1, "name": "Home", "item": "{base}/"},
            {"@type": "ListItem", "position": 2, "name": spec.section, "item": "{base}" + spec.section_path},
        ]}, ensure_ascii=False)
        blocks = [crumbs, text]
    else:
        graph = [{"@type": "WebPage", "@id": "{base}" + spec.path, "name": spec.title}, node,
                 {"@type": "Organization", "name": "Morning Star", "url": "{base}/"}]
        blocks = [json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False, indent=1)]
    if spec.metadata == "jsonld_broken":
        blocks[-1] = blocks[-1].rstrip("}") + ',\n"comment": "unterminated}'  # invalid, as CMS plugins do
    return "\n".join(f'<script type="application/ld+json">{block}</script>' for block in blocks)


def _head_extra(spec: ArticleSpec) -> str:
    parts = []
    if spec.canonical_link:
        parts.append(f'<link rel="canonical" href="{{base}}{spec.path}" />')
    parts.append(f'<link rel="shortlink" href="{{base}}/node/{10000 + spec.index}" />')
    if spec.metadata == "visible_only":
        return "\n".join(parts)
    og_url = spec.path if spec.canonical_link else spec.path + "?utm_source=rss&amp;utm_medium=feed"
    parts += [
        '<meta property="og:site_name" content="Morning Star" />',
        '<meta property="og:type" content="article" />',
        f'<meta property="og:url" content="{{base}}{og_url}" />',
        f'<meta property="og:title" content="{esc(spec.title)}" />',
        f'<meta property="og:image" content="{{base}}{spec.image}" />',
        f'<meta property="article:section" content="{esc(spec.section)}" />',
        f'<meta property="article:published_time" content="{_local_iso(spec.published)}" />',
        f'<meta name="twitter:title" content="{esc(spec.title)}" />',
        '<meta name="twitter:card" content="summary_large_image" />',
    ]
    if spec.standfirst:
        parts.append(f'<meta property="og:description" content="{esc(spec.standfirst)}" />')
    if spec.metadata in ("jsonld", "jsonld_broken"):
        parts.append(_jsonld(spec))
    return "\n".join(parts)


def _teaser(spec: ArticleSpec) -> str:
    if spec.standfirst:
        return spec.standfirst
    first = spec.paragraphs[0].text
    return first if len(first) <= 160 else first[:157].rsplit(" ", 1)[0] + "…"


def _similar_a(targets: list[ArticleSpec]) -> str:
    rows = "\n".join(f"""<div class="views-row"><div class="similar-story">
<a href="{t.path}" class="similar-story__image"><img src="{t.image.replace('article_main', 'similar_thumb')}" alt="{esc(t.caption)}" loading="lazy" /></a>
<div class="similar-story__caption">{esc(t.caption)}</div>
<div class="similar-story__meta">{esc(t.section)} / {long_date(t.published)}</div>
<div class="similar-story__date">{long_date(t.published)}</div>
<h3 class="similar-story__title"><a href="{t.path}">{esc(t.title)}</a></h3>
<p class="similar-story__teaser">{esc(_teaser(t))}</p>
</div></div>""" for t in targets)
    return f'<section class="similar-stories block-views"><h2>Similar stories</h2>\n{rows}\n</section>'


def _similar_b(targets: list[ArticleSpec]) -> str:
    rows = "\n".join(f"""<li class="related-item"><a class="related-item__link" href="{{base}}{t.path}{TRACKING_SUFFIX}">
<figure><img src="{t.image.replace('article_main', 'related_card')}" alt="" /><figcaption>{esc(t.caption)}</figcaption></figure>
<span class="related-item__kicker">{esc(t.section)} / {long_date(t.published)}</span>
<time>{long_date(t.published)}</time>
<span class="related-item__headline">{esc(t.title)}</span></a>
<p class="related-item__teaser">{esc(_teaser(t))}</p></li>""" for t in targets)
    return f'<div class="block-views-related"><div class="block-title">Similar stories</div>\n<ul class="related-list">\n{rows}\n</ul></div>'


def _paragraphs(spec: ArticleSpec, start: int, stop: int) -> list[str]:
    close = "" if spec.malformed else "</p>"
    return [f"<p>{p.html}{close}" for p in spec.paragraphs[start:stop]]


def _byline_a(authors: tuple[str, ...]) -> str:
    links = [f'<a href="/author/{name.lower().replace(" ", "-")}">{esc(name)}</a>' for name in authors]
    joined = links[0] if len(links) == 1 else ", ".join(links[:-1]) + " and " + links[-1]
    return f'<div class="field field--name-field-byline">by {joined}</div>'


def _byline_b(authors: tuple[str, ...]) -> str:
    spans = [f'<span class="author">{esc(name)}</span>' for name in authors]
    joined = spans[0] if len(spans) == 1 else ", ".join(spans[:-1]) + " and " + spans[-1]
    return f'<span class="byline">By {joined}</span>'


def _body_a(spec: ArticleSpec) -> str:
    free = _paragraphs(spec, 0, spec.free_paragraphs)
    if spec.malformed:
        free.insert(1, "</span>")
        free.insert(2, '<div class="pullquote-wrap">')  # never closed
    if spec.paywall_kind == "overlay":
        locked = "\n".join(_paragraphs(spec, spec.free_paragraphs, len(spec.paragraphs)))
        free.append(f"""<div id="paywall-overlay" class="paywall-overlay">
<div class="paywall-overlay__message"><p>Subscribe to continue reading.</p></div>
<div class="paywall-overlay__locked">
{locked}
</div></div>""")
    elif spec.paywall_kind is None and spec.index % 3 == 0:
        free.append("<p>&nbsp;</p>")
    body = "\n".join(free)
    after = appeal_box()
    if spec.paywall_kind == "truncated":
        after += "\n" + free_limit_box("block block-ms-paywall free-limit")
    return f"""<div class="node__content">
<div class="clearfix text-formatted field field--name-body field--type-text-with-summary field__item">
{body}
</div>
{after}
</div>"""


def _body_b(spec: ArticleSpec) -> str:
    free = _paragraphs(spec, 0, spec.free_paragraphs)
    if spec.free_paragraphs >= 3:
        free.insert(2, newsletter_box())
    if spec.malformed:
        free.insert(1, "</em></span>")
        free.insert(3, '<div class="embed-wrapper">')  # never closed
    tail = ""
    if spec.paywall_kind == "overlay":
        free.append('<div id="paywall-overlay" class="overlay"><p class="overlay__cta">Subscribe to continue reading.</p></div>')
        free += _paragraphs(spec, spec.free_paragraphs, len(spec.paragraphs))
        tail = appeal_box("aside", "appeal")
    elif spec.paywall_kind == "truncated":
        free.append(appeal_box("aside", "appeal"))
        free.append(free_limit_box("paywall-limit"))
    else:
        tail = appeal_box("aside", "appeal")
    body = "\n".join(free)
    return f'<div class="article-body">\n{body}\n</div>\n{tail}'


def _visible_date(spec: ArticleSpec) -> str:
    local = spec.published.astimezone(LONDON)
    if spec.template == "a":
        text = f"{local:%A} {local.day} {local:%B %Y}, {local:%H:%M}"
        attr = "" if spec.metadata == "visible_only" else f' datetime="{_utc_z(spec.published)}"'
        return f'<div class="field field--name-field-published-date"><time{attr}>{text}</time></div>'
    hour = local.hour % 12 or 12
    text = f"{local.day} {local:%b %Y} {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"
    return f'<span class="ms-date">{text}</span>'


def _sidebar(latest: Sequence[ArticleSpec]) -> str:
    items = "\n".join(
        f'<li><a href="{s.path}">{esc(s.title)}</a> <span class="latest__meta">{esc(s.section)} / {long_date(s.published)}</span></li>'
        for s in latest
    )
    return f"""<aside class="region region-sidebar" role="complementary">
<div class="block block-views-latest"><h2 class="block-title">Latest</h2><ul class="latest">
{items}
</ul></div>
<div class="block block-ms-ads"><div class="advert advert--mpu" data-ad-slot="sidebar-1">Advertisement</div>
<p class="advert-note">Adverts help fund our journalism. <a href="/advertise">Advertise with us</a>.</p></div>
</aside>"""


def render_article(spec: ArticleSpec, by_path: Mapping[str, ArticleSpec], latest: Sequence[ArticleSpec]) -> str:
    """The full HTML document for one article, with its sidebar of `latest` stories."""
    targets = [by_path[path] for path in spec.similar]
    print_link = f'<a class="print-link" href="/print/node/{10000 + spec.index}">Print</a>' if spec.index < 10 else ""
    standfirst_a = (f'<div class="field field--name-field-standfirst"><p>{esc(spec.standfirst)}</p></div>'
                    if spec.standfirst else "")
    if spec.template == "a":
        main = f"""<article role="article" about="{spec.path}" class="node node--type-article node--view-mode-full">
<div class="field field--name-field-section"><a href="{spec.section_path}" hreflang="en">{esc(spec.section)}</a></div>
<h1 class="node__title"><span class="field field--name-title">{esc(spec.title)}</span></h1>
<div class="field field--name-field-image"><figure>
<img src="{spec.image}" alt="{esc(spec.caption)}" width="800" height="533" loading="lazy" />
<figcaption class="field--name-field-caption">{esc(spec.caption)}</figcaption></figure></div>
{standfirst_a}
{_byline_a(spec.authors) if spec.authors else ""}
{_visible_date(spec)}
{print_link}
{_body_a(spec)}
</article>
{_similar_a(targets)}
{newsletter_box()}"""
    else:
        standfirst_b = f'<div class="ms-standfirst">{esc(spec.standfirst)}</div>' if spec.standfirst else ""
        main = f"""<div class="story-wrap"><article class="story">
<header class="story-header">
<a class="story-header__section" href="{spec.section_path}">{esc(spec.section)}</a>
<h1 class="story-header__title">{esc(spec.title)}</h1>
{standfirst_b}
<div class="story-meta">{_byline_b(spec.authors) if spec.authors else ""} {_visible_date(spec)} {print_link}</div>
</header>
<figure class="lead-image"><img src="{spec.image}" alt="" /><figcaption>{esc(spec.caption)}</figcaption></figure>
{_body_b(spec)}
{_similar_b(targets)}
</article></div>"""
    main += "\n" + _sidebar(latest)
    return document(spec.title, _head_extra(spec), "path-node page-node-type-article", main, spec.encoding)
