"""Seeded fault injection: what can go wrong with a response, drawn per (seed, URL, attempt).

Why per attempt: a retry must get a fresh draw (so retries can succeed), yet the whole fault
crawl must be reproducible — the draw depends only on the seed, the URL and how many times
that URL was asked for before.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode, urlsplit

from replica.layout import OFFSITE_HOST
from replica.sites.base import Response

FAULT_KINDS = ("http500", "http502", "http503", "reset", "timeout", "truncated", "truncated_cl", "bad_gzip",
               "wrong_charset", "gb18030", "oversize", "redirect_loop", "redirect_offsite", "empty200", "soft404",
               "not_pdf")
_TEXT_ONLY = {"wrong_charset", "gb18030", "soft404"}
# Never drawn at random, only pinned to one report (`Replica(pinned=...)`): a report URL that answers 200
# with a login page or a busy page, which a crawler must not archive as the report.
PINNED_ONLY = ("login", "busy")
LOOP_PARAM = "__loop"
GB18030_ONLY = "𠀀䶮"  # U+20000 and U+4DAE: no GBK code, valid GB18030


@dataclass
class FaultConfig:
    rate: float = 0.0
    seed: int = 0
    delay: float = 2.0              # "timeout": how long to stall before answering
    oversize_bytes: int = 3_000_000
    log: list | None = None         # a list to append (host, raw_path, attempt, kind or None) per draw, for accounting


def draw(cfg: FaultConfig, host: str, raw_path: str, attempt: int, resp: Response) -> str | None:
    """The fault for this attempt at this URL, or None. Same inputs, same answer."""
    if cfg.rate <= 0:
        return None
    rng = random.Random(f"{cfg.seed}|{host}|{raw_path}|{attempt}")
    kind = None
    if rng.random() < cfg.rate:
        text = (resp.content_type or "").startswith(("text/", "application/json"))
        kinds = [k for k in FAULT_KINDS
                 if (k != "not_pdf" or resp.kind == "attachment") and (k not in _TEXT_ONLY or text)]
        kind = rng.choice(kinds)
    if cfg.log is not None:
        cfg.log.append((host, raw_path, attempt, kind))
    return kind


def loop_redirect(raw_path: str) -> str:
    """Next hop of a redirect loop: ?__loop=1 -> 2 -> 3 -> 1 … (never ends)."""
    parts = urlsplit(raw_path)
    q = parse_qsl(parts.query, keep_blank_values=True)
    n = next((int(v) for k, v in q if k == LOOP_PARAM and v.isdigit()), 0)
    q = [(k, v) for k, v in q if k != LOOP_PARAM] + [(LOOP_PARAM, str(n % 3 + 1))]
    return parts.path + "?" + urlencode(q)


def faulty(kind: str, resp: Response, raw_path: str, port: int, cfg: FaultConfig) -> tuple[Response, str]:
    """(response to send, how to send it: send | reset | truncate | truncate_cl | stall)."""
    html = "text/html; charset=utf-8"
    if kind in ("http500", "http502", "http503"):
        code = int(kind[4:])
        return Response(code, f"<html><body><h1>{code}</h1><hr>nginx</body></html>".encode(), html, "fault"), "send"
    if kind in ("reset", "truncated", "truncated_cl"):
        return resp, {"reset": "reset", "truncated": "truncate", "truncated_cl": "truncate_cl"}[kind]
    if kind == "timeout":
        return resp, "stall"
    if kind == "bad_gzip":
        return replace(resp, headers={**resp.headers, "Content-Encoding": "gzip"}, entry=None), "send"
    if kind == "wrong_charset":
        text = resp.body.decode("utf-8", "replace")
        return replace(resp, body=text.encode("gbk", "replace"), content_type=html, entry=None), "send"
    if kind == "gb18030":
        text = resp.body.decode("utf-8", "replace").replace("<body>", f"<body><p>{GB18030_ONLY}</p>", 1)
        if GB18030_ONLY not in text:
            text = GB18030_ONLY + text
        return replace(resp, body=text.encode("gb18030"), content_type="text/html; charset=GBK", entry=None), "send"
    if kind == "oversize":
        pad = b"<!-- " + b"x" * max(0, cfg.oversize_bytes - len(resp.body)) + b" -->"
        return replace(resp, body=resp.body + pad, entry=None), "send"
    if kind == "redirect_loop":
        return Response(302, b"", html, "fault", {"Location": loop_redirect(raw_path)}), "send"
    if kind == "redirect_offsite":
        return Response(302, b"", html, "fault", {"Location": f"http://{OFFSITE_HOST}:{port}{raw_path}"}), "send"
    if kind == "empty200":
        return replace(resp, status=200, body=b"", entry=None), "send"
    if kind == "soft404":
        body = "<html><head><title>页面不存在</title></head><body><div class='err'>抱歉，您访问的页面不存在或已删除！</div></body></html>"
        return Response(200, body.encode(), html, "fault"), "send"
    if kind == "login":
        body = ("<html><head><title>用户登录</title></head><body><div class='login'><p>请登录后查看</p><form method='post'>"
                "用户名<input name='user'> 密码<input type='password' name='pw'><button>登录</button></form></div></body></html>")
        return Response(200, body.encode(), html, "fault"), "send"
    if kind == "busy":
        body = "<html><head><title>提示</title></head><body><p>系统繁忙，请稍后再试</p></body></html>"
        return Response(200, body.encode(), html, "fault"), "send"
    if kind == "not_pdf":
        body = "<html><head><title>系统提示</title></head><body>系统繁忙，请稍后再试</body></html>"
        return replace(resp, body=body.encode(), entry=None), "send"
    raise ValueError(kind)
