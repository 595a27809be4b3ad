"""The Datasette plugin of `newsarchive browse`: article URLs rendered as links to their replay.

Registered by `archive.readers.browse.serve`; the replay's address is the plugin's configuration in the
metadata. Only http(s) values become links (an archived page's URL may be anything), and Datasette
escapes the rest as usual.
"""

from __future__ import annotations

from html import escape
from typing import Any

from datasette import hookimpl
from markupsafe import Markup

from archive.readers.browse import ARTICLE_URL_COLUMNS, PLUGIN_NAME, replay_link


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str, datasette: Any) -> Markup | None:
    if (table, column) not in ARTICLE_URL_COLUMNS and not (table is None and column in ("url", "target_url")):
        return None
    config = datasette.plugin_config(PLUGIN_NAME) or {}
    link = replay_link(value, config.get("replay_url", "http://127.0.0.1:8081/"))
    if link is None:
        return None
    return Markup(f'<a class="replay" href="{escape(link)}" rel="noreferrer">{escape(value)}</a>')
