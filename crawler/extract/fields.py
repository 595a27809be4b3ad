"""Metadata fields, each from the strongest source present, weaker ones as fallbacks.

Precedence, for every field:

1. the profile's selectors for the field (a publisher's known markup overrides everything),
2. JSON-LD (the article node of any block or `@graph`; references by `@id` resolved),
3. microdata (itemscope/itemprop),
4. Open Graph / `article:` / other `<meta>` tags,
5. visible markup found by generic rules (`<h1>`, bylines, `<time>`, `rel=tag` links),
6. the URL (dates in paths such as /2026/nov/25/, through htmldate).

The canonical URL is the exception: `<link rel=canonical>`, then og:url, then JSON-LD url.
Each field's winning source is recorded in `Article.extra["sources"]`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from lxml.html import HtmlElement

from crawler.sites import SiteProfile
from archive.urls import canonical_url

from .article import Author
from .dates import iso_to_utc, page_date, text_to_utc
from .dom import css, css_any, first_match, first_text, self_matcher, tagged, xpath
from .jsonld import ARTICLE_TYPES, author_entries, image_url, keywords, text_value
from .names import clean_people, strip_site_name, without_kicker, words_shared
from .text import collapse, element_text

LONGEST_DATE = 80  # characters of visible text worth giving to the date parser
AGREEMENT = 0.6  # share of the displayed headline's words the metadata must repeat

# Generic visible markup (precedence 5), used when the profile names nothing better.
VISIBLE_BYLINE_NAMES = ("a[rel~=author]", "[rel~=author]", ".byline a", ".byline__name", ".author-name")
VISIBLE_BYLINE = (".byline", "[class*=byline]", ".author", ".article-author")
VISIBLE_DATE = ("article time[datetime]", "main time[datetime]", "time[datetime]", "article time", "time",
                ".published", ".dateline", ".date", "[class*=date]")
VISIBLE_SECTION = ("a[rel~=category]", ".breadcrumb li:last-child a", "[class*=kicker]", "a[class*=section]")
VISIBLE_STANDFIRST = (".standfirst", "[class*=standfirst]", ".dek", ".article-summary", ".subheadline")
VISIBLE_TAGS = ("a[rel~=tag]:not([rel~=category])",)  # WordPress marks its category links "category tag"
VISIBLE_IMAGE = ("article figure img", "main figure img")
META_AUTHORS = ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "byl")
META_PUBLISHED = ("article:published_time", "og:article:published_time", "datepublished", "pubdate",
                  "publish-date", "parsely-pub-date", "sailthru.date", "dc.date", "dc.date.issued", "date")
META_MODIFIED = ("article:modified_time", "og:updated_time", "datemodified", "last-modified")
META_LANGUAGE = ("og:locale", "content-language", "dc.language", "language")

Found = tuple[str, str]  # (value, where it came from)


@dataclass(slots=True)
class Sources:
    """What the page offers, read once per page and shared by every field."""

    page: HtmlElement
    url: str
    profile: SiteProfile
    node: dict[str, Any]  # the JSON-LD article node ({} if none)
    index: dict[str, dict[str, Any]]  # JSON-LD nodes by @id
    micro: dict[str, Any]  # the microdata article item ({} if none)
    meta: dict[str, str]
    similar_starts: list[HtmlElement]
    _skip: set[HtmlElement] | None = None
    _in_chrome: dict[HtmlElement, bool] | None = None

    @property
    def skip(self) -> set[HtmlElement]:
        """Similar-stories blocks and the profile's chrome (navigation, appeals, newsletter boxes):
        never a source of visible bylines, tags, dates or sections. Found on first use only."""
        if self._skip is None:
            self._skip = set(self.similar_starts)
            self._skip.update(css_any(self.page, self.profile.chrome.selectors))
        return self._skip

    def structured(self, prop: str) -> list[tuple[str, Any]]:
        """(source, value) of one schema.org property, JSON-LD first, then microdata."""
        found = []
        for source, node in (("jsonld", self.node), ("microdata", self.micro)):
            value = node.get(prop)
            if value not in (None, "", []):
                found.append((f"{source}:{prop}", value))
        return found

    def outside_blocks(self, elements: list[HtmlElement]) -> list[HtmlElement]:
        """The elements not inside a `skip` block. The few candidates (and their ancestors, tested
        once each) are matched against the chrome selectors one by one: cheaper than finding every
        chrome element of the page, which only a selector with a combinator still needs."""
        if not elements:
            return elements
        if not self.profile.chrome.selectors:
            return [e for e in elements if not any(a in self.similar_starts for a in (e, *e.iterancestors()))]
        test = self_matcher(self.page, self.profile.chrome.selectors)
        if test is None:
            skip = self.skip
            return [e for e in elements if not any(a in skip for a in (e, *e.iterancestors()))]
        if self._in_chrome is None:
            self._in_chrome = {}
        known, starts = self._in_chrome, set(self.similar_starts)
        kept = []
        for element in elements:
            inside = False
            for node in (element, *element.iterancestors()):
                hit = known.get(node)
                if hit is None:
                    hit = known[node] = node in starts or bool(test(node))
                if hit:
                    inside = True
                    break
            if not inside:
                kept.append(element)
        return kept


def _clean(value: str) -> str:
    """Structured-data text: some CMSs HTML-escape it inside JSON."""
    return collapse(html.unescape(value)) if "&" in value else collapse(value)


def site_names(src: Sources) -> list[str]:
    """What the site calls itself: never an author, never part of a title."""
    names = [src.meta.get("og:site_name", ""), src.meta.get("application-name", ""), src.profile.publisher]
    for source, value in src.structured("publisher"):
        names.extend(name for name, _, _ in author_entries(value, src.index if source.startswith("jsonld") else None))
    return [name for name in names if name]


def _parent_tag(element: HtmlElement) -> str:
    parent = element.getparent()
    return parent.tag if parent is not None else ""


def in_body(element: HtmlElement) -> bool:
    """Whether the element is inside the page's <body> (what `//body//tag` selects)."""
    return any(node.tag == "body" for node in element.iterancestors())



