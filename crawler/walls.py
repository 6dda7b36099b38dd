"""Tell a bot wall from an ordinary failure, and say what happened in words a user can act on.

A blocked host must never look like a portal with no reports: the run is recorded as `blocked`
and nothing is marked gone.
"""
from __future__ import annotations

import re

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


_LOGIN = re.compile(r"请登录|请先登录|登录后(?:查看|浏览|访问|下载)|用户登录|会员登录|统一身份认证")
_PASSWORD = re.compile(r"<input[^>]+type\s*=\s*[\"']?password", re.I)
_BUSY = re.compile(r"系统繁忙|服务器繁忙|请稍后再试|稍后重试|访问人数过多|系统维护中?|访问出错|系统错误")
_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.S | re.I)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.S | re.I)
_CJK = re.compile(r"[\u4e00-\u9fff]")
SHORT_PAGE = 400  # Chinese characters: a wall or busy page has a few dozen, a report thousands


def wall_page(html: str) -> str | None:
    """Why a 200 page is a login wall or a busy/error page instead of the document asked for, or None.

    Only short pages are judged (a report page has hundreds of characters even when its tables are in a
    file), and a login link in a portal's header is not a wall: a login page has a password field or
    says so in its <title>."""
    head = html[:200_000]
    text = _TAGS.sub(" ", head)
    chinese = len(_CJK.findall(text))
    if chinese >= SHORT_PAGE:
        return None
    title = _TITLE.search(head)
    title = _TAGS.sub(" ", title.group(1)) if title else ""
    if _PASSWORD.search(head) or _LOGIN.search(title):
        return "a login page came back instead of the document (answered 200)"
    busy = _BUSY.search(title) or (chinese < SHORT_PAGE // 4 and _BUSY.search(text))
    if busy:
        return f"a busy or error page ({busy.group(0)}) came back instead of the document (answered 200)"
    return None
