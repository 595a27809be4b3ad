"""The Harbour Herald: one page per awkward case a paywall detector and metadata extractor must get
right from standard signals alone, each with its ground truth. Read with the `generic` profile.

The site also exercises generic discovery: the home page links some stories, `<link rel="next">`
(no anchor) leads to a second listing, one story is only in `/sitemap.xml`, one only in the RSS feed
named by `<link rel="alternate">`, and there are links off the site and to a login page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html import escape
from urllib.parse import quote

from .model import ArticleTruth, Page, Site

PUBLISHER = "The Harbour Herald"
HTML = "text/html; charset=utf-8"
PARAGRAPHS = (
    "Councillors voted on Tuesday night to keep the harbour ferry running through the winter, reversing a decision taken in the summer.",
    "The service carries about 900 passengers a day between the two quays, most of them commuters and schoolchildren.",
    "Operators had warned that fuel costs and a shortage of qualified crew made the timetable impossible to sustain.",
    "A petition signed by more than 4,000 residents was handed in at the town hall before the meeting began.",
    "The council will now ask the regional transport authority to share the cost of the extra sailings.",
    "Opposition members said the decision had come too late for the families who had already changed their plans.",
    "The harbour master said that the new timetable would be published before the end of the month.",
    "Campaigners promised to keep up the pressure until the service was guaranteed for the next five years.",
)


@dataclass(slots=True)
class Variant:
    """One page: what to render and what an ideal extractor returns for it."""

    name: str
    path: str
    title: str
    section: str = "News"
    published: str = "2026-11-25T07:15:00+00:00"  # UTC, as the truth states it
    updated: str | None = None
    authors: tuple[tuple[str, str], ...] = (("Mary Quayle", "person"),)
    standfirst: str = ""
    paragraphs: tuple[str, ...] = PARAGRAPHS[:5]
    free: int = 5
    paywalled: bool | None = False
    kind: str | None = None
    locked_in_page: bool = False
    tags: tuple[str, ...] = ()
    language: str = "en"
    lead_image: str = ""
    article_type: str = "NewsArticle"
    signals: tuple[str, ...] = ()
    free_signals: tuple[str, ...] = ()
    decided_by: str = "declared"
    conflict: bool = False
    canonical: str | None = None
    encoding: str = "utf-8"
    content_type: str = HTML
    html: str = ""  # the rendered page (filled by the builder functions)
    related: tuple[str, ...] = ()
    extra_variants: tuple[str, ...] = field(default_factory=tuple)

    def truth(self) -> ArticleTruth:
        free = self.paragraphs[:self.free]
        return ArticleTruth(
            path=self.path, title=self.title, section=self.section, published_at=self.published,
            authors=tuple(name for name, _ in self.authors), standfirst=self.standfirst,
            paywalled=self.paywalled, paywall_kind=self.kind, free_text="\n\n".join(free),
            free_paragraphs=len(free), similar=self.related, only_via_similar=False, encoding=self.encoding,
            reachable=True, template="variants", variants=(self.name, *self.extra_variants),
            canonical=self.canonical, updated_at=self.updated,
            author_kinds=tuple(kind for _, kind in self.authors), tags=self.tags, language=self.language,
            publisher=PUBLISHER, lead_image=self.lead_image, article_type=self.article_type,
            locked_text_in_page=self.locked_in_page, signals=self.signals, free_signals=self.free_signals,
            decided_by=self.decided_by, conflict=self.conflict,
        )


def esc(text: str) -> str:
    return escape(text, quote=True)


def _ps(texts: tuple[str, ...] | list[str]) -> str:
    return "\n".join(f"<p>{esc(text)}</p>" for text in texts)


def _ld(*objects: object) -> str:
    return "\n".join(
        f'<script type="application/ld+json">{json.dumps(obj, ensure_ascii=False) if not isinstance(obj, str) else obj}</script>'
        for obj in objects
    )


def _article_ld(v: Variant, **overrides: object) -> dict[str, object]:
    node: dict[str, object] = {
        "@context": "https://schema.org", "@type": v.article_type, "headline": v.title,
        "datePublished": v.published, "articleSection": v.section,
        "author": [{"@type": "Person" if kind == "person" else "Organization", "name": name} for name, kind in v.authors],
        "publisher": {"@type": "NewsMediaOrganization", "name": PUBLISHER},
    }
    if v.updated:
        node["dateModified"] = v.updated
    if v.standfirst:
        node["description"] = v.standfirst
    if v.tags:
        node["keywords"] = list(v.tags)
    if v.paywalled is not None:
        node["isAccessibleForFree"] = not v.paywalled
    node.update(overrides)
    return {key: value for key, value in node.items() if value is not None}


def _byline(v: Variant) -> str:
    names = [f'<a rel="author" href="/author/{name.lower().replace(" ", "-")}">{esc(name)}</a>' for name, _ in v.authors]
    return f'<div class="byline">By {", ".join(names)}</div>' if names else ""


def _document(v: Variant, head: str, body: str, *, header: str | None = None, html_attrs: str = "",
              after: str = "", charset: str = '<meta charset="utf-8">') -> str:
    time_html = f'<time class="published" datetime="{v.published}">{v.published[:10]}</time>'
    header = header if header is not None else f"""<header class="entry-header">