_NOT_THE_ARTICLE = frozenset({"nav", "footer", "aside", "header"})


def _displayed_headline(src: Sources) -> tuple[str, str]:
    """The first <h1> with text inside <article> or <main>, else the first anywhere, outside
    navigation, footers, asides and Similar stories (one scan of the page for its <h1>s)."""
    candidates = []
    for element in filter(in_body, tagged(src.page, "h1")):
        ancestors = {node.tag for node in element.iterancestors()}
        if "header" in ancestors and "article" not in ancestors:
            ancestors.add("banner")  # the site's header, not the article's
        if ancestors & (_NOT_THE_ARTICLE - {"header"}) or "banner" in ancestors or element in src.similar_starts:
            continue
        text = element_text(element)
        if text:
            candidates.append((0 if ancestors & {"article", "main"} else 1, text))
    if not candidates:
        return "", ""
    rank, text = min(candidates, key=lambda found: found[0])
    return text, "article h1" if rank == 0 else "h1"


def title(src: Sources) -> Found:
    """The headline the reader sees: the profile's selector; else the page's <h1> when the page's
    metadata agrees it is the headline (not a logo or a section name), without a kicker; else
    og:title, the JSON-LD headline (often SEO wording), the <title>, with the site's name removed."""
    text, selector = first_text(src.page, src.profile.selectors.headline)
    if text:
        return text, f"css:{selector}"
    sites = site_names(src)
    structured = next(((_clean(text_value(value)), source) for prop in ("headline", "name")
                       for source, value in src.structured(prop) if text_value(value)), ("", ""))
    social = next(((strip_site_name(src.meta[key], sites), f"meta:{key}") for key in ("og:title", "twitter:title")
                   if src.meta.get(key)), ("", ""))
    head_title = collapse(next(("".join(element.itertext()) for element in tagged(src.page, "title")
                                if _parent_tag(element) == "head"), ""))
    head = strip_site_name(head_title, sites) if head_title else ""
    displayed, selector = _displayed_headline(src)
    references = [social[0], structured[0], head]
    one_word = len(displayed.split()) < 2 and displayed.lower() not in {r.lower() for r in references}
    if displayed and not one_word and words_shared(displayed, sites) < 1.0 and (
            words_shared(displayed, references) >= AGREEMENT or not any(references)):
        reference = social[0] or structured[0] or head
        return without_kicker(displayed, reference), f"visible:{selector}"
    for found in (social, structured):
        if found[0]:
            return found
    if displayed:
        return displayed, f"visible:{selector}"
    return head, "title" if head else ""


def section(src: Sources) -> Found:
    text, selector = first_text(src.page, src.profile.selectors.section)
    if text:
        return text, f"css:{selector}"
    for source, value in src.structured("articleSection"):
        if text_value(value):
            return _clean(text_value(value)), source
    if src.meta.get("article:section"):
        return src.meta["article:section"], "meta:article:section"
    for selector in VISIBLE_SECTION:
        for element in src.outside_blocks(css(src.page, selector)):
            text = element_text(element)
            if text:
                return text, f"visible:{selector}"
    return "", ""


