"""The Clarion: a second publisher whose markup differs from the Morning Star's on purpose.

Date-based article URLs (/2026/nov/25/<slug>), "More stories" next links on listings
(/news/more/2), related links in an <aside> titled "More on this story", a Piano-style overlay
(.tp-modal, .tp-backdrop) with the locked text still in the page and named by JSON-LD `hasPart`,
server-truncated teasers with an inline Piano offer, hard-walled premium pieces, agency
(organisation) bylines, JSON-LD in `@graph` with `@id` references, British Summer Time dates.
It is crawled with its own profile file (`tests/site/clarion.toml`) and no code change.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from .chrome import esc
from .model import ArticleTruth, Page, Site
from .plan import _slugify
from .prose import Prose

LONDON = ZoneInfo("Europe/London")
LATEST = datetime(2026, 11, 25, 7, 15, tzinfo=UTC)
SECTIONS = (("/news", "News"), ("/politics", "Politics"), ("/business", "Business"), ("/culture", "Culture"))
PER_PAGE = 4
AGENCIES = ("PA Media", "Reuters", "Agence France-Presse")
TAGS = ("Trade unions", "Housing", "NHS", "Energy", "Rail", "Local government", "Pay", "Climate", "Theatre")
PUBLISHER = "The Clarion"
HTML = "text/html; charset=utf-8"
PROFILE_PATH = __file__.rsplit("/", 1)[0] + "/clarion.toml"


@dataclass(slots=True)
class Story:
    index: int
    path: str
    section_path: str
    section: str
    title: str
    standfirst: str
    people: tuple[str, ...]
    agency: str | None
    published: datetime
    modified: datetime
    paragraphs: list[str]
    kind: str | None  # None (free), "overlay", "truncated", "hard"
    free: int
    tags: tuple[str, ...]
    image: str
    caption: str
    graph: bool
    related: list[str] = field(default_factory=list)
    listed: bool = True

    @property
    def authors(self) -> tuple[str, ...]:
        return self.people + ((self.agency,) if self.agency else ())

    @property
    def kinds(self) -> tuple[str, ...]:
        return ("person",) * len(self.people) + (("organization",) if self.agency else ())


def _path(moment: datetime, slug: str) -> str:
    local = moment.astimezone(LONDON)
    return f"/{local.year}/{local:%b}".lower() + f"/{local.day:02d}/{slug}"


def plan(n: int, seed: int) -> list[Story]:
    rng = random.Random(seed)
    prose = Prose(rng)
    stories: list[Story] = []
    seen: set[str] = set()
    when = LATEST
    kinds = (None, "overlay", "truncated", "hard")
    for index in range(n):
        section_path, section = SECTIONS[index % len(SECTIONS)]
        title = prose.headline()
        slug = _slugify(title)
        while slug in seen:
            slug = f"{slug}-{rng.randint(2, 99)}"
        seen.add(slug)
        paragraphs = [prose.paragraph() for _ in range(rng.randint(5, 12))]
        kind = kinds[index % 4] if index < 8 else rng.choice(kinds + (None, None))
        free = len(paragraphs) if kind is None else 0 if kind == "hard" else rng.randint(2, 4)
        people = tuple(prose.person() for _ in range(rng.choice((1, 1, 2, 3))))
        agency = AGENCIES[index % 3] if index % 5 == 1 else None
        if index % 9 == 4:
            people = ()
            agency = agency or AGENCIES[0]
        stories.append(Story(
            index=index, path=_path(when, slug), section_path=section_path, section=section, title=title,
            standfirst=prose.standfirst(), people=people, agency=agency, published=when,
            modified=when + timedelta(minutes=rng.randint(5, 300)), paragraphs=paragraphs, kind=kind,
            free=free, tags=tuple(rng.sample(TAGS, rng.randint(1, 3))),
            image=f"/img/media/{slug[:20]}/master/1200.jpg", caption=prose.sentence().rstrip("."),
            graph=index % 2 == 1,
        ))
        when -= timedelta(hours=rng.randint(3, 30), minutes=rng.randint(0, 59))
    stories[5].listed = False  # reachable only through "More on this story"
    listed = [s for s in stories if s.listed]
    for story in stories:
        story.related = [s.path for s in rng.sample([s for s in listed if s is not story], 3)]
    if all(stories[5].path not in s.related for s in stories):
        stories[0].related.append(stories[5].path)
    return stories


def _iso(moment: datetime, utc_z: bool) -> str:
    if utc_z:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.astimezone(LONDON).isoformat(timespec="seconds")


def _jsonld(story: Story) -> str:
    people = [{"@type": "Person", "name": name, "url": "{base}/profile/" + _slugify(name)} for name in story.people]
    agency = [{"@type": "Organization", "name": story.agency}] if story.agency else []
    article: dict[str, object] = {
        "@type": "NewsArticle",
        "headline": story.title,
        "description": story.standfirst,
        "datePublished": _iso(story.published, story.graph),
        "dateModified": _iso(story.modified, story.graph),
        "articleSection": story.section,
        "keywords": ", ".join(story.tags) if story.graph else list(story.tags),
        "inLanguage": "en-GB",
        "image": {"@type": "ImageObject", "url": "{base}" + story.image, "caption": story.caption},
        "mainEntityOfPage": "{base}" + story.path,
        "isAccessibleForFree": story.kind is None,
    }
    if story.kind == "overlay":
        article["hasPart"] = {"@type": "WebPageElement", "isAccessibleForFree": False,
                              "cssSelector": ".paywalled-content"}
    publisher = {"@type": "NewsMediaOrganization", "@id": "{base}/#publisher", "name": PUBLISHER,
                 "logo": {"@type": "ImageObject", "url": "{base}/static/logo.png"}}
    if not story.graph:
        article["author"] = people + agency
        article["publisher"] = publisher
        return json.dumps({"@context": "https://schema.org", **article}, ensure_ascii=False)
    ids = []
    nodes: list[dict[str, object]] = []
    for number, person in enumerate(people + agency):
        ident = f"{{base}}/#author-{number}"
        nodes.append({"@id": ident, **person})
        ids.append({"@id": ident})
    article["author"] = ids
    article["publisher"] = {"@id": "{base}/#publisher"}
    article["@id"] = "{base}" + story.path + "#article"
    graph = [{"@type": "WebPage", "@id": "{base}" + story.path, "name": story.title}, article, *nodes, publisher]
    return json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False)


def _byline(story: Story) -> str:
    parts = [f'<a rel="author" href="/profile/{_slugify(name)}">{esc(name)}</a>' for name in story.people]
    if story.agency:
        parts.append(f'<span class="agency">{esc(story.agency)}</span>')
    joined = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f'<address class="content__byline">By {joined}</address>'


def _visible_time(moment: datetime) -> str:
    local = moment.astimezone(LONDON)
    return (f'<time class="content__dateline" datetime="{local.isoformat(timespec="seconds")}">'
            f'{local:%a} {local.day} {local:%b %Y %H.%M} {local.tzname()}</time>')


def _body(story: Story) -> str:
    paragraphs = [f"<p>{esc(text)}</p>" for text in story.paragraphs]
    free = paragraphs[:story.free]
    if len(free) > 2:
        free.insert(2, '<aside class="element-rich-link"><p>Related: <a href="/news">Latest news from the Clarion</a></p></aside>')
    if story.kind == "overlay":
        free.append('<div class="paywalled-content">\n' + "\n".join(paragraphs[story.free:]) + "\n</div>")
    elif story.kind == "truncated":
        free.append('<div class="tp-container-inner"><p>Read the rest of this story with a Clarion subscription from £1 a week.</p></div>')
    return '<div class="content__article-body">\n' + "\n".join(free) + "\n</div>"


def _piano_overlay() -> str:
    return """<div class="tp-backdrop tp-active"></div>
