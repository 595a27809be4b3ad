"""Free text and paywall: walk the body in document order and stop where the paywall begins.

The free part ends at the first paywall element (overlay, locked part, wall message — see
`paywall`) or the Similar stories block, whichever comes first; chrome (appeal, newsletter, menus)
is skipped wherever it sits, even inside the body after malformed HTML moved it there.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from lxml.html import HtmlElement

from crawler.sites import SiteProfile

from .article import PaywallMarker
from .dom import css, xpath
from .paywall import LOCKED, MESSAGE, Evidence, decide, mark_hidden
from .text import element_text, word_count

_SCOPED_TEXT_XPATH = ".//text()[contains(., $marker)]/parent::*[not(self::script or self::style)]"
_BLOCKS = frozenset({"div", "section", "aside", "form", "ul", "ol", "li", "figure", "table", "header", "footer"})


@dataclass(frozen=True, slots=True)
class Body:
    """Free paragraphs and the paywall verdict for one page."""

    paragraphs: tuple[str, ...]
    paywall: PaywallMarker


def find_container(page: HtmlElement, profile: SiteProfile,
                   avoid: Collection[HtmlElement] = ()) -> tuple[HtmlElement | None, bool]:
    """The profile's body element holding paragraphs, else the element whose own paragraphs hold
    the most words, outside chrome and outside the paywall's elements (`avoid`: a locked block
    is often longer than the free part)."""
    empty = None
    for selector in profile.selectors.body:
        for found in css(page, selector):
            if xpath(found, ".//p"):
                return found, True
            empty = empty if empty is not None else found
    if empty is not None:  # the body element is there but holds no text: a hard paywall
        return empty, True
    candidates = xpath(page, "//body//*[p][not(ancestor-or-self::nav or ancestor-or-self::footer "
                             "or ancestor-or-self::aside or ancestor-or-self::form)]")
    if not candidates:
        return None, False
    skip = {found for selector in profile.chrome.selectors for found in css(page, selector)}
    skip.update(avoid)
    best, best_words = None, 0
    for candidate in candidates:
        if skip and any(node in skip for node in (candidate, *candidate.iterancestors())):
            continue
        words = sum(len(element_text(p).split()) for p in candidate.findall("p"))
        if words > best_words:
            best, best_words = candidate, words
    return best, False


def _chrome(profile: SiteProfile, container: HtmlElement) -> set[HtmlElement]:
    """Chrome inside the body element (only there can it leak into the text): elements matching
    chrome selectors, plus the box around each chrome text, never the body element itself."""
    excluded = {found for selector in profile.chrome.selectors for found in css(container, selector)}
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


def extract_body(
    page: HtmlElement,
    profile: SiteProfile,
    root: HtmlElement | None,
    similar_starts: list[HtmlElement],
    evidence: Evidence,
) -> Body:
    """Walk the body element `root`, collecting paragraphs until the paywall or Similar stories begin.

    Paywall messages are never text; when the page is paywalled, the free part also ends at the
    first locked or wall element, and the paragraphs from there on are counted as locked text.
    """
    verdict = decide(evidence, profile)
    free: list[str] = []
    locked: list[str] = []
    if root is not None:
        protected = {root, *root.iterancestors()}
        if verdict.paywalled:
            mark_hidden(evidence, page, root)
        roles = {e: r for e, r in evidence.roles.items() if e not in protected}
        stops: set[HtmlElement] = {e for e in similar_starts if e not in protected}
        if verdict.paywalled:
            stops.update(roles)
        excluded = _chrome(profile, root)
        wanted = {found for selector in profile.selectors.paragraphs for found in css(root, selector)}
        stopped = False
        for element in root.iter():
            if element in stops:
                stopped = True
            if element not in wanted or _inside(element, excluded, root):
                continue
            role = _role(element, roles, root) if roles else None
            if role == MESSAGE:
                continue
            text = element_text(element)
            if not text:
                continue
            if stopped or (role == LOCKED and verdict.paywalled):
                if verdict.paywalled:
                    locked.append(text)
            else:
                free.append(text)

    kind = None
    if verdict.paywalled:
        kind = "overlay" if locked else "hard" if not free else "truncated"
    marker = PaywallMarker(
        paywalled=verdict.paywalled, kind=kind, signals=verdict.signals, free_paragraphs=len(free),
        free_words=word_count(free), locked_text_in_page=bool(locked), free_signals=verdict.free_signals,
        decided_by=verdict.decided_by, conflict=verdict.conflict, locked_paragraphs=len(locked),
        locked_words=word_count(locked), systems=tuple(evidence.systems),
    )
    return Body(paragraphs=tuple(free), paywall=marker)
