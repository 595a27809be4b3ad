"""Decides what each article is (text, section, paywall, template, quirks) and how pages link to it.

Special cases sit at fixed positions so every build of any size exercises all of them.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from .prose import Prose

SECTIONS: tuple[tuple[str, str, str], ...] = (
    # (listing path, display name, article path letter)
    ("/britain", "Britain", "b"),
    ("/world", "World", "w"),
    ("/features", "Features", "f"),
    ("/editorial", "Editorial", "e"),
    ("/culture", "Culture", "c"),
    ("/sport", "Sport", "s"),
)
SECTION_WEIGHTS = (32, 24, 14, 8, 12, 10)  # Britain and World carry most stories, so they paginate first
MIN_ARTICLES = 30
LATEST = datetime(2026, 2, 20, 9, 30, tzinfo=UTC)


@dataclass(slots=True)
class Paragraph:
    """A body paragraph as markup and as the plain text a reader sees."""

    html: str
    text: str


@dataclass(slots=True)
class ArticleSpec:
    """Everything needed to render one article page and state its truth."""

    index: int
    path: str
    slug: str
    section: str
    section_path: str
    title: str
    standfirst: str
    authors: tuple[str, ...]
    published: datetime
    paragraphs: list[Paragraph]
    template: str
    paywall_kind: str | None
    free_paragraphs: int
    metadata: str = "jsonld"  # "jsonld" | "jsonld_broken" | "meta_only" | "visible_only"
    encoding: str = "utf-8"
    bom: bool = False
    malformed: bool = False
    canonical_link: bool = True
    listed: bool = True
    only_via_similar: bool = False
    disallowed_only: bool = False
    orphan: bool = False
    old_path: str | None = None
    similar: list[str] = field(default_factory=list)
    image: str = ""
    caption: str = ""

    @property
    def variants(self) -> tuple[str, ...]:
        flags = {
            "metadata:" + self.metadata: True, "windows-1252": self.encoding != "utf-8",
            "bom": self.bom, "malformed": self.malformed, "og-url-only": not self.canonical_link,
            "only-via-similar": self.only_via_similar, "disallowed-only": self.disallowed_only,
            "orphan": self.orphan, "redirected": self.old_path is not None,
            "long": len(self.paragraphs) >= 300,
        }
        return tuple(name for name, on in flags.items() if on)


def _slugify(title: str) -> str:
    ascii_title = title.lower().replace("’", "").replace("&", "and")
    return re.sub(r"[^a-z0-9]+", "-", ascii_title).strip("-")[:80]


def _paragraph(prose: Prose, rng: random.Random) -> Paragraph:
    text = prose.paragraph()
    if rng.random() < 0.15 and " " in text:
        # Inline markup a reader does not see: a link or emphasis around one phrase.
        words = text.split(" ")
        at = rng.randrange(len(words))
        tag = rng.choice(("em", "strong", "a"))
        open_tag = '<a href="/britain">' if tag == "a" else f"<{tag}>"
        words[at] = f"{open_tag}{_esc(words[at])}</{tag}>"
        html = " ".join(w if w.startswith("<") else _esc(w) for w in words)
        return Paragraph(html=html, text=text)
    return Paragraph(html=_esc(text), text=text)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plan_articles(n_articles: int, seed: int) -> list[ArticleSpec]:
    """All article specs, newest first, with special cases assigned and similar links chosen."""
    if n_articles < MIN_ARTICLES:
        raise ValueError(f"n_articles must be at least {MIN_ARTICLES} to hold every special case")
    rng = random.Random(seed)
    prose = Prose(rng)
    specs: list[ArticleSpec] = []
    seen_slugs: set[str] = set()
    when = LATEST
    for index in range(n_articles):
        if index < 12:
            section_path, section, letter = SECTIONS[index % len(SECTIONS)]
        else:
            section_path, section, letter = rng.choices(SECTIONS, weights=SECTION_WEIGHTS)[0]
        title = prose.headline()
        slug = _slugify(title)
        while slug in seen_slugs:
            slug = f"{slug}-{rng.randint(2, 99)}"
        seen_slugs.add(slug)
        path = f"/article/{letter}/{slug}" if rng.random() < 0.8 else f"/article/{slug}"
        n_authors = rng.choice((0, 1, 1, 1, 1, 2, 2, 3))
        paragraphs = [_paragraph(prose, rng) for _ in range(rng.randint(20, 30))]
        kind = rng.choice((None, None, "truncated", "truncated", "overlay"))
        free = len(paragraphs) if kind is None else rng.randint(2, 5)
        specs.append(ArticleSpec(
            index=index, path=path, slug=slug, section=section, section_path=section_path,
            title=title, standfirst="" if rng.random() < 0.12 else prose.standfirst(),
            authors=tuple(prose.person() for _ in range(n_authors)), published=when,
            paragraphs=paragraphs, template=rng.choice("ab"), paywall_kind=kind,
            free_paragraphs=free, image=f"/sites/default/files/styles/article_main/public/2026-02/{slug[:24]}.jpg",
            caption=prose.sentence().rstrip("."),
        ))
        when -= timedelta(minutes=rng.randint(25, 600))
    _assign_specials(specs, rng, prose)
    _choose_similar(specs, rng)
    return specs


def _set_paywall(spec: ArticleSpec, kind: str | None, rng: random.Random) -> None:
    spec.paywall_kind = kind
    spec.free_paragraphs = len(spec.paragraphs) if kind is None else rng.randint(2, 5)


def _assign_specials(specs: list[ArticleSpec], rng: random.Random, prose: Prose) -> None:
    """Pin every quirk to a fixed index so small and large builds both carry them."""
    # Coverage: each template with each paywall kind, at the top of the listings.
    for offset, (template, kind) in enumerate(
        (t, k) for t in "ab" for k in (None, "truncated", "overlay")
    ):
        specs[offset].template = template
        _set_paywall(specs[offset], kind, rng)
    # Metadata variants spread over both templates and paywall kinds.
    for index, mode in ((6, "visible_only"), (13, "visible_only"), (7, "meta_only"), (8, "meta_only"),
                        (15, "meta_only"), (9, "jsonld_broken"), (16, "jsonld_broken")):
        specs[index].metadata = mode
    specs[13].template, specs[7].template, specs[8].template = "b", "a", "b"
    specs[9].template, specs[16].template = "a", "b"
    _set_paywall(specs[13], "truncated", rng)
    _set_paywall(specs[15], "overlay", rng)

    cp1252 = specs[10]
    cp1252.encoding = "windows-1252"
    cp1252.title = "Café workers’ “£2m” pay win at Marks & Spencer’s Brontë depot"
    cp1252.standfirst = "Staff at the café chain’s naïve “efficiency drive” say £12 a week isn’t enough"
    _set_paywall(cp1252, None, rng)
    specs[11].bom = True
    specs[11].title = "Gdańsk dockers’ solidarity with Łódź strikers"
    specs[12].malformed, specs[12].template = True, "a"
    specs[14].malformed, specs[14].template = True, "b"
    _set_paywall(specs[12], "truncated", rng)
    _set_paywall(specs[14], "overlay", rng)
    specs[17].canonical_link = False
    specs[18].old_path = f"/news/{specs[18].slug[:40]}-old"

    long_article = specs[19]
    long_article.paragraphs = [_paragraph(prose, rng) for _ in range(300)]
    _set_paywall(long_article, None, rng)

    spread = [specs[i] for i in range(26, len(specs), max(3, len(specs) // 10))][:3]
    for spec in [specs[20], specs[21], specs[22], *spread]:
        spec.listed, spec.only_via_similar = False, True
    specs[24].listed, specs[24].only_via_similar, specs[24].disallowed_only = False, False, True
    specs[25].listed, specs[25].only_via_similar, specs[25].orphan = False, False, True
    for spec in specs:
        if spec.bom or spec.encoding != "utf-8":
            continue
        if rng.random() < 0.02 and spec.index > 30:
            spec.metadata = "meta_only"


def _choose_similar(specs: list[ArticleSpec], rng: random.Random) -> None:
    """3-5 similar stories per article among listed ones; each hidden article gets 1-2 inbound links."""
    listed = [s for s in specs if s.listed]
    by_section: dict[str, list[ArticleSpec]] = {}
    for spec in listed:
        by_section.setdefault(spec.section, []).append(spec)
    for spec in specs:
        pool = [s for s in by_section[spec.section] if s is not spec] or listed
        count = rng.randint(3, 5)
        picks = rng.sample(pool, min(count, len(pool)))
        spec.similar = [s.path for s in picks]
    hosts = [s for s in listed if not s.malformed]
    for hidden in (s for s in specs if s.only_via_similar):
        for host in rng.sample(hosts, rng.randint(1, 2)):
            if hidden.path not in host.similar:
                host.similar.insert(rng.randrange(len(host.similar) + 1), hidden.path)
