"""Scrapy settings for nianbao: polite by default, because the sites are small county servers.

Everything here is production behaviour. Tests, the demo and the bench crawl the local replica with
`FAST` on top (delays off); nothing else changes between them and a real crawl.
"""
from __future__ import annotations

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "nianbao/0.1 (+https://github.com/nianbao/nianbao)"
ROBOTSTXT_OBEY = True

# Politeness per backend (hosts on one address or one declared platform share it, see crawler.backends):
# a backend serving N portals/hosts gets min(BACKEND_MAX_SLOTS, ceil(N / BACKEND_HOSTS_PER_SLOT)) slots
# (1 for up to 40), each holding one request and starting the next at least DOWNLOAD_DELAY after its
# previous answer; slower when the server slows down (AutoThrottle), 1 slot at a doubled delay for
# BACKEND_COOLDOWN s after a 429/503/timeout. A portals.toml entry may set `backend_slots` for its platform.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 2
BACKEND_MAX_SLOTS = 4
BACKEND_HOSTS_PER_SLOT = 40
BACKEND_COOLDOWN = 60
BACKEND_REDIS_URL = ""  # set by a distributed run: the budgets live in Redis, shared by all its processes
BACKEND_LOCK_DIR = ""  # otherwise in lock files shared by every process on the machine; "" = `<ARCHIVE_DB>.backends/`
PORTALS_FILE = ""  # set by `nianbao crawl`: a declared backend's slots count every portal of it declaring it
BACKEND_LEASE_SECONDS = 0  # a distributed run's Redis slot leases; 0 = DOWNLOAD_TIMEOUT + AUTOTHROTTLE_MAX_DELAY + 10
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2
AUTOTHROTTLE_MAX_DELAY = 60
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Bounded retries; 429/503 also wait for the server's Retry-After (crawler.middlewares.RetryAfterMiddleware).
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = True

# Scrapy 2.19 starts a token-protected code-execution server on every crawl unless told not to.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.ConditionalRequestMiddleware": 450,
    "crawler.middlewares.SchemeFallbackMiddleware": 540,  # sees a failure after RetryMiddleware (550) gave up
    "crawler.middlewares.RetryAfterMiddleware": 560,  # process_response runs before RetryMiddleware (550)
    "crawler.middlewares.OffsiteRedirectMiddleware": 610,  # sees a 3xx before RedirectMiddleware (600)
    # Closest to the downloader: one budget per backend (resolved address, or the portal's `backend` key),
    # shared by every process crawling into the archive, and by every worker of a distributed run (crawler.backends).
    "crawler.backends.BackendSlotMiddleware": 950,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ArchivePipeline": 300,
}
# The crawl's one link to the archive: run lifecycle, validators in request meta, archiving and parsing.
EXTENSIONS = {
    "crawler.archivist.Archivist": 500,
}

# Items (and requests) a callback's output is processed with in parallel. Scrapy starts this many asyncio
# tasks for EVERY response; our callbacks yield one item and a page of links, so 100 (the default) only
# costs reactor CPU (~1 s per 750 pages here).
CONCURRENT_ITEMS = 16

# Scrapy re-reads a generator callback's source (inspect + ast) on every response to warn about
# `return value` inside generators; its cache is keyed by the bound method, a new object each time, so it
# never hits (~0.4 ms of reactor CPU a response). Our callbacks are covered by tests instead.
WARN_ON_GENERATOR_RETURN_VALUE = False

# Where the archive lives (`-s ARCHIVE_DB=...`, `nianbao crawl --db`) and how many parse workers run.
ARCHIVE_DB = "nianbao.db"
ARCHIVE_READ_ONLY = False  # True for a distributed run's workers: they read validators, the writer records
PARSE_WORKERS = 0  # 0 = one per CPU but one (that core is the crawl's)

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"

# Loopback replica only: tests, `nianbao demo` and bench/crawl_bench.py. Never for real portals.
FAST: dict[str, object] = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "RETRY_TIMES": 2,
    "DOWNLOAD_TIMEOUT": 20,
}
