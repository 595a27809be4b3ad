"""Scrapy settings for the archival crawler: polite, honest and cookie-less by default.

Every `ARCHIVE_*` setting is declared here, once, with its default and what it means; the README's
settings table repeats them (a test checks it does) and `crawler.config.ArchiveConfig` reads them.
"""

from crawler import __version__

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- The archive's own settings -------------------------------------------------------------------
# Directory for WARC files (`warcs/`) and the SQLite database.
ARCHIVE_DATA_DIR = "data"
# SQLAlchemy URL of the index database; empty means `sqlite:///<ARCHIVE_DATA_DIR>/archive.sqlite3`.
ARCHIVE_DATABASE_URL = ""
# Where WARC files go; empty means `<ARCHIVE_DATA_DIR>/warcs`.
ARCHIVE_WARC_DIR = ""
# Write WARC files (and the index fed from them).
ARCHIVE_WARC_ENABLED = True
# Index every capture and article in the database.
ARCHIVE_DB_ENABLED = True
# First part of every WARC file name.
ARCHIVE_WARC_PREFIX = "newsarchive"
# Roll over to a new WARC file before one would grow past this many bytes.
ARCHIVE_WARC_MAX_SIZE = 1_000_000_000
# Digest algorithm for WARC digests: `sha1` or `sha256`.
ARCHIVE_WARC_DIGEST = "sha1"
# zlib level (1-9) for each record's gzip member.
ARCHIVE_WARC_GZIP_LEVEL = 6
# Who runs the crawl (name or email), written into every warcinfo record.
ARCHIVE_OPERATOR = ""
# URL named in the User-Agent so site owners can find out who is crawling.
ARCHIVE_CONTACT_URL = "https://github.com/newsarchive/newsarchive"
# Crawl the site profile against this base URL (a mirror or local copy).
ARCHIVE_BASE_URL = ""
# Crawl with the profile at this path instead of a bundled one.
ARCHIVE_PROFILE_PATH = ""
# Database rows written per transaction by the index writer.
ARCHIVE_DB_BATCH_SIZE = 200
# Re-crawls send conditional requests and archive unchanged pages as revisit records.
ARCHIVE_INCREMENTAL = True
# Already archived articles are re-fetched while younger than this many days (0: never).
ARCHIVE_RECRAWL_DAYS = 7
# Show a live progress line when stderr is a terminal.
ARCHIVE_PROGRESS = True
# Share of pages that may fail (after retries) before the crawl exits with code 4.
ARCHIVE_MAX_FAILED_RATIO = 0.05
# Seconds `query` and `search` may spend in the database before they are stopped (0: no limit).
ARCHIVE_QUERY_TIMEOUT = 60
# Megabytes of memory SQLite may use for `query` and `search` (a quarter of it for any one value).
ARCHIVE_QUERY_MAX_MEMORY = 512
# Listing pages numbered above this (`?page=N`, or a listing path ending in a number such as
# `/news/more/N`) are not followed: endless pagination ends (0: no limit).
ARCHIVE_MAX_LISTING_PAGES = 100
# At most this many URLs that differ only in their digits (`/calendar/N/N/N`) are followed, unless
# articles were found under that pattern: calendars end (0: no limit).
ARCHIVE_MAX_URLS_PER_PATTERN = 1000
# A 429 or 503 with `Retry-After` is retried after that many seconds if it is at most this many; a
# longer wait is not retried in this crawl (a recorded failure).
ARCHIVE_RETRY_AFTER_MAX = 120
# Pages marked `noarchive` (meta robots, `X-Robots-Tag`) are archived and indexed, with the directive
# recorded in `extra.robots`; True leaves their article out of the index.
ARCHIVE_OBEY_NOARCHIVE = False
# Redis URL of a frontier shared by many workers (`redis://HOST:6379/N`); empty: one process, its own queue.
ARCHIVE_FRONTIER_URL = ""
# Seconds a frontier worker may go silent before the requests it took are given to another worker.
ARCHIVE_FRONTIER_LEASE = 30
# The cluster run a frontier worker takes part in (set by `newsarchive crawl --frontier`).
ARCHIVE_FRONTIER_RUN = ""
# Fetch and archive every page's requisites (stylesheets and what they load, scripts, images, icons),
# so pages replay as they looked (`crawler/requisites.py`).
ARCHIVE_REQUISITES = True
# Which kinds of requisite to fetch.
ARCHIVE_REQUISITE_TYPES = ["stylesheet", "script", "image", "font", "icon"]
# Bytes one requisite may have; a larger one is abandoned (counted under `archive/requisites/failed`).
ARCHIVE_REQUISITE_MAX_SIZE = 5_000_000
# Requisites requested for one page (or one stylesheet) at most, in document order.
ARCHIVE_REQUISITES_PER_PAGE = 150
# Empty: requisites come from whatever host a page loads them from (a CDN too). Otherwise only from
# the site's hosts and these.
ARCHIVE_REQUISITE_HOSTS = []

# --- Scrapy's settings, where ours differ from its defaults ---------------------------------------
# Honest identity: the project and a contact URL, so a site owner knows who is crawling.
USER_AGENT = f"newsarchive/{__version__} (+{ARCHIVE_CONTACT_URL}; archival crawler)"
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
# Scrapy starts this many asyncio tasks for every response to process its output (requests and
# items) in parallel; ours is synchronous (no item pipeline waits on I/O), so the default 100 tasks
# per page were a sixth of the crawl's CPU time (py-spy; see the README's benchmarks).
CONCURRENT_ITEMS = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# Links followed from the start pages; with the trap limits of `crawler/traps.py` (ARCHIVE_MAX_*).
DEPTH_LIMIT = 100

DOWNLOADER_MIDDLEWARES = {
    # first of all: a redirect or start URL to another host is dropped before its robots.txt is fetched
    "crawler.scope.OffsiteGuardMiddleware": 50,
    # after robots.txt (100), before retries and redirects: conditional headers on the first attempt
    "crawler.middleware.IncrementalMiddleware": 120,
    # Retry-After waited out before the retry middleware (550) retries a 429/503
    "crawler.retry_after.RetryAfterMiddleware": 560,
    # Content-Encoding: bombs refused while inflating, undecodable and truncated bodies recorded
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.decoding.ContentDecodingMiddleware": 590,
    # off anyway (COOKIES_ENABLED = False); left in the list, its module and tldextract were imported
    # at every start only to be disabled
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
}

# A shared frontier's AcknowledgeMiddleware is added by `crawler.run` with its scheduler: loading it
# imports the Redis client, 0.6 s of every crawl's start-up when no frontier is used.
SPIDER_MIDDLEWARES = {
    # nearest the engine: requisite requests skip the depth and trap limits meant for links
    "crawler.requisites.RequisitesMiddleware": 40,
    # a developer's check that a spider does not copy Scrapy's internal meta keys into new requests;
    # ours builds every request afresh, and the check is one more async-generator layer per page
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}

EXTENSIONS = {
    "crawler.extension.WarcCaptureExtension": 100,
    "crawler.progress.ProgressExtension": 500,
    # off unless REMOTE_CONTROL_ENABLED; left in the list, its module imported aiohttp at every start
    "scrapy.extensions.remote_control.RemoteControl": None,
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
