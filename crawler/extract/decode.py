"""Bytes to text and text to one parsed tree, the only place a page is decoded or parsed.

(Content-Encoding is undone before, by `archive.content_encoding`, shared with `newsarchive show`.)"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from lxml import etree
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction
from parsel.selector import create_root_node
from charset_normalizer import from_bytes
from w3lib.encoding import html_to_unicode, resolve_encoding

logger = logging.getLogger(__name__)

_NON_HTML_PREFIXES = ("image/", "audio/", "video/", "font/", "application/pdf", "application/zip",
                      "application/octet-stream", "application/json", "text/css", "text/javascript")
_WIDE_BOMS = (b"\xff\xfe", b"\xfe\xff")


def header_value(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Case-insensitive header lookup over any mapping (dict, Scrapy Headers, bytes or str)."""
    if not headers:
        return None
    wanted = name.lower()
    for key, value in headers.items():
        key_text = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if key_text.lower() == wanted:
            if isinstance(value, list | tuple):
                value = value[0] if value else ""
            return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return None


def decode_html(body: bytes, headers: Mapping[str, str] | None) -> str | None:
    """Unicode text of an HTML body (BOM, then HTTP charset, then <meta>, then UTF-8), or None
    when the response is evidently not HTML (media type, or NUL bytes outside UTF-16/32)."""
    content_type = header_value(headers, "Content-Type")
    if content_type and content_type.strip().lower().startswith(_NON_HTML_PREFIXES):
        return None
    if not body or (b"\x00" in body[:2048] and not body.startswith(_WIDE_BOMS)):
        return None
    _encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_auto_detect)
    return text


def _auto_detect(body: bytes) -> str | None:
    """Undeclared encodings guessed as Scrapy's TextResponse guesses them, so a page extracted from
    its bytes reads the same as in the crawl: ASCII, UTF-8, then charset-normalizer's best guess."""
    for encoding in ("ascii", "utf-8"):
        try:
            body.decode(encoding)
        except UnicodeError:
            continue
        return resolve_encoding(encoding)
    match = from_bytes(body).best()
    return resolve_encoding(match.encoding) if match else None


class FastHtmlParser(etree.HTMLParser):
    """lxml's HTML parser giving every element the one `HtmlElement` class, looked up in C.

    `lxml.html.HTMLParser` picks a class per tag (FormElement, InputElement…) in a Python method
    that runs each time lxml hands an element to Python: on a walk over the whole tree that lookup
    alone was about a third of the walk's time. Extraction needs none of those per-tag classes."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.set_element_class_lookup(etree.ElementDefaultClassLookup(
            element=HtmlElement, comment=HtmlComment, pi=HtmlProcessingInstruction, entity=HtmlEntity))


def parse_html(text: str, url: str) -> HtmlElement | None:
    """The page's lxml root, parsed once, as parsel parses it for the crawl (NUL bytes dropped,
    huge documents allowed, the same recovery), with the fast element lookup of `FastHtmlParser`."""
    try:
        root = create_root_node(text, FastHtmlParser, base_url=url)
    except (etree.ParserError, ValueError) as exc:
        logger.debug("unparseable page %s: %s", url, exc)
        return None
    if not isinstance(root, HtmlElement) or not len(root):
        return None
    return root
