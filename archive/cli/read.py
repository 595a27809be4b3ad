"""`newsarchive query`, `newsarchive search` and `newsarchive show`: reading the archive back.

`query` and `search` read the index, `show` one capture from the WARC files (`archive.readers`).

Every read command takes `output_options` (`--csv`, `--json`, `--nl`; a table by default: a rich
table on a terminal, plain aligned columns otherwise) and prints rows through `echo_rows`.
"""

from __future__ import annotations

import base64
import csv
import functools
import itertools
import json
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from archive.cli.shared import (
    Failed,
    NotStarted,
    data_dir_option,
    load_config,
    open_archive,
    parse_overrides,
    setting_option,
)
from archive.errors import ArchiveError, DatabaseNotMigrated
from archive.terminal import printable

FORMATS = ("csv", "json", "nl")
# Control characters never found in articles: search snippets carry them, a rich table highlights them.
MARK = ("\x02", "\x03")
TABLE_SAMPLE_ROWS = 1000  # rows a table is sized on (plain) or shows at most (terminal)


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--csv`, `--json` and `--nl` (at most one), handed to the command as `output_format`."""

    @click.option("--csv", "as_csv", is_flag=True, help="Print CSV with a header row.")
    @click.option("--json", "as_json", is_flag=True, help="Print a JSON array of objects.")
    @click.option("--nl", "as_nl", is_flag=True, help="Print newline-delimited JSON, one object a line.")
    @functools.wraps(command)
    def wrapper(*args: Any, as_csv: bool, as_json: bool, as_nl: bool, **kwargs: Any) -> Any:
        chosen = [name for name, on in zip(FORMATS, (as_csv, as_json, as_nl)) if on]
        if len(chosen) > 1:
            raise click.UsageError(f"choose one output format, not {' and '.join('--' + c for c in chosen)}")
        return command(*args, output_format=chosen[0] if chosen else "table", **kwargs)

    return wrapper


def echo_rows(columns: Sequence[str], rows: Iterable[Sequence[Any]], output_format: str) -> None:
    """Print rows as a table, CSV, a JSON array or newline-delimited JSON, as they come.

    CSV and JSON never hold more than one row; a plain table sizes its columns on the first
    `TABLE_SAMPLE_ROWS` rows and streams the rest; a terminal table shows at most that many.
    """
    if output_format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if value is None else value for value in row])
    elif output_format == "json":
        click.echo("[")
        separator = ""
        for row in rows:
            click.echo(separator + "  " + _json(dict(zip(columns, row))), nl=False)
            separator = ",\n"
        click.echo("\n]" if separator else "]")
    elif output_format == "nl":
        for row in rows:
            click.echo(_json(dict(zip(columns, row))))
    elif sys.stdout.isatty():
        _rich_table(columns, rows)
    else:
        _plain_table(columns, rows)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):  # a BLOB: lossless, as datasette writes it
        return {"$base64": True, "encoded": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Decimal):  # PostgreSQL's numeric (ROUND, AVG): a number, as SQLite's REAL
        return float(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _cell(value: Any, keep: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    # one line per row; archived text's control characters are shown, never sent to the terminal
    return printable(" ".join(str(value).split("\n")), keep)


def _plain_table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    iterator = iter(rows)
    sample = [[_cell(value) for value in row] for row in itertools.islice(iterator, TABLE_SAMPLE_ROWS)]
    widths = [max([len(name), *(len(row[i]) for row in sample)]) for i, name in enumerate(columns)]
    rest = ([_cell(value) for value in row] for row in iterator)
    for line in itertools.chain((list(columns), ["-" * width for width in widths]), sample, rest):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())


def _rich_table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(*columns, show_lines=False, highlight=False)
    shown = 0
    more = False
    for row in rows:
        if shown == TABLE_SAMPLE_ROWS:
            more = True
            break
        # snippets mark matches with MARK; everything else is shown literally
        table.add_row(*(
            escape(_cell(value, keep="".join(MARK))).replace(MARK[0], "[bold yellow]").replace(MARK[1], "[/bold yellow]")
            for value in row
        ))
        shown += 1
    Console().print(table)
    if more:
        click.echo(f"first {shown} rows shown: use --csv, --json or --nl (or LIMIT) for all of them")
    else:
        click.echo(f"{shown} row{'s' if shown != 1 else ''}")


def limit_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--timeout` and `--max-memory`, defaulting to the ARCHIVE_QUERY_* settings."""
    command = click.option(
        "--max-memory", type=click.IntRange(min=16), default=None, metavar="MB",
        help="Memory the database may use for the query (default: the ARCHIVE_QUERY_MAX_MEMORY setting, 512).",
    )(command)
    return click.option(
        "--timeout", type=click.FloatRange(min=0), default=None, metavar="SECONDS",
        help="Stop the query after this many seconds in the database; 0: no limit "
        "(default: the ARCHIVE_QUERY_TIMEOUT setting, 60).",
    )(command)


def _database(
    data_dir: Path | None, overrides: tuple[str, ...], timeout: float | None, max_memory: int | None
) -> tuple[str, Any]:
    """The index's URL and the query limits: the options where given, else the settings."""
    from archive.readers.query import QueryLimits

    _, config = load_config(data_dir, parse_overrides(overrides))
    limits = QueryLimits(
        timeout=config.query_timeout if timeout is None else timeout,
        max_memory=(config.query_max_memory if max_memory is None else max_memory) * 2**20,
    )
    return config.database_url, limits