<div class="tp-modal" role="dialog"><div class="tp-iframe-wrapper"><h2>Support independent journalism</h2>
<p>You’ve read all your free articles this month. Subscribe to keep reading The Clarion.</p>
<a class="tp-button" href="/subscribe">Subscribe</a></div></div>"""


def _chrome_top() -> str:
    links = "".join(f'<li><a href="{path}">{name}</a></li>' for path, name in SECTIONS)
    return f"""<header class="masthead" role="banner"><a class="logo" href="/">The Clarion</a>
<nav class="pillars"><ul>{links}<li><a href="/subscribe">Subscribe</a></li><li><a href="/login">Sign in</a></li></ul></nav></header>"""


def _chrome_bottom() -> str:
    return """<footer class="site-footer"><p>© 2026 The Clarion. All rights reserved.</p>
<ul><li><a href="/about">About us</a></li><li><a href="/help/terms">Terms</a></li><li><a href="https://twitter.com/theclarion">Twitter</a></li></ul></footer>"""


def _document(title: str, head: str, main: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>{esc(title)} | The Clarion</title>
{head}
<script src="https://cdn.tinypass.com/api/tinypass.min.js" async></script>
</head><body>
{_chrome_top()}
<main id="maincontent">
{main}
</main>
{_chrome_bottom()}
</body></html>
"""


