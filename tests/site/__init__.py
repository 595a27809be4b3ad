"""A local news site with ground truth, served over real HTTP for crawler tests.

Importable as `newsarchive_site`: `build_site()` makes the Morning Star look-alike, `build_clarion()`
a second publisher with different markup (crawled with the profile file `CLARION_PROFILE`),
`build_variants()` one page per awkward paywall/metadata case (read with the generic profile);
`serve()` serves any of them, and `check` compares extracted articles with the truth.
"""

from .build import build_site
from .clarion import PROFILE_PATH as CLARION_PROFILE
from .clarion import build_clarion
from .model import ArticleTruth, Page, Site
from .server import SiteServer, serve
from .variants import build_variants

__all__ = ["CLARION_PROFILE", "ArticleTruth", "Page", "Site", "SiteServer", "build_clarion", "build_site",
           "build_variants", "serve"]
