"""A local Morning Star look-alike with ground truth, served over real HTTP for crawler tests.

Importable as `newsarchive_site`: `build_site()` makes the pages and truth, `serve()` serves them.
"""

from .build import build_site
from .model import ArticleTruth, Page, Site
from .server import SiteServer, serve

__all__ = ["ArticleTruth", "Page", "Site", "SiteServer", "build_site", "serve"]
