"""Paywall detection: every signal a page carries, which parts of the body are locked, one verdict.

Signals come in three tiers:

* **wall** — the page the visitor received shows a paywall: the profile's own `paywall.selectors`,
  `paywall.locked_selectors` and `paywall.text_markers`, and the DOM of a known paywall system
  (Piano/TinyPass, Zephr, Pelcro, Poool, LaterPay, Leaky Paywall; see `VENDOR_ELEMENTS`).
* **declared** — what the publisher states: schema.org `isAccessibleForFree` in JSON-LD (the
  article node, any other node, any block, `@graph` members; booleans or "true"/"False" text) or
  microdata, `hasPart` `WebPageElement`s marked not free with a `cssSelector`, and the profile's
  premium URL rules (`paywall.url_paths`). A `hasPart` whose selector names a meter (a class or id
  holding "meter": `.meteredContent`) declares a *metered* wall: see "Metered" below.
* **weak** — generic containers (`[class*=paywall]`, regwall, meter-wall, content-gate) that no
  stronger signal already covers.

The verdict (`PaywallMarker.decided_by`), first rule that applies:

1. ``wall``: any wall signal → paywalled. What the visitor was shown beats what the metadata claims.
2. ``declared``: any declaration that something is locked → paywalled; else one that the article is
   free → free.
3. ``weak``: a generic paywall container → paywalled.
4. ``default``: the profile's `paywall.default_paywalled`.
5. ``none``: unknown (`paywalled` is None).

`conflict` is true when signals pointed both ways (the losing side stays listed in `signals` or
`free_signals`). AMP `amp-access` / `amp-subscriptions` sections never decide (a free AMP article
carries them too); like CSS-hidden blocks they only say which part is locked once the page is
paywalled.

Where locked text is still in the HTML (an overlay, a `hasPart` element, a CSS-hidden block, an AMP
content section) it is left out of the free text and counted in `locked_paragraphs`; the paywall's
own message (a text marker, a vendor modal, a short generic box) is neither free nor locked text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from cssselect import SelectorError
from lxml import etree
from lxml.html import HtmlElement

from crawler.sites import SiteProfile

from .dom import body_text, css, page_names, tagged, xpath, xpath_literal
from .jsonld import accessible_for_free, locked_parts
from .text import element_text

logger = logging.getLogger(__name__)

LOCKED, MESSAGE = "locked", "message"
# Tiers rank the roles of nested elements: the strongest (lowest) tier's role wins, then the nearest.
PROFILE, VENDOR, DECLARED, HIDDEN, WEAK = range(5)

# (system, CSS selector, role, counts when empty): DOM left by paywall systems.
VENDOR_ELEMENTS: tuple[tuple[str, str, str, bool], ...] = (
    ("piano", ".tp-modal", MESSAGE, True),
    ("piano", ".tp-backdrop", MESSAGE, True),
    ("piano", ".tp-container-inner", MESSAGE, False),
    ("piano", "#pianoj_ribbon", MESSAGE, False),
    ("zephr", "#zephr-overlay", MESSAGE, True),
    ("pelcro", ".pelcro-ui-overlay", MESSAGE, True),
    ("poool", "#poool-widget", MESSAGE, False),
    ("poool", "[data-ae-poool]", MESSAGE, False),
    ("laterpay", ".lp_paid-content", LOCKED, True),
    ("laterpay", ".lp_overlay-text", MESSAGE, True),
    ("leaky-paywall", ".leaky_paywall_message_wrap", MESSAGE, True),
)
# Scripts and config that show a paywall system is installed (reported in `systems`, never a signal).
VENDOR_SCRIPTS: tuple[tuple[str, str], ...] = (
    ("piano", "tinypass.com"), ("piano", "piano.io"), ("zephr", "zephr"), ("pelcro", "pelcro"),
    ("poool", "poool"), ("laterpay", "laterpay"), ("leaky-paywall", "leaky-paywall"),
)
GENERIC_CONTAINERS = ("[class*=paywall]", "[id*=paywall]", "[class*=regwall]", "[class*=meter-wall]",
                      "[class*=meterwall]", "[class*=content-gate]")
_PAGE_TAGS = frozenset({"html", "body"})
_GENERIC_MESSAGE_WORDS = 40  # a generic box with fewer words is the paywall's message, not article text
_STYLE = "translate(@style, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ ', 'abcdefghijklmnopqrstuvwxyz')"  # lower case, no spaces
_HIDDEN_XPATH = (f".//*[@hidden or contains({_STYLE}, 'display:none') or contains({_STYLE}, 'visibility:hidden')]"
                 "[.//p or self::p]")
_NAMES_UNDER = etree.XPath("descendant-or-self::*/@class | descendant-or-self::*/@id", smart_strings=False)
_NAME_OF = re.compile(r"[.#]([A-Za-z0-9_-]+)")
_SIMPLE_SELECTOR = re.compile(r"^[a-zA-Z0-9]*(?:[.#][A-Za-z0-9_-]+)+$")
_NOT = re.compile(r"\bNOT\b", re.IGNORECASE)
_METER = "meter"  # in a hasPart selector's class or id: the part is behind a meter, not a hard wall


def names_meter(selector: str) -> bool:
    """Whether a hasPart cssSelector names a meter (".meteredContent", "#meter-body")."""
    return any(_METER in name.lower() for name in _NAME_OF.findall(selector))


@lru_cache(maxsize=32)
def _marker_xpath(texts: tuple[str, ...]) -> etree.XPath:
    """Text nodes of the body holding any of the marker texts (one document scan for all)."""
    tests = " or ".join(f"contains(., {xpath_literal(text)})" for text in texts)
    return etree.XPath(f"//body//text()[{tests}]")


# Candidates are found cheaply: one regex over every class and id value of the page, and only on a
# hit a pass over the elements (XPath testing class substrings re-reads @class per predicate, which
# costs milliseconds a page). Each candidate is then matched against the selectors one by one.
_CANDIDATE_NAMES = re.compile(r"paywall|regwall|meter-?wall|content-gate|tp-|pianoj_ribbon|zephr-overlay|pelcro-ui"
                              r"|poool|lp_|leaky")
_SPECIAL_ATTRS = etree.XPath("//@amp-access | //@subscriptions-section | //@data-ae-poool")


def _candidates(page: HtmlElement) -> tuple[list[HtmlElement], list[HtmlElement]]:
    """(elements whose class/id names a paywall or that carry Poool's attribute, AMP access elements)."""
    named: list[HtmlElement] = []
    search = _CANDIDATE_NAMES.search
    if search(page_names(page)):
        for element in page.iter(etree.Element):
            value = element.get("class")
            if value and search(value):
                named.append(element)
                continue
            value = element.get("id")
            if value and search(value):
                named.append(element)
    amp: list[HtmlElement] = []
    for attribute in _SPECIAL_ATTRS(page):
        element = attribute.getparent()
        if attribute.attrname == "data-ae-poool":
            if element not in named:
                named.append(element)
        elif element not in amp:
            amp.append(element)
    return named, amp


@lru_cache(maxsize=64)
def _matcher(selector: str) -> etree.XPath:
    """An XPath testing whether one element itself matches a CSS selector."""
    from parsel.csstranslator import HTMLTranslator

    return etree.XPath(HTMLTranslator().css_to_xpath(selector, prefix="self::"))


def _matches(element: HtmlElement, selector: str) -> bool:
    return bool(_matcher(selector)(element))


@dataclass(slots=True)
class Evidence:
    """Everything the page said about its paywall, before the verdict."""

    wall: list[str] = field(default_factory=list)
    declared: list[str] = field(default_factory=list)  # declarations that something is locked
    declared_free: list[str] = field(default_factory=list)
    weak: list[str] = field(default_factory=list)
    supporting: list[str] = field(default_factory=list)  # recorded when paywalled, never decide (AMP)
    metered: list[str] = field(default_factory=list)  # declared signals of metered hasPart parts
    metered_parts: list[HtmlElement] = field(default_factory=list)  # their elements, locked unless metered
    systems: list[str] = field(default_factory=list)
    roles: dict[HtmlElement, tuple[int, str]] = field(default_factory=dict)  # element -> (tier, role)

    def add(self, bucket: list[str], signal: str) -> None:
        if signal not in bucket:
            bucket.append(signal)

    def mark(self, element: HtmlElement, tier: int, role: str) -> None:
        known = self.roles.get(element)
        if known is None or tier < known[0]:
            self.roles[element] = (tier, role)

    def system(self, name: str) -> None:
        if name not in self.systems:
            self.systems.append(name)


@dataclass(frozen=True, slots=True)
class Verdict:
    paywalled: bool | None
    decided_by: str
    conflict: bool
    signals: tuple[str, ...]
    free_signals: tuple[str, ...]
    metered: bool = False  # a metered wall only: the declared part is free to a fresh visitor


def _safe_css(scope: HtmlElement, selector: str) -> list[HtmlElement]:
    """A selector taken from the page itself (hasPart cssSelector): bad ones are skipped, not fatal."""
    try:
        return css(scope, selector)
    except (SelectorError, etree.XPathError, ValueError) as exc:
        logger.debug("ignoring unusable cssSelector %r: %s", selector, exc)
        return []


def _has_content(element: HtmlElement) -> bool:
    return len(element) > 0 or bool((element.text or "").strip())


def _declarations(evidence: Evidence, page: HtmlElement, node: dict[str, Any], nodes: list[dict[str, Any]],
                  micro: dict[str, Any] | None) -> None:
    for source, candidates in (("jsonld", [node, *(n for n in nodes if n is not node)] if node else nodes),
                               ("microdata", [micro] if micro else [])):
        for candidate in candidates:
            flag = accessible_for_free(candidate)
            if flag is False:
                evidence.add(evidence.declared, f"{source}:isAccessibleForFree=false")
            elif flag is True:
                evidence.add(evidence.declared_free, f"{source}:isAccessibleForFree=true")
            for selector in locked_parts(candidate):
                signal = f"{source}:hasPart={selector}"
                evidence.add(evidence.declared, signal)
                metered = names_meter(selector)
                if metered:
                    evidence.add(evidence.metered, signal)
                for found in _safe_css(page, selector):
                    if metered:  # locked or free is settled by the verdict (`settle_meter`)
                        evidence.metered_parts.append(found)
                    else:
                        evidence.mark(found, DECLARED, LOCKED)


def _vendors(evidence: Evidence, hits: list[HtmlElement], covered: set[HtmlElement]) -> None:
    if not hits:
        return
    generic: list[HtmlElement] = []
    for found in hits:
        if found.tag in _PAGE_TAGS:  # "paywall_enabled" on <html>/<body> is page state, not a wall
            continue
        vendor = next(((system, selector, role, empty_counts) for system, selector, role, empty_counts
                       in VENDOR_ELEMENTS if _matches(found, selector)), None)
        if vendor is None:
            if any(_matches(found, selector) for selector in GENERIC_CONTAINERS):
                generic.append(found)
            continue
        system, selector, role, empty_counts = vendor
        evidence.system(system)
        if empty_counts or _has_content(found):
            evidence.add(evidence.wall, f"{system}:{selector}")
            evidence.mark(found, VENDOR, role)
            covered.add(found)
    for found in generic:
        if found in evidence.roles:
            continue
        if any(node in covered for node in found.iterancestors()) or any(
            found in covered_node.iterancestors() for covered_node in covered
        ):
            continue  # a box around (or inside) a stronger signal's element: the same wall
        names = found.get("class", "") + " " + found.get("id", "")
        label = next(k for k in ("paywall", "regwall", "meter-wall", "meterwall", "content-gate") if k in names)
        evidence.add(evidence.weak, f"generic:{label}")
        words = len(element_text(found).split())
        evidence.mark(found, WEAK, MESSAGE if words < _GENERIC_MESSAGE_WORDS else LOCKED)


def _amp_and_scripts(evidence: Evidence, page: HtmlElement, amp: list[HtmlElement]) -> None:
    for found in tagged(page, "script"):
        src = found.get("src") or ""
        for system, needle in VENDOR_SCRIPTS:
            if needle in src:
                evidence.system(system)
        if found.get("id") == "amp-access":
            evidence.system("amp-access")
        elif found.get("custom-element") == "amp-subscriptions":
            evidence.system("amp-subscriptions")
    for found in amp:
        access = found.get("amp-access")
        if access is not None:
            evidence.system("amp-access")
            role = MESSAGE if _NOT.search(access) else LOCKED
            evidence.add(evidence.supporting, f"amp-access:{' '.join(access.split())}")
        else:
            section = found.get("subscriptions-section", "")
            evidence.system("amp-subscriptions")
            if section == "content":
                role = LOCKED
            elif section in ("content-not-granted", "actions"):
                role = MESSAGE
            else:
                continue
            evidence.add(evidence.supporting, f"amp-subscriptions:{section}")
        evidence.mark(found, DECLARED, role)


def collect(page: HtmlElement, url: str, profile: SiteProfile, node: dict[str, Any],
            nodes: list[dict[str, Any]], micro: dict[str, Any] | None) -> Evidence:
    """Every paywall signal on the page and the role (locked text, wall message) of each element."""
    evidence = Evidence()
    covered: set[HtmlElement] = set()
    for label, selectors in (("css", profile.paywall.selectors), ("css-locked", profile.paywall.locked_selectors)):
        for selector in selectors:
            found = css(page, selector)
            if found:
                evidence.add(evidence.wall, f"{label}:{selector}")
                for element in found:
                    evidence.mark(element, PROFILE, LOCKED)
                    covered.add(element)
    markers = profile.paywall.text_markers
    page_text = body_text(page) if markers else ""
    if any(text in page_text for _, text in markers):
        # one scan of the text nodes for every marker, then which marker each hit holds
        for text_node in _marker_xpath(tuple(text for _, text in markers))(page):
            element = text_node.getparent()
            if element is not None and text_node.is_tail:
                element = element.getparent()
            if element is None or element.tag in ("script", "style"):
                continue
            for signal_id, text in markers:
                if text in text_node:
                    evidence.add(evidence.wall, f"text:{signal_id}")
                    evidence.roles[element] = (PROFILE, MESSAGE)  # the message, even inside a wall element
                    covered.add(element)
        # signals in profile order, as the profile lists them
        order = {f"text:{signal_id}": n for n, (signal_id, _) in enumerate(markers)}
        evidence.wall.sort(key=lambda signal: order.get(signal, -1))
    if profile.is_premium_url(url):
        pattern = next(p.pattern for p in profile.paywall.url_paths if p.search(_path(url)))
        evidence.add(evidence.declared, f"url:{pattern}")
    _declarations(evidence, page, node, nodes, micro)
    covered.update(element for element, (tier, _) in evidence.roles.items() if tier == DECLARED)
    covered.update(evidence.metered_parts)
    named, amp = _candidates(page)
    _vendors(evidence, named, covered)
    _amp_and_scripts(evidence, page, amp)
    return evidence


def _path(url: str) -> str:
    return urlsplit(url).path


def decide(evidence: Evidence, profile: SiteProfile) -> Verdict:
    """The verdict by the rule in this module's docstring."""
    against = [*evidence.wall, *evidence.declared, *evidence.weak]
    free = list(evidence.declared_free)
    if evidence.wall:
        paywalled, rule = True, "wall"
    elif evidence.declared:
        paywalled, rule = True, "declared"
    elif evidence.declared_free:
        paywalled, rule = False, "declared"
    elif evidence.weak:
        paywalled, rule = True, "weak"
    elif profile.paywall.default_paywalled is not None:
        paywalled, rule = profile.paywall.default_paywalled, "default"
    else:
        paywalled, rule = None, "none"
    if paywalled:
        against += [s for s in evidence.supporting if s not in against]
    metered = rule == "declared" and paywalled is True and bool(evidence.metered) and all(
        signal in evidence.metered or signal.endswith(":isAccessibleForFree=false") for signal in evidence.declared)
    return Verdict(paywalled=paywalled, decided_by=rule, conflict=bool(against and free),
                   signals=tuple(against), free_signals=tuple(free), metered=metered)


def settle_meter(evidence: Evidence, verdict: Verdict) -> None:
    """Metered `hasPart` elements are locked text unless the verdict is a metered wall (see the
    module docstring): a wall shown, or another declaration beside them, locks them as before."""
    if not verdict.metered:
        for element in evidence.metered_parts:
            evidence.mark(element, DECLARED, LOCKED)


def _hiding_selectors(sheet: str) -> list[str]:
    """Simple selectors of the stylesheet's rules that hide what they match, read rule by rule with
    str.split (linear in the sheet's size; a regular expression over a 500 KB inline sheet is not)."""
    found: list[str] = []
    for rule in sheet.split("}"):
        head, brace, declarations = rule.rpartition("{")
        if not brace:
            continue
        compact = declarations.replace(" ", "").replace("\n", "").replace("\t", "").lower()
        if "display:none" not in compact and "visibility:hidden" not in compact:
            continue
        for selector in head.rsplit("{", 1)[-1].split(","):  # "@media … {" prefixes dropped
            selector = selector.strip()
            if selector and len(selector) < 200 and _SIMPLE_SELECTOR.match(selector):
                found.append(selector)
    return found


def mark_hidden(evidence: Evidence, page: HtmlElement, root: HtmlElement) -> None:
    """Blocks of the body hidden by CSS (inline style, `hidden`, a <style> rule with a simple
    selector): on a paywalled page, that is locked text shipped in the HTML. Only selectors naming
    a class or id that the body uses are tried."""
    for found in xpath(root, _HIDDEN_XPATH):
        evidence.mark(found, HIDDEN, LOCKED)
    names = set(" ".join(_NAMES_UNDER(root)).split())
    for sheet in (style.text for style in tagged(page, "style") if style.text):
        for selector in _hiding_selectors(sheet):
            needed = _NAME_OF.findall(selector)
            if not needed or not all(name in names for name in needed):
                continue
            for found in _safe_css(root, selector):
                if found.tag == "p" or xpath(found, "boolean(.//p)"):
                    evidence.mark(found, HIDDEN, LOCKED)
