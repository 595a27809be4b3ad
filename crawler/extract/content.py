"""The article's text blocks on a page no profile selector describes: one pass over the tree.

The page is cut into text blocks as a reader sees them (a paragraph, a heading, a list item, the text
a <div> holds between its child blocks), each with its length and the length of its links, counted in
characters so that scripts without spaces count alike. Blocks that read like prose (long enough, few
of their characters in links, outside navigation, asides, comments, share bars…) score their length,
and blocks of chrome (link lists, menus, short scraps) cost part of theirs. Each
element's score is the sum over the blocks under it, so the element with the highest score is the
tightest box holding the article's prose: the one parent of a body split over sibling blocks, not
one of them, and not the whole page with its menus. The article is that element's readable blocks.

Everything is read in the same walk (no XPath or CSS scan per candidate); recursion stops at
`MAX_DEPTH` levels, and no regular expression sees more than one class attribute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from lxml.html import HtmlElement

from .budget import Budget
from .text import element_text

# Elements whose text is never article text, with everything inside them.
_SKIP = frozenset({
    "script", "style", "noscript", "template", "nav", "button", "select", "textarea",
    "iframe", "svg", "math", "figure", "figcaption", "label", "dialog", "menu", "object", "embed",
    "video", "audio", "canvas", "map", "head", "title", "meta", "link", "input", "option",
})
# Elements that hold chrome unless they hold most of the page's prose (ASP.NET wraps pages in a <form>).
_CHROME_TAGS = frozenset({"form", "header", "footer", "aside"})
_ARTICLE_TAGS = frozenset({"article", "main", "body", "html"})
_PAGE_TAGS = frozenset({"body", "html"})
# Elements that start a new text block; inline elements (a, span, em, b, br…) add to their block's text.
_BLOCK = frozenset({
    "p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4",
    "h5", "h6", "blockquote", "pre", "table", "tr", "td", "th", "tbody", "thead", "center", "body", "html",
    "address", "details", "summary", "hr", "fieldset", "hgroup", "form", "header", "footer", "aside",
})
_HEADINGS = frozenset({"h2", "h3", "h4", "h5", "h6"})
_ALL_HEADINGS = _HEADINGS | {"h1"}
_PROSE = frozenset({"p", "div", "blockquote", "pre", "td", "dd", "section", "article", "li", "center", "main"})
# class / id words of boxes that hold no article text (whole words of the attribute, split on - and _)
_CHROME_WORDS = frozenset({
    "comment", "comments", "share", "sharing", "social", "related", "newsletter", "promo", "promotion",
    "advert", "advertisement", "ad", "ads", "adslot", "sponsor", "sponsored", "sidebar", "breadcrumb",
    "breadcrumbs", "byline", "caption", "credit", "credits", "outbrain", "taboola", "disqus", "popular",
    "trending", "recommended", "recommendations", "footer", "nav", "navbar", "navigation", "menu", "cookie",
    "cookies", "modal", "popup", "subscribe", "signup", "tags", "tagline", "toolbar", "widget", "banner",
    "masthead", "dateline", "timestamp", "author", "authors", "bio", "pagination", "pager", "print",
    "hidden", "visually", "sr", "screenreader", "skip", "jump", "login", "paywall",
    "rail", "most", "teaser", "teasers", "embed", "video", "gallery", "carousel", "slideshow", "tooltip",
    "disclaimer", "copyright", "legal", "meta", "metadata", "keywords", "topics", "readmore", "more",
    "signin", "subscription", "donate", "onward", "follow", "email", "feedback", "poll", "quiz",
    "standfirst", "dek", "subtitle", "subheadline", "strapline", "date", "published", "posted", "similar",
})
# chrome words that name chrome even run together with others ("relatedposts", "rightsidebar")
_CHROME_PARTS = ("related", "sidebar", "newsletter", "outbrain", "taboola", "advert")
# words of one short class/id value, camelCase split ("RightRail" -> right, rail): no nested repeats,
# so matching is linear
_WORDS_OF = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "dialog", "menu", "search"})

_SENTENCE_ENDS = frozenset('.!?"”’»)…')
PROSE_SIZE = 60  # characters: a shorter block is a scrap (a label, a caption, "Advertisement")
LINK_HEAVY = 0.4  # a block with more than this share of its characters in links is a link list…
LINK_HEAVY_LONG, LONG_SIZE = 0.7, 150  # …or, for a block of 150 characters or more, this share
# What a character of each kind of block costs the box holding it (prose gains 1 per character):
LINKS_WEIGHT = 1.5  # link lists cost more than prose gains: the box stays tight around the text
CHROME_WEIGHT = 0.3  # chrome is left out of the text anyway: a gallery inside the body must not split it
SCRAP_WEIGHT = 0.5  # short lines: datelines, labels, "Advertisement"
COST_CAP = 150  # characters a block can cost at most: a menu is many short blocks, one long block is not
MAX_DEPTH = 400  # below Python's recursion limit; lxml builds trees up to ~2,000 levels deep
CHECK_MASK = 1023  # look at the clock every 1,024 elements
# A chrome-named box is the article's wrapper when it holds the page's main run of paragraphs and
# more than CHROME_SHARE of its prose in three paragraphs or more, or more than WRAPPER_SHARE.
CHROME_SHARE, WRAPPER_SHARE, WRAPPER_PARAGRAPHS = 0.5, 0.8, 3


@dataclass(slots=True)
class Block:
    """Text a reader sees as one unit, and the element that holds it.

    `link_heavy` and `readable` are worked out once, when the block is made (`make_block`): every
    later stage asks them of every block, several times."""

    element: HtmlElement
    tag: str
    text: str
    size: int  # characters, the measure that works for every script (Japanese has no spaces)
    link_size: int
    heading: bool
    chrome: bool = False  # inside a box named as chrome (share bar, related links, comments…)
    link_heavy: bool = False  # mostly link text: a menu or a list of stories
    readable: bool = False  # prose as far as its own text tells: enough words, few of them links

    @property
    def words(self) -> int:
        return self.text.count(" ") + 1

    @property
    def prose(self) -> bool:
        return self.readable and not self.chrome


def make_block(element: HtmlElement, tag: str, text: str, link_size: int, heading: bool) -> Block:
    """A block with its flags: link-heavy when more than LINK_HEAVY of its characters are links (long
    items may link more of theirs), readable when long enough, not a heading, not link-heavy."""
    size = len(text)
    link_heavy = link_size > (LINK_HEAVY_LONG if size >= LONG_SIZE else LINK_HEAVY) * size
    readable = not heading and tag in _PROSE and size >= PROSE_SIZE and not link_heavy
    return Block(element, tag, text, size, link_size, heading, False, link_heavy, readable)


@dataclass(slots=True)
class Reading:
    """The blocks of a page in reading order and the block range of every block-level element."""

    blocks: list[Block] = field(default_factory=list)
    spans: dict[HtmlElement, tuple[int, int]] = field(default_factory=dict)  # element -> blocks[start:end]
    chrome_spans: list[tuple[HtmlElement, int, int]] = field(default_factory=list)
    scores: dict[HtmlElement, float] = field(default_factory=dict)


@lru_cache(maxsize=8192)
def _chrome_name(value: str) -> bool:
    """Whether a class or id value holds a chrome word (cached: pages repeat their class names)."""
    if len(value) >= 300:
        return False
    lowered = value.lower()
    return any(part in lowered for part in _CHROME_PARTS) or not _CHROME_WORDS.isdisjoint(
        word.lower() for word in _WORDS_OF.findall(value))


def _is_chrome_box(attributes: list[tuple[str, str]], tag: str) -> bool:
    """Whether an element's attributes (`element.items()`, one call) name it as chrome or hide it."""
    for name, value in attributes:
        if name == "class" or name == "id":
            if tag not in _ARTICLE_TAGS and value and _chrome_name(value):  # WordPress names its
                return True  # <article> "post author-jane category-promo …": not chrome
        elif name == "role":
            if value in _CHROME_ROLES:
                return True
        elif name == "hidden" or (name == "aria-hidden" and value == "true"):
            return True
        elif name == "style" and value:
            compact = value.replace(" ", "").lower()
            if "display:none" in compact or "visibility:hidden" in compact:
                return True
    return False