<span class="cat-links"><a rel="category tag" href="/category/{v.section.lower()}">{esc(v.section)}</a></span>
<h1 class="entry-title">{esc(v.title)}</h1>
{f'<p class="standfirst">{esc(v.standfirst)}</p>' if v.standfirst else ""}
{_byline(v)}
{time_html}
</header>"""
    related = ""
    if v.related:
        items = "".join(f'<li><a href="{path}">Related story {n}</a></li>' for n, path in enumerate(v.related, 1))
        related = f'<aside class="related"><h2>Related</h2><ul>{items}</ul></aside>'
    tags = "".join(f'<a rel="tag" href="/tag/{t.lower()}">{esc(t)}</a> ' for t in v.tags)
    return f"""<!DOCTYPE html>
<html lang="{v.language}"{html_attrs}><head>{charset}
<title>{esc(v.title)} | {PUBLISHER}</title>
<link rel="canonical" href="{{base}}{v.canonical or v.path}">
<meta property="og:site_name" content="{PUBLISHER}">
{head}
</head><body>
<header role="banner"><nav><a href="/">Home</a> <a href="/category/news">News</a> <a href="/login">Log in</a></nav></header>
<main><article class="post">
{header}
<div class="entry-content">
{body}
</div>
<footer class="entry-footer">{tags}</footer>
</article>
{related}
{after}
</main>
<footer><p>© 2026 {PUBLISHER}</p><a href="https://twitter.com/harbourherald">Twitter</a></footer>
</body></html>
"""


def _simple(v: Variant, head: str, body: str | None = None, **kwargs: str) -> Variant:
    v.html = _document(v, head, body if body is not None else _ps(v.paragraphs[:v.free]), **kwargs)
    return v


def _path(n: int, slug: str) -> str:
    return f"/2026/11/{25 - n % 20:02d}/{slug}"


def variants() -> list[Variant]:
    out: list[Variant] = []
    P = PARAGRAPHS

    v = Variant("free-jsonld-true", _path(0, "ferry-saved-free-story"), "Harbour ferry saved after winter vote",
                standfirst="Councillors reverse summer decision after petition", tags=("Transport", "Council"),
                free_signals=("jsonld:isAccessibleForFree=true",), updated="2026-11-25T09:00:00+00:00",
                lead_image="/media/ferry.jpg", related=(_path(2, "paywalled-text-only-story"),))
    out.append(_simple(v, _ld(_article_ld(v, image="{base}/media/ferry.jpg"))))

    v = Variant("paywall-jsonld-only", _path(1, "paywall-only-in-jsonld"), "Dock workers win back pay after tribunal",
                paragraphs=P, free=3, paywalled=True, kind="truncated",
                signals=("jsonld:isAccessibleForFree=false",))
    out.append(_simple(v, _ld(_article_ld(v))))

    v = Variant("paywall-text-only", _path(2, "paywalled-text-only-story"), "New bridge plan goes out to consultation",
                paragraphs=P, free=2, paywalled=True, kind="truncated", decided_by="wall",
                signals=("text:subscribe-to-continue",), article_type="")
    out.append(_simple(v, "", _ps(P[:2]) + '\n<div class="subscribe-box"><p>Subscribe to continue reading.</p>'
                                  '<a href="/subscribe">Subscribe</a></div>'))

    v = Variant("conflicting-signals", _path(3, "conflicting-signals-story"), "Lifeboat crew rescue three from sandbank",
                paragraphs=P, free=3, paywalled=True, kind="truncated", decided_by="wall", conflict=True,
                signals=("text:subscribers-only",), free_signals=("jsonld:isAccessibleForFree=true",))
    out.append(_simple(v, _ld(_article_ld(v, isAccessibleForFree=True)),
                       _ps(P[:3]) + '\n<div class="notice"><p>This article is for subscribers only.</p></div>'))

    v = Variant("flag-string-in-graph", _path(4, "flag-as-string-in-graph"), "Fish market to close for repairs",
                paragraphs=P, free=2, paywalled=True, kind="truncated", signals=("jsonld:isAccessibleForFree=false",))
    in_graph = _article_ld(v, isAccessibleForFree="False")
    del in_graph["@context"]
    graph = {"@context": "https://schema.org",
             "@graph": [{"@type": "WebSite", "@id": "{base}/#website", "name": PUBLISHER}, in_graph]}
    out.append(_simple(v, _ld(graph)))

    v = Variant("locked-css-hidden", _path(5, "locked-text-hidden-by-css"), "Harbour wall repairs to cost £2m",
                paragraphs=P, free=3, paywalled=True, kind="overlay", locked_in_page=True,
                signals=("jsonld:isAccessibleForFree=false",))
    out.append(_simple(v, _ld(_article_ld(v)),
                       _ps(P[:3]) + '\n<div class="article-rest" style="display: none">\n' + _ps(P[3:]) + "\n</div>"))

    v = Variant("locked-css-stylesheet", _path(6, "locked-text-hidden-by-stylesheet"), "Pier reopens after storm damage",
                paragraphs=P, free=2, paywalled=True, kind="overlay", locked_in_page=True,
                signals=("jsonld:isAccessibleForFree=false",))
    out.append(_simple(v, _ld(_article_ld(v)) + "\n<style>.premium-only { display:none }</style>",
                       _ps(P[:2]) + '\n<div class="premium-only">\n' + _ps(P[2:]) + "\n</div>"))

    v = Variant("leaky-paywall", _path(7, "leaky-paywall-story"), "Marina berth fees to rise by a fifth",
                paragraphs=P, free=2, paywalled=True, kind="truncated", decided_by="wall",
                signals=("leaky-paywall:.leaky_paywall_message_wrap",), article_type="")
    out.append(_simple(v, "", _ps(P[:2]) + """
