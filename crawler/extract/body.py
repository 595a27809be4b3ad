"""Free text and paywall: walk the body in document order and stop where the paywall begins.

The body is the profile's body elements, or on a page no selector describes the box the block
reader (`content`) finds, read block by block. The free part ends at the first paywall element
(overlay, locked part, wall message — see `paywall`) or the Similar stories block, whichever comes
first — a Similar-stories heading inside the reader's box ends nothing when prose follows it;
chrome (appeal, newsletter, menus) is skipped wherever it sits, even inside the body after
malformed HTML moved it there.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml.html import HtmlElement

from crawler.sites import SiteProfile

from .article import PaywallMarker
from .budget import Budget
from .content import Block, article_blocks, main_box, read_blocks
from .dom import by_selector, css, css_any, xpath
from .paywall import DECLARED, HIDDEN, LOCKED, MESSAGE, WEAK, Evidence, decide, mark_hidden, settle_meter
from .text import element_text, word_count

_SCOPED_TEXT_XPATH = ".//text()[contains(., $marker)]/parent::*[not(self::script or self::style)]"
HINT_SHARE = 0.8  # a hinted body element must hold this share of the reader's prose
_BLOCKS = frozenset({"div", "section", "aside", "form", "ul", "ol", "li", "figure", "table", "header", "footer"})


@dataclass(frozen=True, slots=True)
class Body:
    """Free paragraphs and the paywall verdict for one page."""

    paragraphs: tuple[str, ...]
    paywall: PaywallMarker


@dataclass(frozen=True, slots=True)
class Container:
    """Where the article's text is: the profile's body elements (every match of the first body
    selector that matches, in page order), or the box the block reader found, with its blocks."""

    roots: tuple[HtmlElement, ...]
    from_profile: bool
    blocks: tuple[Block, ...] = ()  # the reader's article blocks (when not from the profile)
    page_prose: int = 0  # characters of prose on the whole page (when not from the profile)

    @property
    def root(self) -> HtmlElement | None:
        return self.roots[0] if self.roots else None


def find_container(page: HtmlElement, profile: SiteProfile, budget: Budget | None = None) -> Container:
    """The profile's body elements holding paragraphs, else the block reader's main box.

    The body selectors of a profile that reads any site (`urls.articles_by_markup`) are only a hint:
    when the reader's box holds clearly more prose than the elements they match (a selector naming
    one of several sibling blocks, or a teaser), the reader's box wins."""
    empty: list[HtmlElement] = []
    chosen: list[HtmlElement] = []
    for _selector, found in by_selector(page, profile.selectors.body):
        # outermost matches only: a body selector may match nested elements too
        found_set = set(found)
        outer = [e for e in found if not any(a in found_set for a in e.iterancestors())]
        chosen = [e for e in outer if xpath(e, "boolean(.//p)")]
        if chosen:
            break
        empty = empty or outer
    if chosen and not profile.articles_by_markup:
        return Container(tuple(chosen), True)
    if empty and not chosen and not profile.articles_by_markup:  # a body element without text: a hard paywall
        return Container(tuple(empty[:1]), True)
    reading = read_blocks(page, budget=budget)
    box = main_box(reading)
    if box is None:
        if empty and not chosen:
            return Container(tuple(empty[:1]), True)
        return Container(tuple(chosen), bool(chosen))
    blocks = tuple(article_blocks(reading, box))
    in_chosen = 0
    if chosen:
        chosen_set = set(chosen)
        in_chosen = sum(b.size for b in blocks if b.prose and any(
            node in chosen_set for node in (b.element, *b.element.iterancestors())))
    page_prose = sum(block.size for block in reading.blocks if block.prose)
    if chosen and in_chosen >= HINT_SHARE * sum(b.size for b in blocks if b.prose):
        # the hint agrees: its elements are the body, read block by block like the reader's box
        hinted = tuple(b for e in chosen if e in reading.spans for b in article_blocks(reading, e))
        if hinted:
            return Container(tuple(chosen), False, hinted, page_prose)
    return Container((box,), False, blocks, page_prose)


def _chrome(profile: SiteProfile, container: HtmlElement) -> set[HtmlElement]:
    """Chrome inside the body element (only there can it leak into the text): elements matching
    chrome selectors, plus the box around each chrome text, never the body element itself."""
    excluded = set(css_any(container, profile.chrome.selectors))
    excluded.discard(container)
    for marker in profile.chrome.texts:
        for found in xpath(container, _SCOPED_TEXT_XPATH, marker=marker):
            box = found
            for node in (found, *found.iterancestors()):
                if node is container:
                    break
                if node.tag in _BLOCKS:
                    box = node
                    break
            excluded.add(box)
    return excluded


def _inside(element: HtmlElement, marked: set[HtmlElement], container: HtmlElement) -> bool:
    for node in (element, *element.iterancestors()):
        if node is container:
            return False
        if node in marked:
            return True
    return False


def _role(element: HtmlElement, roles: dict[HtmlElement, tuple[int, str]], container: HtmlElement) -> str | None:
    """The role of the strongest-tier (then nearest) marked element around `element` in the body."""
    best: tuple[int, int, str] | None = None
    for depth, node in enumerate((element, *element.iterancestors())):
        if node is container:
            break
        known = roles.get(node)
        if known is not None and (best is None or known[0] < best[0]):
            best = (known[0], depth, known[1])
    return best[2] if best else None


