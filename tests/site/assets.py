"""The site's requisites: stylesheets (one on the CDN, one imported, a web font and a background
image), scripts, icons and an image for every picture the pages show, so replay can be judged.

`{cdn}` in a body or link stands for the CDN's origin (another port, another origin to a crawler).
The headline colour and the paywall overlay's look come only from these stylesheets, which is
what a replay test checks.
"""

from __future__ import annotations

import hashlib
import struct
import zlib

from .model import Page

HEADLINE_COLOUR = "rgb(139, 0, 0)"  # what the site's stylesheet makes every article headline
MAIN_STYLESHEET = "/sites/default/files/css/css_a8f3kQ.css?t=q9x2"
IMPORTED_STYLESHEET = "/sites/default/files/css/typography.css"
CDN_STYLESHEET = "/sites/default/files/css/css_uV4bXo.css?t=q9x2"  # served from {cdn}
STYLESHEETS = ("a8f3kQ", "Zp0vYt", "mR2sLw", "hT7cNe", "uV4bXo")
WEB_FONT = "/fonts/clarion-serif.woff2"  # on the CDN, loaded by the imported stylesheet
HEADER_BACKGROUND = "/themes/custom/morningstar/header-bg.png"
ROBOTS_DENIED_IMAGE = "/print/print-badge.png"  # under a path robots.txt disallows
SCRIPTS = ("/sites/default/files/js/js_kP3xW9.js?scope=footer&delta=0",
           "/sites/default/files/js/js_Ae71Lm.js?scope=footer&delta=1")
IMAGE_VARIANTS = ("article_main", "similar_thumb", "related_card", "teaser")

_MAIN_CSS = f"""@import url("{IMPORTED_STYLESHEET}");
/* Morning Star theme: article typography and the paywall as a cookie-less reader sees it */
.node__title, .story-header__title {{ color: {HEADLINE_COLOUR}; letter-spacing: 0.5px; }}
.site-header {{ background: #fff url("{HEADER_BACKGROUND}") repeat-x top left; }}
.field--name-field-image img, .lead-image img {{ display: block; width: 100%; max-width: 800px; height: auto; }}
#paywall-overlay {{ background: rgb(255, 244, 214); border-top: 4px solid rgb(139, 0, 0); padding: 1rem; }}
.paywall-overlay__locked {{ filter: blur(4px); user-select: none; }}
.free-limit, .paywall-limit {{ background: rgb(255, 244, 214); padding: 1rem; }}
"""
_TYPOGRAPHY_CSS = """@font-face { font-family: "Clarion Serif"; src: url("{cdn}/fonts/clarion-serif.woff2") format("woff2"); }
h1, h2, h3 { font-family: "Clarion Serif", Georgia, serif; }
"""
_SMALL_CSS = {
    "Zp0vYt": ".menu { list-style: none; display: flex; flex-wrap: wrap; gap: .5rem; }\n",
    "mR2sLw": ".similar-story__title, .related-item__headline { font-weight: 700; }\n",
    "hT7cNe": ".visually-hidden { position: absolute !important; clip: rect(1px, 1px, 1px, 1px); }\n",
    "uV4bXo": ".site-footer { border-top: 1px solid #ccc; margin-top: 2rem; } /* from the CDN */\n",
}
_SCRIPT = b'document.documentElement.classList.add("js");\n'
_LOGO_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40" viewBox="0 0 200 40">'
             b'<rect width="200" height="40" fill="#8b0000"/><text x="10" y="27" fill="#fff" '
             b'font-family="serif" font-size="20">Morning Star</text></svg>')


def png(width: int, height: int, seed: str) -> bytes:
    """A valid PNG of one colour picked from `seed` (deterministic, a few hundred bytes)."""
    red, green, blue = hashlib.sha1(seed.encode()).digest()[:3]
    row = b"\x00" + bytes((red, green, blue)) * width
    raw = zlib.compress(row * height, 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def _asset(content_type: str, body: bytes) -> Page:
    return Page(status=200, headers=[("Content-Type", content_type), ("Cache-Control", "max-age=31536000")],
                body=body)


def asset_pages(images: list[str]) -> dict[str, Page]:
    """Every requisite of the site by path (and query, as the pages link them); `images` are the
    lead-image paths, each served in every size the templates use."""
    pages = {
        MAIN_STYLESHEET: _asset("text/css; charset=utf-8", _MAIN_CSS.encode()),
        IMPORTED_STYLESHEET: _asset("text/css; charset=utf-8", _TYPOGRAPHY_CSS.encode()),
        WEB_FONT: _asset("font/woff2", b"wOF2" + hashlib.sha256(b"clarion").digest() * 8),
        HEADER_BACKGROUND: _asset("image/png", png(4, 60, "header")),
        ROBOTS_DENIED_IMAGE: _asset("image/png", png(8, 8, "print")),
        "/themes/custom/morningstar/logo.svg": _asset("image/svg+xml", _LOGO_SVG),
        "/themes/custom/morningstar/logo.png": _asset("image/png", png(60, 60, "logo")),
        "/themes/custom/morningstar/favicon.ico": _asset("image/png", png(16, 16, "favicon")),
    }
    for name, css in _SMALL_CSS.items():
        pages[f"/sites/default/files/css/css_{name}.css?t=q9x2"] = _asset("text/css; charset=utf-8", css.encode())
    for path in SCRIPTS:
        pages[path] = _asset("application/javascript", _SCRIPT)
    for image in images:
        for variant in IMAGE_VARIANTS:
            path = image.replace("article_main", variant)
            width = 80 if variant == "article_main" else 24
            pages[path] = _asset("image/png", png(width, width * 2 // 3, path))
    return pages