<div class="leaky_paywall_message_wrap"><div id="leaky_paywall_message">
<p>You have read all your free stories. To keep reading, become a member of The Harbour Herald.</p>
<p><a href="/subscribe">Join today</a></p></div></div>"""))

    v = Variant("piano", _path(8, "piano-inline-offer-story"), "Coastguard station gets new lookout",
                paragraphs=P, free=3, paywalled=True, kind="truncated", decided_by="wall",
                signals=("piano:.tp-container-inner", "piano:#pianoj_ribbon"), article_type="")
    out.append(_simple(v, '<script src="https://cdn.tinypass.com/api/tinypass.min.js"></script>',
                       _ps(P[:3]) + '\n<div class="tp-container-inner"><p>Unlock this story: 4 weeks for £1.</p></div>',
                       after='<div id="pianoj_ribbon"><p>Subscribe for unlimited access</p></div>'))

    v = Variant("several-jsonld-blocks", _path(9, "several-jsonld-blocks"), "Shipyard order secures 300 jobs",
                section="Business", free_signals=("jsonld:isAccessibleForFree=true",), tags=("Shipbuilding",),
                updated="2026-11-25T08:00:00+00:00")
    crumbs = {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": 1, "name": "Home", "item": "{base}/"},
        {"@type": "ListItem", "position": 2, "name": "Business", "item": "{base}/category/business"}]}
    org = {"@context": "https://schema.org", "@type": "NewsMediaOrganization", "name": PUBLISHER, "url": "{base}/"}
    page = {"@context": "https://schema.org", "@type": "WebPage", "name": v.title, "url": "{base}" + v.path}
    out.append(_simple(v, _ld(crumbs, org, _article_ld(v), page)))

    v = Variant("jsonld-og-disagree", _path(10, "jsonld-and-og-disagree"), "Town hall approves harbour budget",
                section="Politics", published="2026-11-24T18:30:00+00:00", free_signals=("jsonld:isAccessibleForFree=true",))
    og = "\n".join([
        '<meta property="og:type" content="article">',
        '<meta property="og:title" content="Budget approved! What it means for you">',
        '<meta property="article:published_time" content="2026-11-25T06:00:00+00:00">',
        '<meta property="article:section" content="Local">',
        '<meta name="author" content="Herald Reporter">',
    ])
    out.append(_simple(v, og + "\n" + _ld(_article_ld(v))))

    v = Variant("date-created", _path(11, "date-created-beside-published"), "Seafront lights switched on",
                published="2026-11-24T17:00:00+00:00", updated="2026-11-24T21:45:00+00:00",
                free_signals=("jsonld:isAccessibleForFree=true",))
    out.append(_simple(v, _ld(_article_ld(v, dateCreated="2026-11-23T10:00:00+00:00"))))

    v = Variant("no-jsonld-visible-only", _path(12, "byline-and-time-only"), "Beach clean draws record crowd",
                published="2026-11-22T10:30:00+00:00", paywalled=None, decided_by="none", article_type="")
    header = f"""<header class="entry-header">
