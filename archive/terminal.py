"""Archived text made safe for a terminal: control characters shown, never obeyed.

A hostile page's title can hold ESC sequences that set the window title, clear the screen or
rewrite what was printed before; `show` and `query`'s tables print archived text, so every control
character (C0, DEL, C1) and the bidirectional overrides are written as visible `\\xNN` / `\\uNNNN`
escapes instead. CSV and JSON output keep the exact text: they are data, not a terminal view.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, line/paragraph separators, and the bidi embeddings/overrides/isolates
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str, keep: str = "") -> str:
    """`text` with every terminal control character except those in `keep` written as an escape."""

    def escape(match: re.Match[str]) -> str:
        char = match.group()
        if char in keep:
            return char
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _UNSAFE.sub(escape, text)