def _walk(root: HtmlElement, container: Container, profile: SiteProfile, stops: set[HtmlElement],
          similar: set[HtmlElement], roles: dict[HtmlElement, tuple[int, str]], paywalled: bool | None,
          free: list[str], locked: list[str], read: set[HtmlElement]) -> bool:
    """Collect one body element's paragraphs into `free` / `locked` (their elements into `read`);
    True once a stop was reached.

    A Similar-stories start ends the text only when no prose follows it in the body (an in-body
    "Read more" teaser heading does not end the article)."""
    excluded = _chrome(profile, root)
    if container.from_profile:
        texts: dict[HtmlElement, list[str]] = {e: [] for sel in profile.selectors.paragraphs for e in css(root, sel)}
        prose_after: set[HtmlElement] = set()
    else:
        texts = {}
        teaser_headings = {heading.lower() for heading in profile.similar.headings}
        for block in container.blocks:
            if block.heading and block.text.lower() in teaser_headings:
                continue  # "Read more" over an in-body teaser is not the article's text
            texts.setdefault(block.element, []).append(block.text)
        prose_after = {block.element for block in container.blocks if block.prose}
    pending: list[str] = []
    stopped = stopped_by_similar = False
    for element in root.iter():
        if element in stops:
            stopped = True
        elif element in similar and not stopped:
            stopped_by_similar = True
        if element not in texts or _inside(element, excluded, root):
            continue
        role = _role(element, roles, root) if roles else None
        if role == MESSAGE:
            continue
        found = texts[element] or [element_text(element)]
        read.add(element)
        for text in found:
            if not text:
                continue
            if stopped or (role == LOCKED and paywalled):
                if paywalled:
                    locked.append(text)
            elif stopped_by_similar:
                if element in prose_after:  # prose after the heading: the article goes on, the
                    pending.clear()          # teaser between them is left out
                    stopped_by_similar = False
                    free.append(text)
                else:
                    pending.append(text)
            else:
                free.append(text)
    return stopped


def _locked_unread(evidence: Evidence, roots: tuple[HtmlElement, ...], read: set[HtmlElement]) -> list[str]:
    """Paragraphs of locked blocks the body walk did not read: declared or generic ones outside the
    body elements (a hasPart block beside the free part, a paywall box holding the rest of the
    story), and ones inside that the block reader left out (hidden by CSS, or named "paywall…").
    Text in the HTML is counted as free or as locked, never as neither."""
    inside_roots = set(roots)
    around_roots = {node for root in roots for node in root.iterancestors()}
    counted: set[HtmlElement] = set()
    texts: list[str] = []
    outer_first = sorted(evidence.roles.items(), key=lambda item: sum(1 for _ in item[0].iterancestors()))
    for element, (tier, role) in outer_first:
        if role != LOCKED or tier not in (DECLARED, WEAK, HIDDEN) or element in around_roots:
            continue
        lineage = (element, *element.iterancestors())
        if any(node in counted for node in lineage):
            continue
        if any(node in inside_roots for node in lineage) and any(node in read for node in element.iter()):
            continue  # inside the body, and the walk read it
        counted.add(element)
        paragraphs = [text for text in (element_text(p) for p in element.iter("p")) if text]
        whole = element_text(element) if not paragraphs else ""
        texts.extend(paragraphs or ([whole] if whole else []))
    return texts


def extract_body(
    page: HtmlElement,
    profile: SiteProfile,
    container: Container,
    similar_starts: list[HtmlElement],
    evidence: Evidence,
) -> Body:
    """Walk the body elements, collecting paragraphs until the paywall or Similar stories begin.

    Paywall messages are never text; when the page is paywalled, the free part also ends at the
    first locked or wall element, and the paragraphs from there on are counted as locked text.
    """
    verdict = decide(evidence, profile)
    settle_meter(evidence, verdict)
    free: list[str] = []
    locked: list[str] = []
    read: set[HtmlElement] = set()
    for root in container.roots:
        protected = {root, *root.iterancestors()}
        if verdict.paywalled:
            mark_hidden(evidence, page, root)
        roles = {e: r for e, r in evidence.roles.items() if e not in protected}
        similar = {e for e in similar_starts if e not in protected}
        stops: set[HtmlElement] = set(roles) if verdict.paywalled else set()
        if verdict.paywalled and any(evidence.roles.get(e) == (DECLARED, LOCKED) for e in protected):
            stops.add(root)  # the publisher declares the whole body locked: none of it is free
        if container.from_profile:
            stops.update(similar)
            similar = set()
        if _walk(root, container, profile, stops, similar, roles, verdict.paywalled, free, locked, read):
            break
    if verdict.paywalled:
        locked.extend(_locked_unread(evidence, container.roots, read))

    kind = None
    if verdict.paywalled:
        kind = "metered" if verdict.metered else "overlay" if locked else "hard" if not free else "truncated"
    marker = PaywallMarker(
        paywalled=verdict.paywalled, kind=kind, signals=verdict.signals, free_paragraphs=len(free),
        free_words=word_count(free), locked_text_in_page=bool(locked), free_signals=verdict.free_signals,
        decided_by=verdict.decided_by, conflict=verdict.conflict, locked_paragraphs=len(locked),
        locked_words=word_count(locked), systems=tuple(evidence.systems),
    )
    return Body(paragraphs=tuple(free), paywall=marker)