<span class="cat-links"><a rel="category tag" href="/category/news">News</a></span>
<h1 class="entry-title">{esc(v.title)}</h1>
<div class="byline">By <a rel="author" href="/author/mary-quayle">Mary Quayle</a></div>
<time>Sunday 22 November 2026, 10:30</time>
</header>"""
    out.append(_simple(v, "", header=header))

    v = Variant("several-authors", _path(13, "several-authors"), "Inquiry into ferry fares opens",
                authors=(("Mary Quayle", "person"), ("Tomás Ruiz", "person"), ("Aoife Brennan", "person")),
                free_signals=("jsonld:isAccessibleForFree=true",))
    out.append(_simple(v, _ld(_article_ld(v))))

    v = Variant("organisation-author", _path(14, "organisation-author"), "Storm warning issued for the coast",
                authors=(("Press Association", "organization"), ("Mary Quayle", "person")),
                free_signals=("jsonld:isAccessibleForFree=true",))
    out.append(_simple(v, _ld(_article_ld(v)), header=f"""<header class="entry-header">
<span class="cat-links"><a rel="category tag" href="/category/news">News</a></span>
<h1 class="entry-title">{esc(v.title)}</h1><div class="byline">Press Association and Mary Quayle</div></header>"""))

    v = Variant("microdata", _path(15, "microdata-story"), "Lighthouse keeper retires after 40 years",
                section="Features", paragraphs=P, free=3, paywalled=True, kind="overlay", locked_in_page=True,
                updated="2026-11-25T12:00:00+00:00", tags=("Heritage", "People"),
                signals=("microdata:isAccessibleForFree=false", "microdata:hasPart=.locked-part"))
    micro = f"""<div itemscope itemtype="https://schema.org/NewsArticle">
