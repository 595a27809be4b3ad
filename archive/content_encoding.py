"""Content-Encoding undone with a cap on the output, so a decompression bomb is refused while it
inflates: for the crawl's decoding middleware and for `newsarchive show` alike (stdlib and brotli only).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

DECODE_CHUNK = 64 * 1024  # bytes of output per step, so a size cap is checked as output grows
BROTLI_INPUT_CHUNK = 1024  # brotlipy has no output limit: feed it this much input at a time


class CannotDecode(ValueError):
    """A body whose Content-Encoding is unknown, not asked for, or corrupt from its first byte."""


class DecodedTooLarge(ValueError):
    """A body that decompresses past the cap (a decompression bomb); refused while decompressing."""

    def __init__(self, decoded: int, cap: int) -> None:
        super().__init__(f"decompressed past {cap:,} bytes ({decoded:,} so far): refused as a decompression bomb")
        self.decoded, self.cap = decoded, cap


@dataclass(frozen=True, slots=True)
class DecodedBody:
    """A body with its Content-Encoding undone; `truncated` when the compressed stream ended early
    (or broke) after some output: the text is only the part that decoded."""

    body: bytes
    truncated: bool = False


def content_codings(values: Iterable[bytes | str]) -> list[str]:
    """The codings of one or more Content-Encoding header values, in the order applied."""
    codings: list[str] = []
    for value in values:
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        codings.extend(part.strip().lower() for part in text.split(",") if part.strip())
    return [coding for coding in codings if coding != "identity"]


def decode_content(body: bytes, codings: list[str], *, max_size: int,
                   accepted: frozenset[str] = frozenset({"gzip", "x-gzip", "deflate", "br"})) -> DecodedBody:
    """Undo a Content-Encoding chain (last applied first) with output capped at `max_size` bytes
    (0: no cap). Raises `CannotDecode` or `DecodedTooLarge`."""
    truncated = False
    for coding in reversed(codings):
        if coding not in accepted:
            raise CannotDecode(f"cannot decode Content-Encoding {coding!r}")
        if coding in ("gzip", "x-gzip"):
            body, cut = _inflate(body, max_size, gzip=True)
        elif coding == "deflate":
            body, cut = _inflate(body, max_size, gzip=False)
        elif coding == "br":
            body, cut = _unbrotli(body, max_size)
        else:
            raise CannotDecode(f"cannot decode Content-Encoding {coding!r}")
        truncated = truncated or cut
    return DecodedBody(body, truncated)


def _inflate(body: bytes, max_size: int, *, gzip: bool) -> tuple[bytes, bool]:
    """gzip (every member) or zlib/raw deflate, in bounded steps; (output, stream ended early)."""
    wbits = 16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS
    out = bytearray()
    data = body
    while True:
        decompressor = zlib.decompressobj(wbits)
        try:
            out += decompressor.decompress(data, DECODE_CHUNK)
        except zlib.error:
            if not gzip and not out and wbits > 0:  # raw deflate, as some servers send it
                wbits = -zlib.MAX_WBITS
                continue
            if not out:
                raise CannotDecode(f"not valid {'gzip' if gzip else 'deflate'} data") from None
            return bytes(out), True
        try:
            while decompressor.unconsumed_tail and not decompressor.eof:
                _check_size(len(out), max_size)
                out += decompressor.decompress(decompressor.unconsumed_tail, DECODE_CHUNK)
        except zlib.error:
            return bytes(out), True
        _check_size(len(out), max_size)
        if not decompressor.eof:
            return bytes(out), True  # the stream stopped before its end: a truncated body
        data = decompressor.unused_data
        if not gzip or not data.strip(b"\x00"):  # another gzip member follows, or only padding
            return bytes(out), False


def _unbrotli(body: bytes, max_size: int) -> tuple[bytes, bool]:
    try:  # Google's brotli, or brotlipy (which pywb pulls in) under the same module name
        import brotli
    except ImportError:
        raise CannotDecode("cannot decode Content-Encoding 'br': no brotli module installed") from None
    decompressor = brotli.Decompressor()
    out = bytearray()
    try:
        if hasattr(decompressor, "process"):  # Google's brotli: output in bounded steps
            out += decompressor.process(body, output_buffer_limit=DECODE_CHUNK)
            while not decompressor.is_finished():
                _check_size(len(out), max_size)
                chunk = decompressor.process(b"", output_buffer_limit=DECODE_CHUNK)
                if not chunk:
                    return bytes(out), True
                out += chunk
            _check_size(len(out), max_size)
            return bytes(out), False
        for start in range(0, len(body), BROTLI_INPUT_CHUNK):  # brotlipy: bounded input steps
            out += decompressor.decompress(body[start:start + BROTLI_INPUT_CHUNK])
            _check_size(len(out), max_size)
        try:
            decompressor.finish()
        except brotli.error:
            return bytes(out), True
        return bytes(out), False
    except DecodedTooLarge:
        raise
    except Exception as exc:  # brotli.error under either module, or a module conflict
        if not out:
            raise CannotDecode(f"cannot decode Content-Encoding 'br': {exc}") from None
        return bytes(out), True


def _check_size(size: int, cap: int) -> None:
    if cap and size > cap:
        raise DecodedTooLarge(size, cap)