class _Walker:
    """One depth-first walk: blocks in reading order, the block range of each element."""

    def __init__(self, skip: frozenset[HtmlElement] | set[HtmlElement], budget: Budget | None) -> None:
        self.reading = Reading()
        self.budget = budget
        self.seen = 0
        self.skip = skip
        self.parts: list[str] = []
        self.link_parts: list[str] = []
        self.owner: HtmlElement | None = None
        self.owner_tag = ""
        self.heading = False

    def flush(self) -> None:
        """Close the text gathered so far as one block (the part lists are emptied in place: the
        walk holds them in locals)."""
        parts, link_parts = self.parts, self.link_parts
        if not parts or self.owner is None:
            parts.clear()
            link_parts.clear()
            return
        text = " ".join("".join(parts).split())
        links = " ".join(" ".join(link_parts).split()) if link_parts else ""
        parts.clear()
        link_parts.clear()
        if text:
            self.reading.blocks.append(make_block(self.owner, self.owner_tag, text, len(links), self.heading))

    def walk(self, element: HtmlElement, in_link: bool, depth: int) -> None:
        """Read one element (never a comment, never a `_SKIP` tag: the parent's loop leaves those out)."""
        tag = element.tag
        self.seen += 1
        if not self.seen & CHECK_MASK and self.budget is not None:
            self.budget.check("reading the page's blocks")
        parts, link_parts = self.parts, self.link_parts
        if depth > MAX_DEPTH:  # hostile nesting: the rest is one run of text, read without recursion
            parts.append(" " + element_text(element) + " ")
            return
        if self.skip and element in self.skip:
            return
        is_block = tag in _BLOCK or "-" in tag  # custom elements (<article-body>) are boxes too
        if tag in _CHROME_TAGS:
            chrome_box = True
        else:
            attributes = element.items()
            chrome_box = bool(attributes) and tag not in _PAGE_TAGS and _is_chrome_box(attributes, tag)
        saved = None
        blocks = self.reading.blocks
        if is_block or chrome_box:
            if parts:
                self.flush()
            saved = (self.owner, self.owner_tag, self.heading)
            if is_block:
                self.owner, self.owner_tag = element, tag
            if tag in _ALL_HEADINGS:
                self.heading = True
        start = len(blocks)
        link = in_link or tag == "a"
        text = element.text
        if text:
            parts.append(text)
            if link:
                link_parts.append(text)
        if len(element):
            for child in element:
                child_tag = child.tag
                if child_tag in _SKIP:
                    self.seen += 1
                elif child_tag.__class__ is str:
                    self.walk(child, link, depth + 1)
                tail = child.tail  # a skipped element's or a comment's tail is still text
                if tail:
                    parts.append(tail)
                    if link:
                        link_parts.append(tail)
        if saved is not None:
            if parts:
                self.flush()
            self.owner, self.owner_tag, self.heading = saved
            span = (start, len(blocks))
            if is_block:
                self.reading.spans[element] = span
            if chrome_box:
                self.reading.chrome_spans.append((element, *span))
        elif tag == "br":
            parts.append(" ")


