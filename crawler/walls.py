"""Tell a bot wall from an ordinary failure, and say what happened in words a user can act on.

A blocked host must never look like a portal with no reports: the run is recorded as `blocked`
and nothing is marked gone.
"""
from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure


def wall(status: int, body: bytes) -> str | None:
    """Name the bot wall an error response comes from, or None for an ordinary HTTP error."""
    head = body[:20000]
    if status == 412 and (b"$_ts" in head or b"_$" in head):
        return "HTTP 412 with a $_ts script: a 瑞数 (Rivers Security) JavaScript wall; a browser is needed"
    if status in (521, 512) and b"document.cookie" in head:
        return f"HTTP {status} with a document.cookie script: a 加速乐 (Jiasule) JavaScript cookie wall"
    if status in (412, 521, 512):
        return f"HTTP {status}: a JavaScript challenge page (bot wall)"
    if status == 403:
        return "HTTP 403 Forbidden: the server refuses this client (IP or User-Agent block)"
    if status == 429:
        return "HTTP 429 Too Many Requests even after waiting for Retry-After: rate-limited"
    return None


def describe_failure(failure: Failure) -> tuple[str, bool]:
    """(reason, blocked) for a failed request."""
    exc = failure.value
    if isinstance(exc, HttpError):
        response = exc.response
        blocked = wall(response.status, response.body)
        if blocked:
            return blocked, True
        return f"HTTP {response.status}", False
    if isinstance(exc, IgnoreRequest):
        text = str(exc) or type(exc).__name__
        if "robots.txt" in text:
            return "robots.txt disallows this URL for our User-Agent", True
        return text, False
    return f"{type(exc).__name__}: {exc}".rstrip(": "), False