def render_story(story: Story, by_path: dict[str, Story]) -> str:
    head = "\n".join([
        f'<link rel="canonical" href="{{base}}{story.path}">',
        '<meta property="og:type" content="article">',
        f'<meta property="og:title" content="{esc(story.title)}">',
        f'<meta property="og:site_name" content="{PUBLISHER}">',
        f'<meta property="og:image" content="{{base}}{story.image}">',
        f'<meta property="article:section" content="{esc(story.section)}">',
        f'<meta property="article:published_time" content="{_iso(story.published, False)}">',
        *(f'<meta property="article:tag" content="{esc(tag)}">' for tag in story.tags),
        f'<script type="application/ld+json">{_jsonld(story)}</script>',
    ])
    related = "\n".join(
        f'<li><a href="{target}"><span class="more-on__headline">{esc(by_path[target].title)}</span></a> '
        f'<time datetime="{_iso(by_path[target].published, False)}">{by_path[target].published.astimezone(LONDON):%d %b %Y}</time></li>'
        for target in story.related
    )
    tags = "".join(f'<li><a rel="tag" href="/tag/{_slugify(tag)}">{esc(tag)}</a></li>' for tag in story.tags)
    main = f"""<article class="content">
<div class="content__header">
<a class="content__section-label" href="{story.section_path}">{esc(story.section)}</a>
<h1 class="content__headline">{esc(story.title)}</h1>
<div class="content__standfirst"><p>{esc(story.standfirst)}</p></div>
{_byline(story)}
{_visible_time(story.published)}
</div>
<figure class="content__main-media"><img src="{story.image}" alt="{esc(story.caption)}"><figcaption>{esc(story.caption)}</figcaption></figure>
{_body(story)}
<div class="submeta"><ul class="submeta__tags">{tags}</ul></div>
</article>
<aside class="more-on-this-story"><h2>More on this story</h2><ul>
{related}
</ul></aside>
{_piano_overlay() if story.kind in ("overlay", "hard") else ""}"""
    return _document(story.title, head, main)


def _listing(path: str, name: str, stories: list[Story]) -> dict[str, str]:
    chunks = [stories[i:i + PER_PAGE] for i in range(0, len(stories), PER_PAGE)] or [[]]
    pages = {}
    for number, chunk in enumerate(chunks, start=1):
        key = path if number == 1 else f"{path.rstrip('/')}/more/{number}"
        cards = "\n".join(
            f'<div class="fc-item"><a class="fc-item__link" href="{s.path}"><span class="fc-item__kicker">{esc(s.section)}</span> '
            f'{esc(s.title)}</a></div>' for s in chunk
        )
        more = (f'<a class="more-stories" href="{path.rstrip("/")}/more/{number + 1}">More stories</a>'
                if number < len(chunks) else "")
        main = f'<h1 class="index-page-header">{esc(name)}</h1>\n<section class="fc-container">\n{cards}\n</section>\n{more}'
        pages[key] = _document(name, f'<link rel="canonical" href="{{base}}{key}"><meta property="og:type" content="website">', main)
    return pages


def _truth(story: Story) -> ArticleTruth:
    free = story.paragraphs[:story.free]
    signals: tuple[str, ...] = ()
    if story.kind == "overlay":
        signals = ("piano:.tp-modal", "jsonld:isAccessibleForFree=false", "jsonld:hasPart=.paywalled-content")
    elif story.kind == "truncated":
        signals = ("piano:.tp-container-inner", "jsonld:isAccessibleForFree=false")
    elif story.kind == "hard":
        signals = ("piano:.tp-modal", "jsonld:isAccessibleForFree=false")
    return ArticleTruth(
        path=story.path, title=story.title, section=story.section,
        published_at=story.published.astimezone(UTC).isoformat(), authors=story.authors,
        standfirst=story.standfirst, paywalled=story.kind is not None, paywall_kind=story.kind,
        free_text="\n\n".join(free), free_paragraphs=len(free), similar=tuple(story.related),
        only_via_similar=not story.listed, encoding="utf-8", reachable=True, template="clarion",
        variants=("clarion", f"paywall:{story.kind}", "jsonld:@graph" if story.graph else "jsonld:block"),
        updated_at=story.modified.astimezone(UTC).isoformat(), author_kinds=story.kinds, tags=story.tags,
        language="en-GB", publisher=PUBLISHER, lead_image=story.image, article_type="NewsArticle",
        locked_text_in_page=story.kind == "overlay", signals=signals,
        free_signals=("jsonld:isAccessibleForFree=true",) if story.kind is None else (),
        decided_by="wall" if story.kind else "declared", conflict=False,
    )


def build_clarion(n_articles: int = 24, seed: int = 2) -> Site:
    """The Clarion's pages and truth: `n_articles` (at least 12) stories in four sections."""
    if n_articles < 12:
        raise ValueError("n_articles must be at least 12 to hold every special case")
    stories = plan(n_articles, seed)
    by_path = {s.path: s for s in stories}
    pages: dict[str, Page] = {}

    def page(text: str, status: int = 200, content_type: str = HTML) -> Page:
        return Page(status=status, headers=[("Content-Type", content_type), ("Cache-Control", "max-age=60")],
                    body=text.encode("utf-8"))

    for story in stories:
        pages[story.path] = page(render_story(story, by_path))
    listed = [s for s in stories if s.listed]
    for path, name in SECTIONS:
        for key, text in _listing(path, name, [s for s in listed if s.section_path == path]).items():
            pages[key] = page(text)
    pages["/"] = page(_listing("/", PUBLISHER, listed[:PER_PAGE])["/"])
    pages["/robots.txt"] = page("User-agent: *\nDisallow: /subscribe\nDisallow: /login\n", content_type="text/plain")
    return Site(pages=pages, truth={s.path: _truth(s) for s in stories}, robots_disallowed=["/subscribe", "/login"],
                not_found=page("<html><body><h1>Not found</h1></body></html>", status=404))