def authors(src: Sources) -> tuple[tuple[Author, ...], str]:
    """Names by the precedence above; names read from the profile's byline take their kind
    (person / organisation) and URL from the structured data when it lists the same name. Every
    source's names are cleaned (`names.clean_people`); a source left with none (only the site's own
    name, an e-mail address) gives way to the next."""
    page, profile = src.page, src.profile
    sites = site_names(src)
    byline = first_match(page, profile.selectors.byline)
    if byline is not None:
        found: list[str] = []
        source = ""
        for selector in profile.selectors.byline_names:
            found = [t for t in (element_text(e) for e in css(byline, selector)) if t]
            if found:
                source = f"css:{selector}"
                break
        if not found:
            found, source = [element_text(byline)], "byline-text"
        known = {}
        for where, value in src.structured("author"):
            for name, kind, url in author_entries(value, src.index if where.startswith("jsonld") else None):
                known.setdefault(_clean(name).lower(), (kind, url))
        people = clean_people(((name, "person", "") for name in found), sites)
        if people:
            return _authors((name, *known.get(name.lower(), (kind, url))) for name, kind, url in people), source
    for source, value in src.structured("author"):
        entries = author_entries(value, src.index if source.startswith("jsonld") else None)
        people = clean_people(((_clean(n), k, u) for n, k, u in entries), sites)
        if people:
            return _authors(people), source
    for key in META_AUTHORS:
        value = src.meta.get(key, "")
        if value and "://" not in value:
            people = clean_people([(value, "person", "")], sites)
            if people:
                return _authors(people), f"meta:{key}"
    for selector in VISIBLE_BYLINE_NAMES:
        found = [t for t in (element_text(e) for e in src.outside_blocks(css(page, selector))) if t]
        people = clean_people(((name, "person", "") for name in found), sites)
        if people:
            return _authors(people), f"visible:{selector}"
    for selector in VISIBLE_BYLINE:
        for element in src.outside_blocks(css(page, selector)):
            people = clean_people([(element_text(element), "person", "")], sites)
            if people and len(people) <= 6:
                return _authors(people), f"visible:{selector}"
    return (), ""


def _authors(entries: Any) -> tuple[Author, ...]:
    seen: set[str] = set()
    result = []
    for name, kind, url in entries:
        if name and name.lower() not in seen:
            seen.add(name.lower())
            result.append(Author(name=name, kind=kind, url=url))
    return tuple(result)


def standfirst(src: Sources, first_paragraph: str) -> Found:
    text, selector = first_text(src.page, src.profile.selectors.standfirst)
    if text:
        return text, f"css:{selector}"
    candidates = [(source, text_value(value)) for source, value in src.structured("description")]
    candidates += [("meta:og:description", src.meta.get("og:description", "")),
                   ("meta:description", src.meta.get("description", ""))]
    for source, value in candidates:
        value = _clean(value)
        # A CMS-generated summary is the body's opening, not a standfirst.
        if value and not first_paragraph.startswith(value.rstrip("…. ")):
            return value, source
    text, selector = first_text(src.page, VISIBLE_STANDFIRST)
    if text and not first_paragraph.startswith(text):
        return text, f"visible:{selector}"
    return "", ""


def _element_date(element: HtmlElement, src: Sources, language: str) -> str | None:
    stamp = element.get("datetime") or element.get("content")
    moment = iso_to_utc(stamp, src.profile.timezone) if stamp else None
    if not moment:
        text = element_text(element)
        # a date is short: a long text in a "date" box is not one, and dateparser's time grows with it
        if text and len(text) <= LONGEST_DATE and any(ch.isdigit() for ch in text):
            moment = text_to_utc(text, src.profile.timezone, src.profile.date_formats, language)
    return moment


def published(src: Sources, language: str) -> Found:
    tz = src.profile.timezone
    for selector in src.profile.selectors.date:
        for found in css(src.page, selector):
            moment = _element_date(found, src, language)
            if moment:
                return moment, f"css:{selector}"
    for prop in ("datePublished", "dateCreated"):
        for source, value in src.structured(prop):
            moment = iso_to_utc(text_value(value), tz)
            if moment:
                return moment, source
    for key in META_PUBLISHED:
        value = src.meta.get(key)
        moment = iso_to_utc(value, tz) if value else None
        if moment:
            return moment, f"meta:{key}"
    for selector in VISIBLE_DATE:
        for found in src.outside_blocks(css(src.page, selector))[:3]:
            moment = _element_date(found, src, language)
            if moment:
                return moment, f"visible:{selector}"
    moment = page_date(src.page, src.url, tz)
    return (moment, "htmldate") if moment else ("", "")


