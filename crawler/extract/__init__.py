"""Article extraction: a pure function from a fetched page and a site profile to an `Article`."""

from .article import RECORD_SCHEMA, Article, Author, PaywallMarker, SimilarStory
from .budget import ExtractionTimeout
from .extractor import EXTRACTOR_VERSION, extract_article, extract_from_tree

__all__ = ["EXTRACTOR_VERSION", "RECORD_SCHEMA", "Article", "Author", "ExtractionTimeout", "PaywallMarker",
           "SimilarStory", "extract_article", "extract_from_tree"]
