"""Bylines and headlines as publishers really write them, cleaned into people and a title.

Bylines: "By A and B", "A, B & C", names run together by markup ("Jane DoeJohn Roe"), an e-mail
address for a name, "Doe, Jane" (one person, not two), and the site itself given as the author.
Headlines: "Story | Site name" and "Site: Story" in <title>/og:title, a kicker ("Exclusive:") inside
the displayed <h1>. Every expression here runs on one short, whitespace-collapsed string and has no
nested repetition, so none can backtrack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_BY = re.compile(r"^(?:by|von|par|por|di|door|av)\s+", re.IGNORECASE)
_SEPARATORS = re.compile(r"\s+(?:and|und|et|y|e|en|og)\s+|\s*[&;/|]\s*", re.IGNORECASE)
# "DoeJohn" and "DOEAssociated": a name run into the next (lower then upper, or upper then Capitalised)
_CAMEL_JOIN = re.compile(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Þ])|(?<=[A-ZÀ-Þ])(?=[A-ZÀ-Þ][a-zà-ÿ])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_EMPTY_BRACKETS = re.compile(r"[(\[<]\s*[)\]>]")
_LONGEST_NAME = 200
_TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ", " • ", ": ")
_ROLE_WORDS = frozenset({"staff", "reporter", "correspondent", "editor", "writer", "contributor", "columnist",
                         "senior", "chief", "producer", "analyst"})
_NOT_NAMES = frozenset({"admin", "administrator", "webmaster", "root", "user", "guest", "unknown", "null", "none"})


def _plain(text: str) -> str:
    return " ".join(re.sub(r"[^\w ]", " ", text.lower()).split())


def _person_parts(text: str) -> list[str]:
    """One byline string to names: separators, then "Last, First", then names run together."""
    if "@" in text:
        text = _EMPTY_BRACKETS.sub(" ", _EMAIL.sub("", text))
    text = " ".join(text.split())
    label, colon, rest = text.partition(": ")
    if colon and len(label.split()) <= 2 and rest:  # "Text: Jane Doe", "Words: Jane Doe"
        text = rest
    before, by, after = text.partition(" by ")
    if not by:
        before, by, after = text.partition(" By ")
    if by and len(before.split()) <= 2 and after:  # "Analysis by Jane Doe"
        text = after
    text = _BY.sub("", text).strip(" ,;:-")
    if not text:
        return []
    names: list[str] = []
    for part in _SEPARATORS.split(text):
        part = part.strip(" ,;:-")
        if not part:
            continue
        pieces = [p.strip() for p in part.split(",") if p.strip()]
        if len(pieces) == 2 and len(pieces[0].split()) == 1 and 1 <= len(pieces[1].split()) <= 2 \
                and not pieces[1].lower().split()[0] in _ROLE_WORDS:
            names.append(f"{pieces[1]} {pieces[0]}")  # "Doe, Jane" is Jane Doe
            continue
        if len(pieces) > 1:  # "Jane Doe, CNN Senior Editor": the role is not a person
            pieces = [piece for piece in pieces if _ROLE_WORDS.isdisjoint(_plain(piece).split())] or pieces[:1]
        for piece in pieces:
            joined = _CAMEL_JOIN.split(piece)
            # "Jane DoeJohn Roe" -> two people; "Ronald McDonald" stays one
            if len(joined) > 1 and all(len(chunk.split()) >= 2 for chunk in joined[1:-1]) \
                    and len(joined[0].split()) >= 2 and len(joined[-1].split()) >= 2:
                names.extend(chunk.strip() for chunk in joined)
            else:
                names.append(piece)
    return names


def clean_people(entries: Iterable[tuple[str, str, str]], site_names: Iterable[str]) -> list[tuple[str, str, str]]:
    """(name, kind, url) entries split into one per person, e-mail addresses and the site's own
    name dropped, duplicates dropped (first kept)."""
    sites = {_plain(name) for name in site_names if name}
    seen: set[str] = set()
    people: list[tuple[str, str, str]] = []
    for name, kind, url in entries:
        if len(name) > _LONGEST_NAME:  # a paragraph in an author field is not a name
            continue
        parts = _person_parts(name) if kind == "person" else [" ".join(_BY.sub("", name).split())]
        for part in parts:
            key = _plain(part)
            if not key or key in seen or key in sites or key in _NOT_NAMES or "://" in part:
                continue
            if len(parts) > 1 and any(site and site in key for site in sites):
                continue  # "Jane Doe, CNN Business": the site's desk beside a person
            seen.add(key)
            people.append((part, kind, url if len(parts) == 1 else ""))
    return people


def strip_site_name(title: str, site_names: Iterable[str]) -> str:
    """"Story | Site" and "Site: Story" to "Story": a segment naming the site, or a short last
    segment after " | " (sites often brand <title> with a shortened name)."""
    sites = {_plain(name) for name in site_names if name}
    text = " ".join(title.split())
    for separator in _TITLE_SEPARATORS:
        if separator not in text:
            continue
        head, _, tail = text.rpartition(separator)
        if head and (_plain(tail) in sites or (separator == " | " and len(tail.split()) <= 4
                                               and len(head.split()) >= 3)):
            return strip_site_name(head, site_names)
        first, _, rest = text.partition(separator)
        if rest and _plain(first) in sites:
            return strip_site_name(rest, site_names)
    return text


def words_shared(text: str, others: Iterable[str]) -> float:
    """The largest share of `text`'s words found in any one of `others` (0 when there are none)."""
    words = set(_plain(text).split())
    if not words:
        return 0.0
    return max((len(words & set(_plain(other).split())) / len(words) for other in others if other), default=0.0)


def without_kicker(displayed: str, reference: str) -> str:
    """The displayed headline without a kicker before it ("Exclusive: Story" when the metadata says
    "Story"): the reference's words are the headline, whatever precedes them is a label."""
    if reference and len(reference) < len(displayed) and displayed.lower().endswith(reference.lower()):
        return displayed[len(displayed) - len(reference):]
    return displayed