<meta itemprop="isAccessibleForFree" content="False">
<meta itemprop="keywords" content="Heritage, People">
<meta itemprop="dateModified" content="2026-11-25T12:00:00+00:00">
<h1 itemprop="headline" class="entry-title">{esc(v.title)}</h1>
<span itemprop="articleSection">Features</span>
<span itemprop="author" itemscope itemtype="https://schema.org/Person"><span itemprop="name">Mary Quayle</span></span>
<time itemprop="datePublished" datetime="{v.published}">25 November 2026</time>
<div itemprop="hasPart" itemscope itemtype="https://schema.org/WebPageElement">
<meta itemprop="isAccessibleForFree" content="False"><meta itemprop="cssSelector" content=".locked-part"></div>
<div itemprop="articleBody" class="entry-content">
{_ps(P[:3])}
<div class="locked-part">
{_ps(P[3:])}
</div></div></div>"""
    v.html = _document(v, "", "", header="").replace('<div class="entry-content">\n\n</div>', micro)
    out.append(v)

    v = Variant("live-blog", _path(16, "live-blog-storm"), "Storm Bert live: harbour closed as gales hit the coast",
                article_type="LiveBlogPosting", paragraphs=P[:6], free=6, updated="2026-11-25T11:40:00+00:00",
                free_signals=("jsonld:isAccessibleForFree=true",))
    updates = []
    for n, (text_a, text_b) in enumerate(zip(P[:6:2], P[1:6:2])):
        updates.append(f'<div class="live-update" id="update-{n}"><h3><time datetime="2026-11-25T{9 + n:02d}:00:00+00:00">'
                       f'{9 + n:02d}:00</time> Update</h3>\n<p>{esc(text_a)}</p>\n<p>{esc(text_b)}</p></div>')
    live_ld = _article_ld(v, coverageStartTime=v.published, liveBlogUpdate=[
        {"@type": "BlogPosting", "headline": "Update", "datePublished": f"2026-11-25T{9 + n:02d}:00:00+00:00"} for n in range(3)])
    out.append(_simple(v, _ld(live_ld), "\n".join(updates)))

    v = Variant("gallery", _path(17, "gallery-regatta"), "In pictures: the winter regatta", section="Sport",
                article_type="ImageGallery", paragraphs=P[:1], free=1, lead_image="/media/regatta-1.jpg",
                free_signals=("jsonld:isAccessibleForFree=true",))
    figures = "\n".join(f'<figure><img src="/media/regatta-{n}.jpg" alt="Boats {n}"><figcaption><p>Boats rounding the buoy, picture {n}</p></figcaption></figure>'
                        for n in range(1, 6))
    out.append(_simple(v, _ld(_article_ld(v, image=["{base}/media/regatta-1.jpg", "{base}/media/regatta-2.jpg"])),
                       _ps(P[:1]) + "\n" + figures))

    amp_canonical = _path(18, "amp-pair-story")
    v = Variant("amp-canonical", amp_canonical, "Ferry timetable extended into spring", paragraphs=P, free=3,
                paywalled=True, kind="truncated", signals=("jsonld:isAccessibleForFree=false",))
    out.append(_simple(v, _ld(_article_ld(v)) + f'\n<link rel="amphtml" href="{{base}}{amp_canonical}/amp">'))
    v = Variant("amp-page", amp_canonical + "/amp", "Ferry timetable extended into spring", paragraphs=P, free=3,
                paywalled=True, kind="overlay", locked_in_page=True, canonical=amp_canonical,
                signals=("jsonld:isAccessibleForFree=false", "amp-subscriptions:content"))
    amp_head = (_ld(_article_ld(v)) + '\n<script async custom-element="amp-subscriptions" '
                'src="https://cdn.ampproject.org/v0/amp-subscriptions-0.1.js"></script>')
    amp_body = (_ps(P[:3]) + '\n<section subscriptions-section="content">\n' + _ps(P[3:]) + "\n</section>\n"
                '<section subscriptions-section="content-not-granted"><p>Subscribe to read the rest of this story.</p></section>')
    out.append(_simple(v, amp_head, amp_body, html_attrs=" ⚡"))

    latin = "Café owners’ £5 harbour levy row"
    for name, slug, content_type, charset in (
        ("iso-8859-1-header", "latin-1-with-charset-header", "text/html; charset=ISO-8859-1", ""),
        ("iso-8859-1-meta", "latin-1-with-meta-only", "text/html",
         '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'),
    ):
        v = Variant(name, _path(19, slug), latin.replace("’", "'") + (" (meta)" if charset else ""),
                    authors=(("Zoë Müller", "person"),), encoding="iso-8859-1", content_type=content_type,
                    paragraphs=("Le café du port says the £5 levy is unfair, according to Zoë.",) + P[1:4], free=4,
                    free_signals=("jsonld:isAccessibleForFree=true",))
        out.append(_simple(v, _ld(_article_ld(v)), charset=charset))

    v = Variant("invalid-jsonld", _path(1, "invalid-jsonld-story"), "Harbour dredging contract awarded",
                section="Business", published="2026-11-23T14:00:00+00:00", paywalled=None, decided_by="none", article_type="")
    broken = ('{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Harbour dredging contract awarded", '
              '"isAccessibleForFree": false "datePublished": "2026-11-23T14:00:00Z"')
    og = "\n".join([
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{esc(v.title)}">',
        '<meta property="article:published_time" content="2026-11-23T14:00:00+00:00">',
        '<meta property="article:section" content="Business">',
    ])
    out.append(_simple(v, og + "\n" + _ld(broken)))

    german = ("Der Stadtrat hat am Dienstag beschlossen, die Hafenfähre auch im Winter fahren zu lassen.",
              "Rund 900 Fahrgäste nutzen die Verbindung täglich, darunter viele Pendler und Schulkinder.",
              "Die Betreiber hatten vor steigenden Treibstoffkosten und fehlendem Personal gewarnt.",
              "Die Opposition kritisierte, die Entscheidung komme für viele Familien zu spät.")
    v = Variant("non-english", _path(2, "hafenfaehre-bleibt"), "Hafenfähre fährt auch im Winter", section="Politik",
                language="de", published="2026-11-25T08:15:00+00:00", authors=(("Jürgen Weiß", "person"),),
                paragraphs=german, free=2, paywalled=True, kind="truncated",
                signals=("jsonld:isAccessibleForFree=false", "generic:paywall"))
    node = _article_ld(v, inLanguage="de", datePublished=None)
    header = f"""<header class="entry-header">
