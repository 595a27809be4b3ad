"""`newsarchive browse`: Datasette over a real crawl's index, read-only, documented, linked to replay."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from archive.readers.browse import DOCUMENT, DatabaseDocs
from tests.helpers import SiteCrawl, newsarchive_argv

pytestmark = pytest.mark.sqlite_only("browse serves the SQLite file through Datasette (it refuses other databases)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def browse(crawled: SiteCrawl, tmp_path_factory) -> Iterator[str]:
    port = free_port()
    log = (tmp_path_factory.getbasetemp() / "browse.log").open("w")
    process = subprocess.Popen(
        newsarchive_argv("browse", "--data-dir", str(crawled.result.data_dir), "--port", str(port),
         "--replay-url", "http://127.0.0.1:9/"), stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "-/versions.json", timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError):
                assert process.poll() is None and time.monotonic() < deadline, "browse did not start"
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def test_a_documented_example_is_a_canned_query_that_answers(crawled: SiteCrawl, browse: str) -> None:
    titles = [title for title, _ in DatabaseDocs.read().examples]
    assert "Articles published per day" in titles
    queries = {query["title"]: query["name"] for query in get_json(browse + "archive.json")["queries"]}
    assert set(queries) == set(titles)
    rows = get_json(f"{browse}archive/{queries['Articles published per day']}.json?_shape=array")
    with sqlite3.connect(crawled.result.database) as db:
        expected = db.execute("SELECT substr(published_at, 1, 10), count(*) FROM articles WHERE published_at"
                              " IS NOT NULL GROUP BY 1 ORDER BY 1 DESC LIMIT 14").fetchall()
    assert [(row["day"], row["articles"]) for row in rows] == [tuple(row) for row in expected] != []


def test_columns_carry_their_documented_meaning_and_urls_link_to_replay(crawled: SiteCrawl, browse: str) -> None:
    meaning = DatabaseDocs.read().tables["articles"]["url"]
    page = urllib.request.urlopen(browse + "archive/articles?_size=5", timeout=30).read().decode()
    assert meaning.split(" (")[0] in page
    assert f'<a class="replay" href="http://127.0.0.1:9/newsarchive/{crawled.base_url}/article/' in page


def test_browse_is_read_only(crawled: SiteCrawl, browse: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(browse + "archive.json?sql=DELETE+FROM+articles", timeout=30)
    assert refused.value.code == 400
    with sqlite3.connect(crawled.result.database) as db:
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] > 0


def test_every_documented_table_is_in_the_metadata() -> None:
    docs = DatabaseDocs.read(DOCUMENT)
    assert {"articles", "captures", "crawl_runs", "article_versions"} <= set(docs.tables)
    assert all(docs.tables[name] for name in ("articles", "captures", "crawl_runs"))
