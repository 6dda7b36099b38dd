"""A raw one-request HTTP client for probing the replica: no redirects, no decoding, no retries.

Why not urllib: tests must see exactly what the server sent (302s, 412/521 bodies, truncated
bodies, resets, undecodable gzip), which urllib hides or turns into exceptions.
"""
from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit


@dataclass
class Probe:
    status: int | None               # None: no response (reset, timeout, refused)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    error: str | None = None         # reset | timeout | incomplete | refused | tls

    def text(self, encoding: str = "utf-8") -> str:
        return self.body.decode(encoding, "replace")


def fetch(url: str, method: str = "GET", form: dict[str, str] | None = None, headers: dict[str, str] | None = None,
          timeout: float = 10.0) -> Probe:
    parts = urlsplit(url)
    if parts.scheme == "https":  # the replica's certificate is self-signed, as many portals' are
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=ssl._create_unverified_context())
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    body = urlencode(form).encode() if form is not None else None
    hdrs = dict(headers or {})
    if body is not None:
        hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        got = {k.lower(): v for k, v in resp.getheaders()}
        try:
            data = resp.read()
        except http.client.IncompleteRead as e:
            return Probe(resp.status, got, e.partial, "incomplete")
        except (ConnectionResetError, socket.timeout) as e:
            return Probe(resp.status, got, b"", "reset" if isinstance(e, ConnectionResetError) else "timeout")
        return Probe(resp.status, got, data)
    except ConnectionRefusedError:
        return Probe(None, error="refused")
    except ssl.SSLError:
        return Probe(None, error="tls")
    except socket.timeout:
        return Probe(None, error="timeout")
    except (ConnectionResetError, http.client.RemoteDisconnected, BrokenPipeError):
        return Probe(None, error="reset")
    finally:
        conn.close()