def _parse_params(pairs: Sequence[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip().lstrip(":")
        if not sep or not re.fullmatch(r"\w+", name):
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--param")
        params[name] = value
    return params


@click.command()
@click.argument("sql")
@data_dir_option
@click.option(
    "-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
    help="Value for the named parameter :NAME in SQL (always text; SQLite converts as columns need).",
)
@limit_options
@setting_option
@output_options
def query(
    sql: str,
    data_dir: Path | None,
    params: tuple[str, ...],
    timeout: float | None,
    max_memory: int | None,
    overrides: tuple[str, ...],
    output_format: str,
) -> None:
    """Run read-only SQL on the index and print the rows.

    Writes, ATTACH and PRAGMAs that change state are refused by the connection. Tables, columns,
    views and example queries: docs/database.md. Rows are printed as they are read; a query that
    runs longer than --timeout or needs more than --max-memory is stopped with an error.

    Example: newsarchive query "SELECT section, COUNT(*) FROM articles WHERE published_at >= :since GROUP BY section" --param since=2026-01-01 --csv
    """
    from archive.readers.query import stream_query

    values = _parse_params(params)
    database_url, limits = _database(data_dir, overrides, timeout, max_memory)
    try:
        with stream_query(database_url, sql, values, limits) as result:
            echo_rows(result.columns, result.rows, output_format)
    except ArchiveError as error:
        sys.stdout.flush()
        raise Failed(str(error)) from error


class Day(click.ParamType):
    """YYYY-MM-DD (a whole day) or an ISO-8601 time (UTC unless it says otherwise)."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date | datetime:
        if isinstance(value, date):
            return value
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                return date.fromisoformat(value)
            return datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD) or ISO-8601 time", param, ctx)


@click.command()
@click.argument("words")
@data_dir_option
@click.option("--section", default=None, help="Only articles in this section (case-insensitive).")
@click.option("--since", type=Day(), default=None, help="Only articles published on or after this date.")
@click.option("--until", type=Day(), default=None, help="Only articles published on or before this date.")
@click.option(
    "--paywalled/--free", "paywalled", default=None, help="Only paywalled, or only free, articles."
)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="At most this many hits.")
@limit_options
@setting_option
@output_options
def search(
    words: str,
    data_dir: Path | None,
    section: str | None,
    since: date | datetime | None,
    until: date | datetime | None,
    paywalled: bool | None,
    limit: int,
    timeout: float | None,
    max_memory: int | None,
    overrides: tuple[str, ...],
    output_format: str,
) -> None:
    """Full-text search over titles, standfirsts and free text, best match first.

    WORDS uses SQLite FTS5 syntax: all plain words must occur; "a phrase", OR, NOT, NEAR(a b),
    prefix* and title: word work too. Snippets mark matches with [brackets] (highlighted on a
    terminal).

    Example: newsarchive search "pay strike" --section Britain --since 2026-01-01 --paywalled
    """
    from archive.readers.search import search as run_search

    mark = MARK if output_format == "table" and sys.stdout.isatty() else ("[", "]")
    database_url, limits = _database(data_dir, overrides, timeout, max_memory)
    try:
        hits = run_search(
            database_url, words, section=section, since=since, until=until,
            paywalled=paywalled, limit=limit, mark=mark, limits=limits,
        )
    except DatabaseNotMigrated as error:
        raise NotStarted(str(error)) from error
    except ArchiveError as error:
        raise Failed(str(error)) from error
    columns = ("published_at", "section", "paywalled", "title", "snippet", "url", "rank")
    rows = [
        (hit.published_at, hit.section, hit.paywalled, hit.title, hit.snippet, hit.url, float(f"{hit.rank:.4g}"))
        for hit in hits
    ]
    echo_rows(columns, rows, output_format)


@click.command()
@data_dir_option
@setting_option
@click.argument("url")
@click.option("--raw", is_flag=True, help="Write the archived response body (Content-Encoding undone) to stdout.")
def show(data_dir: Path | None, overrides: tuple[str, ...], url: str, raw: bool) -> None:
    """Print one capture of URL, read from the WARC: metadata, paywall marker and free text.

    URL is the article's URL, a variant with tracking parameters, or any URL fetched on the way
    to it (an old address that redirected). The latest capture is shown.

    Example: newsarchive show --data-dir /srv/archive https://morningstaronline.co.uk/article/b/some-story
    """
    from archive.index.database import Database
    from archive.readers.captures import CaptureReader, show_text

    config = open_archive(data_dir, overrides)
    try:
        with Database(config.database_url) as database:
            capture = CaptureReader(database, config.warc_dir).show(url)
        if raw:
            body = capture.decoded_body()
        else:
            text = show_text(capture)
    except ArchiveError as exc:
        raise Failed(str(exc)) from exc
    if raw:
        stdout = click.get_binary_stream("stdout")
        stdout.write(body)
        stdout.flush()
    else:
        click.echo(text, nl=False)
