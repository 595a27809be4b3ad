"""Page-level robots directives (`<meta name="robots">`, `X-Robots-Tag`), read for `noarchive`.

`noarchive` asks search engines not to show a cached copy. An archive is not a search engine's
cache, and the response is already written to the WARC before its HTML is read, so by default
(`ARCHIVE_OBEY_NOARCHIVE = False`) the page is archived and indexed like any other, and the
directives are recorded in its article record (`extra.robots`). With the setting on, such a page's
article is neither extracted nor indexed; its raw capture stays in the WARC.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree
from lxml.html import HtmlElement

_META_ROBOTS = etree.XPath(
    "/html/head/meta[translate(@name, 'ROBTS', 'robts')='robots' or translate(@name, 'NEWSARCHIV', 'newsarchiv')"
    "='newsarchive']/@content"
)


def robots_directives(header_values: Iterable[bytes | str], page: HtmlElement | None) -> tuple[str, ...]:
    """Lower-cased directives in page order, duplicates dropped: X-Robots-Tag values (a leading
    `agent:` is dropped: we honour directives addressed to any robot) then meta robots content."""
    found: list[str] = []
    for value in header_values:
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        for part in text.split(","):
            directive = part.strip().lower()
            if ":" in directive and not directive.startswith(("unavailable_after", "max-")):
                directive = directive.split(":", 1)[1].strip()
            found.append(directive)
    if page is not None:
        for content in _META_ROBOTS(page):
            found.extend(part.strip().lower() for part in str(content).split(","))
    return tuple(dict.fromkeys(directive for directive in found if directive))
