"""The replay index's one rule beyond plain CDXJ: a revisit's line points at the original it repeats.

A re-crawl archives an unchanged page as a standard `revisit` record (WARC 1.1): the server's 304,
or a 200 with the same payload digest, and no body. Replay tools resolve revisits differently:
pywb 2.10 replays a revisit whose HTTP status is 3xx as that status (so a 304 revisit shows an empty
page), and each reader has its own lookup for the others. Rewriting the WARC records to suit one
tool would make them non-standard; instead, the replay index (pywb's CDXJ, and the one inside the
WACZ) gives each revisit's capture time the location, status and type of its original response.
The WARC files are untouched, and the readers replay the original payload at the revisit's time.

An original is the latest earlier `2xx` response of the same URL key with the revisit's payload
digest, the rule pywb itself applies for identical-payload revisits. WARC files are indexed in name
order, which is capture order, so an original is always seen before its revisits.
"""

from __future__ import annotations

import json
from typing import Any

REVISIT_MIME = "warc/revisit"
_LOCATION = ("filename", "offset", "length")
# copied from the original's line when a revisit is pointed at it: where the bytes are, what they are
_ORIGINAL_FIELDS = ("mime", "status", *_LOCATION, "recordDigest")


class RevisitResolver:
    """Sees index lines in capture order; returns each revisit's line pointed at its original.

    `keep_own_record` (pywb): the line keeps the revisit record's location, for its date, and
    names the original in pywb's `orig.filename`/`orig.offset`/`orig.length` fields, which pywb
    loads the payload from (see `archive.replay.server.RevisitLoader`). Otherwise (the WACZ, read by
    ReplayWeb.page) the line points at the original record itself; the line keeps its timestamp.
    """

    def __init__(self, keep_own_record: bool = False) -> None:
        self.keep_own_record = keep_own_record
        self._originals: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        self.resolved = 0
        self.unresolved = 0

    def resolve(self, urlkey: str, timestamp: str, entry: dict[str, Any]) -> dict[str, Any]:
        """`entry` itself, or for a revisit with a known original, a copy pointing at it."""
        digest = entry.get("digest")
        if not digest or "revisit" in entry:  # no digest, or already resolved (an index read back)
            return entry
        if entry.get("mime") != REVISIT_MIME:
            if str(entry.get("status", "")).startswith("2"):
                self._originals[(urlkey, digest)] = (timestamp, entry)
            return entry
        found = self._originals.get((urlkey, digest))
        if found is None:
            self.unresolved += 1
            return entry
        original_timestamp, original = found
        resolved = dict(entry)
        if self.keep_own_record:
            resolved.update({"mime": original.get("mime", ""), "status": original.get("status", "")})
            resolved.update({f"orig.{name}": original[name] for name in _LOCATION if name in original})
        else:
            for name in _ORIGINAL_FIELDS:
                if name in original:
                    resolved[name] = original[name]
                else:
                    resolved.pop(name, None)
        # what the record at this time is (a revisit, with its own status), and whose bytes replay
        resolved["revisit"] = {"status": entry.get("status", ""), "original": original_timestamp}
        self.resolved += 1
        return resolved


def parse_line(line: str) -> tuple[str, str, dict[str, Any]]:
    """A CDXJ line as (url key, 14-digit timestamp, fields)."""
    urlkey, timestamp, fields = line.rstrip("\n").split(" ", 2)
    return urlkey, timestamp, json.loads(fields)
