"""Extraction accuracy on the sample site's publishers: the share of articles with each field right.

    .venv/bin/python benchmarks/extraction_accuracy.py [--articles 200] [--clarion 48]

For the Morning Star and The Clarion, once with their own profile and once with the generic profile;
for the variant pages (one per awkward case) with the generic profile, which is what reads them.
Every page is extracted from the bytes the server would send (`extract_article`), and each field is
compared with the ground truth exactly (`newsarchive_site.check.scored`): paywall flag (an unknown
flag counts as wrong where the truth knows), free text, title, publication date (to the second,
UTC), the list of authors, and section. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import time

from newsarchive_site import CLARION_PROFILE, Site, build_clarion, build_site, build_variants
from newsarchive_site.check import SCORED, scored

from crawler.extract import extract_article
from crawler.sites import load_profile

BASE = "http://127.0.0.1:8000"
HEADINGS = {"paywalled": "paywall flag", "free_text": "free text", "title": "title", "published_at": "date",
            "authors": "authors", "section": "section"}


def accuracy(site: Site, profile_ref: str) -> tuple[int, dict[str, float], float]:
    """(articles, share right per field, milliseconds per page)."""
    profile = load_profile(profile_ref)
    right = dict.fromkeys(SCORED, 0)
    started = time.perf_counter()
    for path, truth in site.truth.items():
        headers, body = site.lookup(path).render(BASE)
        article = extract_article(body, BASE + path, dict(headers), profile)
        for name, ok in scored(article, truth).items():
            right[name] += ok
    elapsed = time.perf_counter() - started
    total = len(site.truth)
    return total, {name: count / total for name, count in right.items()}, elapsed * 1000 / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=200, help="Morning Star articles (default 200)")
    parser.add_argument("--clarion", type=int, default=48, help="Clarion articles (default 48)")
    options = parser.parse_args()
    morningstar, clarion, variants = build_site(options.articles), build_clarion(options.clarion), build_variants()
    rows = [
        ("Morning Star", "morningstar", morningstar, "morningstar"),
        ("Morning Star", "generic", morningstar, "generic"),
        ("The Clarion", "clarion (file)", clarion, CLARION_PROFILE),
        ("The Clarion", "generic", clarion, "generic"),
        ("Variant pages", "generic", variants, "generic"),
    ]
    print("| publisher | profile | articles | " + " | ".join(HEADINGS[name] for name in SCORED) + " | ms/page |")
    print("| --- | --- | ---: | " + " | ".join("---:" for _ in SCORED) + " | ---: |")
    for publisher, label, site, ref in rows:
        total, shares, ms = accuracy(site, ref)
        cells = " | ".join(f"{shares[name]:.0%}" if shares[name] in (0, 1) else f"{shares[name]:.1%}" for name in SCORED)
        print(f"| {publisher} | {label} | {total} | {cells} | {ms:.1f} |")


if __name__ == "__main__":
    main()
