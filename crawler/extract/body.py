"""Free text and paywall: walk the body in document order and stop where the paywall begins.

The free part ends at the first paywall element (overlay), the first paywall text ("You have reached
the free limit") or the Similar stories block, whichever comes first; chrome (appeal, newsletter,
menus) is skipped wherever it sits, even inside the body after malformed HTML moved it there.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml.html import HtmlElement

from crawler.sites import SiteProfile

from .article import PaywallMarker
from .dom import css, xpath
from .text import element_text, word_count

_TEXT_XPATH = "//body//text()[contains(., $marker)]/parent::*[not(self::script or self::style)]"
_SCOPED_TEXT_XPATH = ".//text()[contains(., $marker)]/parent::*[not(self::script or self::style)]"
_BLOCKS = frozenset({"div", "section", "aside", "form", "ul", "ol", "li", "figure", "table", "header", "footer"})


@dataclass(frozen=True, slots=True)
class Body:
    """Free paragraphs and the paywall verdict for one page."""

    paragraphs: tuple[str, ...]
    paywall: PaywallMarker


def find_container(page: HtmlElement, profile: SiteProfile) -> tuple[HtmlElement | None, bool]:
    """The profile's body element holding paragraphs, else the element with most <p> children."""
    for selector in profile.selectors.body:
        for found in css(page, selector):
            if xpath(found, ".//p"):
                return found, True
    candidates = xpath(page, "//body//*[p]")
    if not candidates:
        return None, False
    return max(candidates, key=lambda c: len(c.findall("p"))), False


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


def extract_body(
    page: HtmlElement,
    profile: SiteProfile,
    root: HtmlElement,
    similar_starts: list[HtmlElement],
    jsonld_free: bool | None,
) -> Body:
    """Walk the body element `root`, collecting paragraphs until the paywall or Similar stories begin."""
    protected = {root, *root.iterancestors()}
    signals: list[str] = []
    stops: set[HtmlElement] = {e for e in similar_starts if e not in protected}
    overlay = False
    for selector in profile.paywall.selectors:
        found = css(page, selector)
        if found:
            signals.append(f"css:{selector}")
            overlay = True
            stops.update(f for f in found if f not in protected)
    marker_elements: set[HtmlElement] = set()
    for signal_id, text in profile.paywall.text_markers:
        found = xpath(page, _TEXT_XPATH, marker=text)
        if found:
            signals.append(f"text:{signal_id}")
            marker_elements.update(found)
    stops.update(e for e in marker_elements if e not in protected)
    if jsonld_free is False:
        signals.append("jsonld:isAccessibleForFree=false")

    excluded = _chrome(profile, root)
    wanted = {found for selector in profile.selectors.paragraphs for found in css(root, selector)}
    free: list[str] = []
    locked = 0
    stopped = False
    for element in root.iter():
        if element in stops:
            stopped = True
        if element not in wanted or _inside(element, excluded, root):
            continue
        text = element_text(element)
        if not text:
            continue
        if not stopped:
            free.append(text)
        elif not _inside(element, marker_elements, root):
            locked += 1

    if signals:
        paywalled: bool | None = True
    elif jsonld_free is True:
        paywalled = False
    else:
        paywalled = profile.paywall.default_paywalled
    kind = None
    if overlay and locked:
        kind = "overlay"
    elif overlay or marker_elements:
        kind = "truncated"
    marker = PaywallMarker(
        paywalled=paywalled, kind=kind, signals=tuple(signals), free_paragraphs=len(free),
        free_words=word_count(free), locked_text_in_page=locked > 0,
    )
    return Body(paragraphs=tuple(free), paywall=marker)
