"""What the spider yields for each article page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crawler.extract.article import Article


@dataclass(slots=True)
class ArticleItem:
    """An extracted article and the archived response it came from."""

    article: Article
    response_record_id: str  # WARC-Record-ID of the response record: the metadata record points here
    captured_at: datetime  # when the capture began; the metadata record shares the response's date
