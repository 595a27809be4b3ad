"""Content-Encoding undone for the spider, in place of Scrapy's HttpCompressionMiddleware.

The capture extension has already archived the raw bytes when this runs. What it adds to Scrapy's
middleware: a coding we did not ask for (`br` sent unasked; pywb's brotlipy makes Scrapy's own
brotli path fail with an AttributeError) is a recorded "cannot decode" failure, a decompression bomb
is refused while it inflates and recorded as a failure (Scrapy ignores it silently), and a
compressed body that ends early is marked so its words are not indexed as a whole article.
"""

from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response, TextResponse
from scrapy.responsetypes import responsetypes

from archive.content_encoding import CannotDecode, DecodedTooLarge, content_codings, decode_content
from crawler.items import TRUNCATED_META, UndecodableResponse

logger = logging.getLogger(__name__)

ACCEPT_ENCODING = "gzip, deflate"  # what we ask for, and so what we decode (see crawler/settings.py)
ACCEPTED_CODINGS = frozenset({"gzip", "x-gzip", "deflate"})


class ContentDecodingMiddleware:
    """Decodes gzip and deflate bodies, capped at DOWNLOAD_MAXSIZE of output."""

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContentDecodingMiddleware:
        if not crawler.settings.getbool("COMPRESSION_ENABLED"):
            raise NotConfigured("COMPRESSION_ENABLED is off")
        return cls(crawler.settings.getint("DOWNLOAD_MAXSIZE"))

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        request.headers.setdefault("Accept-Encoding", ACCEPT_ENCODING)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        codings = content_codings(response.headers.getlist("Content-Encoding"))
        if request.method == "HEAD" or not codings or not response.body:
            return response
        max_size = request.meta.get("download_maxsize", self.max_size)
        try:
            decoded = decode_content(response.body, codings, max_size=max_size, accepted=ACCEPTED_CODINGS)
        except CannotDecode as exc:
            logger.warning("Archived %s raw: %s", response.url, exc)
            raise UndecodableResponse(f"{response.url}: {exc}", "cannot_decode") from None
        except DecodedTooLarge as exc:
            logger.warning("Archived %s raw: %s (DOWNLOAD_MAXSIZE)", response.url, exc)
            raise UndecodableResponse(f"{response.url}: {exc}", "decompression_bomb") from None
        if decoded.truncated:
            logger.warning("The compressed body of %s ends early: only its first %d bytes decoded",
                           response.url, len(decoded.body))
            request.meta[TRUNCATED_META] = True
        headers = response.headers.copy()
        del headers["Content-Encoding"]
        response_class = responsetypes.from_args(headers=headers, url=response.url, body=decoded.body)
        kwargs = {"encoding": None} if issubclass(response_class, TextResponse) else {}
        return response.replace(cls=response_class, body=decoded.body, headers=headers, **kwargs)