def updated(src: Sources) -> str | None:
    tz = src.profile.timezone
    for source, value in src.structured("dateModified"):
        moment = iso_to_utc(text_value(value), tz)
        if moment:
            return moment
    for key in META_MODIFIED:
        value = src.meta.get(key)
        moment = iso_to_utc(value, tz) if value else None
        if moment:
            return moment
    return None


def tags(src: Sources) -> tuple[tuple[str, ...], str]:
    found: list[str] = []
    source = ""
    for selector in src.profile.selectors.tags:
        found = [t for t in (element_text(e) for e in css(src.page, selector)) if t]
        if found:
            source = f"css:{selector}"
            break
    if not found:
        for where, value in src.structured("keywords"):
            found = [_clean(word) for word in keywords(value)]
            if found:
                source = where
                break
    if not found:
        found = [collapse(v) for v in xpath(src.page, "//meta[@property='article:tag']/@content") if v.strip()]
        source = "meta:article:tag" if found else ""
    if not found:
        for key in ("news_keywords", "keywords"):
            if src.meta.get(key):
                found, source = [w.strip() for w in src.meta[key].split(",") if w.strip()], f"meta:{key}"
                break
    if not found:
        for selector in VISIBLE_TAGS:
            found = [t for t in (element_text(e) for e in src.outside_blocks(css(src.page, selector))) if t]
            if found:
                source = f"visible:{selector}"
                break
    seen: set[str] = set()
    unique = []
    for tag in found:
        if tag.lower() not in seen:
            seen.add(tag.lower())
            unique.append(tag)
    return tuple(unique), source


def language(src: Sources) -> Found:
    for source, value in src.structured("inLanguage"):
        text = text_value(value) if not isinstance(value, dict) else text_value(value.get("alternateName") or value.get("name"))
        if text:
            return _language_tag(text), source
    for key in META_LANGUAGE:
        if src.meta.get(key):
            return _language_tag(src.meta[key]), f"meta:{key}"
    lang = src.page.get("lang") or src.page.get("xml:lang") or ""
    if lang.strip():
        return _language_tag(lang), "html:lang"
    return src.profile.language, "profile"


def _language_tag(value: str) -> str:
    parts = value.strip().replace("_", "-").split("-")
    return "-".join([parts[0].lower(), *(p.upper() if len(p) == 2 else p for p in parts[1:])])


def publisher(src: Sources) -> str:
    for source, value in src.structured("publisher"):
        entries = author_entries(value, src.index if source.startswith("jsonld") else None)
        if entries:
            return _clean(entries[0][0])
    return src.meta.get("og:site_name") or src.profile.publisher


def article_type(node: dict[str, Any], micro: dict[str, Any]) -> str:
    kind = (node or micro or {}).get("@type", "")
    kinds = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
    names = [k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)]
    return next((name for name in names if name in ARTICLE_TYPES), "")


def canonical(src: Sources) -> Found:
    links = [link.get("href") for link in tagged(src.page, "link")
             if link.get("rel") == "canonical" and link.get("href") is not None]
    for source, value in (("link:canonical", links[0] if links else ""),
                          ("meta:og:url", src.meta.get("og:url", "")),
                          ("jsonld:url", text_value(src.node.get("url")))):
        if value.strip():
            return canonical_url(urljoin(src.url, value.strip())), source
    return canonical_url(src.url), "fetched"


def lead_image(src: Sources) -> tuple[str, str]:
    """(absolute image URL, caption)."""
    image = first_match(src.page, src.profile.selectors.lead_image)
    url = caption = ""
    if image is not None:
        url = image.get("src") or image.get("data-src") or ""
        caption = collapse(image.get("alt"))
    if not url:
        for _source, value in src.structured("image"):
            url, caption = image_url(value)
            if url:
                break
    url = url or src.meta.get("og:image", "")
    if not url:
        image = first_match(src.page, VISIBLE_IMAGE)
        if image is not None:
            url, caption = image.get("src") or image.get("data-src") or "", collapse(image.get("alt"))
    profile_caption, _ = first_text(src.page, src.profile.selectors.lead_image_caption)
    return (urljoin(src.url, url) if url else ""), profile_caption or caption