<span class="cat-links"><a rel="category tag" href="/category/politik">Politik</a></span>
<h1 class="entry-title">{esc(v.title)}</h1>
<div class="byline">Von <a rel="author" href="/author/juergen-weiss">Jürgen Weiß</a></div>
<time>25. November 2026, 08:15 Uhr</time></header>"""
    out.append(_simple(v, _ld(node), _ps(german[:2]) + '\n<div class="paywall-hinweis"><p>Jetzt weiterlesen mit Herald+</p></div>',
                       header=header))
    return out


_HOME_SPLIT = 12


def _listing(title: str, links: list[Variant], head: str = "") -> str:
    items = "\n".join(f'<li><a href="{v.path}">{esc(v.title)}</a></li>' for v in links)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)} | {PUBLISHER}</title>
<meta property="og:type" content="website">
<link rel="alternate" type="application/rss+xml" title="{PUBLISHER}" href="/feed/">
{head}
</head><body><header role="banner"><nav><a href="/">Home</a> <a href="/login">Log in</a>
<a href="https://elsewhere.example/news">Another paper</a> <a href="/wp-login.php">Staff</a></nav></header>
<main><h1>{esc(title)}</h1><ul class="river">
{items}
</ul></main></body></html>
"""


def build_variants() -> Site:
    """Every variant page with its truth, plus listings, a sitemap and a feed for generic discovery."""
    pages: dict[str, Page] = {}
    truth = {}
    all_variants = variants()
    for v in all_variants:
        body = v.html.encode(v.encoding, errors="strict")
        pages[v.path] = Page(status=200, headers=[("Content-Type", v.content_type)], body=body)
        truth[v.path] = v.truth()
    sitemap_only, feed_only = all_variants[-1], all_variants[-2]
    listed = [v for v in all_variants if v not in (sitemap_only, feed_only)]
    pages["/"] = _page(_listing(PUBLISHER, listed[:_HOME_SPLIT], '<link rel="next" href="/page/2/">'))
    pages["/page/2/"] = _page(_listing(f"{PUBLISHER}: page 2", listed[_HOME_SPLIT:]))
    pages["/sitemap.xml"] = _page(
        '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "".join(f"<url><loc>{{base}}{v.path}</loc></url>\n" for v in (sitemap_only, listed[0]))
        + "</urlset>\n", content_type="application/xml")
    pages["/feed/"] = _page(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>{PUBLISHER}</title>'
        f"<link>{{base}}/</link>\n"
        + "".join(f"<item><title>{esc(v.title)}</title><link>{{base}}{v.path}</link></item>\n" for v in (feed_only, listed[1]))
        + "</channel></rss>\n", content_type="application/rss+xml")
    pages["/robots.txt"] = _page("User-agent: *\nDisallow: /subscribe\n", content_type="text/plain")
    for key, members in _taxonomy(all_variants).items():  # category, tag and author pages: listings
        pages[key] = _page(_listing(key.rsplit("/", 1)[-1].replace("-", " ").title(), members))
    return Site(pages=pages, truth=truth, robots_disallowed=["/subscribe"],
                not_found=Page(status=404, headers=[("Content-Type", HTML)], body=b"<html><body>Not found</body></html>"),
                links={"sitemap_only": (sitemap_only.path,), "feed_only": (feed_only.path,),
                       "rel_next_only": tuple(v.path for v in listed[_HOME_SPLIT:])})


def _taxonomy(all_variants: list[Variant]) -> dict[str, list[Variant]]:
    """Every /category/, /tag/ and /author/ link the pages carry, with the stories that carry it."""
    found: dict[str, list[Variant]] = {}
    for v in all_variants:
        for href in re.findall(r'href="(/(?:category|tag|author)/[^"]+)"', v.html):
            members = found.setdefault(quote(href, safe="/"), [])
            if v not in members:
                members.append(v)
    return found


def _page(text: str, content_type: str = HTML) -> Page:
    return Page(status=200, headers=[("Content-Type", content_type)], body=text.encode("utf-8"))


__all__ = ["PUBLISHER", "Variant", "build_variants", "variants"]