def _value(block: Block) -> float:
    """What the block adds to (prose) or costs (everything else) each box around it."""
    if block.prose:
        return float(block.size)
    if block.heading and not block.chrome and block.link_size == 0:
        return 0.0
    size = min(block.size, COST_CAP)
    if block.link_heavy:
        return -LINKS_WEIGHT * size
    if block.chrome:
        return -CHROME_WEIGHT * size
    return -SCRAP_WEIGHT * size


def read_blocks(page: HtmlElement, skip: set[HtmlElement] | None = None, budget: Budget | None = None) -> Reading:
    """The page's text blocks and box scores (see the module docstring); `skip`: elements to leave out."""
    walker = _Walker(skip or set(), budget)
    body = page.find("body") if page.tag == "html" else page
    root = body if body is not None else page
    if isinstance(root.tag, str) and root.tag not in _SKIP:
        walker.walk(root, False, 0)
    walker.flush()
    reading = walker.reading
    blocks = reading.blocks
    # A box named as chrome that holds most of the page's prose is the article's wrapper
    # (class="content paywall", "page-ad-margins"), not chrome.
    readable, paragraphs = [0], [0]
    for block in blocks:
        readable.append(readable[-1] + (block.size if block.readable else 0))
        paragraphs.append(paragraphs[-1] + block.readable)
    total = readable[-1]
    around_main = _around_main_cluster(blocks)
    for box, start, end in reading.chrome_spans:
        share = (readable[end] - readable[start]) / total if total else 0.0
        few = paragraphs[end] - paragraphs[start] < WRAPPER_PARAGRAPHS
        if share <= CHROME_SHARE or (share < WRAPPER_SHARE and few) or box not in around_main:
            for block in blocks[start:end]:
                block.chrome = True
    sums = [0.0]
    for block in blocks:
        sums.append(sums[-1] + _value(block))
    reading.scores = {element: sums[end] - sums[start] for element, (start, end) in reading.spans.items()}
    return reading


def _around_main_cluster(blocks: list[Block]) -> set[HtmlElement]:
    """The element whose child blocks hold the most prose (the article's run of paragraphs) and its
    ancestors: a chrome-named box is the article's wrapper only if it is one of them (a rail of
    teasers may hold more prose than the article, but in many small clusters)."""
    clusters: dict[HtmlElement, int] = {}
    for block in blocks:
        if block.readable:
            parent = block.element.getparent()
            if parent is not None:
                clusters[parent] = clusters.get(parent, 0) + block.size
    if not clusters:
        return set()
    best = max(clusters, key=clusters.__getitem__)
    return {best, *best.iterancestors()}


def main_box(reading: Reading) -> HtmlElement | None:
    """The element with the highest score: the tightest box around the article's prose."""
    best, best_score = None, 0.0
    for element, score in reading.scores.items():
        if score > best_score:
            best, best_score = element, score
    return best


def article_blocks(reading: Reading, box: HtmlElement) -> list[Block]:
    """The readable blocks inside `box`: prose, headings and short lines between prose, in order;
    scraps before the first and after the last paragraph of prose (datelines, "Read more") dropped."""
    start, end = reading.spans[box]
    inside = reading.blocks[start:end]
    kept = [b for b in inside if not b.chrome and not b.link_heavy and b.tag != "h1"
            and not (b.heading and b.element.find(".//time") is not None)]  # a live blog's time stamps
    prose_at = [n for n, b in enumerate(kept) if b.prose]
    if not prose_at:
        return []
    first, last = prose_at[0], prose_at[-1]
    # a short sentence right before the first or after the last paragraph of prose is the article's
    while first > 0 and _sentence(kept[first - 1]):
        first -= 1
    while last < len(kept) - 1 and _sentence(kept[last + 1]):
        last += 1
    return kept[first:last + 1]


def _sentence(block: Block) -> bool:
    """A short paragraph that reads as a sentence (not a dateline, a byline or a label)."""
    return block.tag == "p" and block.words >= 3 and block.text[-1] in _SENTENCE_ENDS
