"""Scrapy settings for the archival crawler: polite, honest and cookie-less by default."""

from crawler import __version__
from crawler.config import ARCHIVE_SETTINGS, default_of

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

for _spec in ARCHIVE_SETTINGS:
    globals()[_spec.name] = _spec.default

# Honest identity: the project and a contact URL, so a site owner knows who is crawling.
USER_AGENT = f"newsarchive/{__version__} (+{default_of('ARCHIVE_CONTACT_URL')}; archival crawler)"
ROBOTSTXT_OBEY = True

# Every article is captured as a fresh visitor sees it: no cookie ever reaches the next request,
# so a metered paywall never counts our visits down.
COOKIES_ENABLED = False

# Politeness for real sites. The local test site and the demo turn AutoThrottle off.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25

RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
REDIRECT_MAX_TIMES = 5

# Breadth-first: listings before deep article chains keeps memory flat on big sites.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# Links followed from the start pages; with the trap limits of `crawler/traps.py` (ARCHIVE_MAX_*).
DEPTH_LIMIT = 100

DOWNLOADER_MIDDLEWARES = {
    # first of all: a redirect or start URL to another host is dropped before its robots.txt is fetched
    "crawler.scope.OffsiteGuardMiddleware": 50,
    # after robots.txt (100), before retries and redirects: conditional headers on the first attempt
    "crawler.incremental.IncrementalMiddleware": 120,
    # Retry-After waited out before the retry middleware (550) retries a 429/503
    "crawler.retry_after.RetryAfterMiddleware": 560,
    # Content-Encoding: bombs refused while inflating, undecodable and truncated bodies recorded
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.decoding.ContentDecodingMiddleware": 590,
}

SPIDER_MIDDLEWARES = {
    # nearest the engine: requisite requests skip the depth and trap limits meant for links
    "crawler.requisites.RequisitesMiddleware": 40,
}

EXTENSIONS = {
    "crawler.capture.WarcCaptureExtension": 100,
    "crawler.progress.ProgressExtension": 500,
}

# No "br": pywb (for replay) installs brotlipy, which takes over the `brotli` module name and breaks
# Scrapy's brotli decoding; gzip and deflate are what every news site serves anyway. A coding sent
# unasked is archived raw and recorded as "cannot decode" (crawler/decoding.py).
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
    "Accept-Encoding": "gzip, deflate",
}

TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
