"""Quirk #20 (cms-patterns.md §6): a site whose https is broken while its http works, or the reverse.

Why one port for both schemes: every replica site shares one port, so a site with a TLS side tells the
schemes apart by the first byte a client sends (0x16 opens a TLS handshake). The broken side accepts the
connection and then fails it the way real portals do; the working https side presents a self-signed
certificate made at start-up (government portals often serve such certificates; crawlers do not verify).

Broken https answers the ClientHello with a fatal handshake_failure alert, where a real server with a
broken key exchange (OpenSSL's BAD_ECPOINT) fails later in the handshake: the client sees a failed TLS
handshake either way. Broken http is reset before any answer, as a closed or filtered port 80 behind a
load balancer is.
"""
from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import struct
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TLS_RECORD = 0x16                                   # first byte of a ClientHello
HANDSHAKE_ALERT = b"\x15\x03\x03\x00\x02\x02\x28"   # alert record: fatal, handshake_failure


def self_signed_context(hosts: list[str]) -> ssl.SSLContext:
    """A server context with a fresh self-signed EC certificate for `hosts` (IP addresses)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(h)) for h in hosts]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:  # ssl loads a certificate chain only from files
        pem = Path(tmp) / "replica.pem"
        pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())
                        + cert.public_bytes(serialization.Encoding.PEM))
        context.load_cert_chain(pem)
    return context


class TlsSides:
    """Splits a site's connections into its http and https sides; `broken` names the side that fails."""

    def __init__(self, broken: str, context: ssl.SSLContext) -> None:
        self.broken, self.context = broken, context  # broken: "http" or "https"

    def accept(self, conn: socket.socket) -> tuple[socket.socket | None, str]:
        """(the connection to serve HTTP on, TLS-wrapped on the https side, or None; the scheme asked for)."""
        conn.settimeout(5)
        try:
            first = conn.recv(1, socket.MSG_PEEK)
        except OSError:
            return None, "http"
        scheme = "https" if first[:1] == bytes([TLS_RECORD]) else "http"
        if scheme == self.broken:
            self._fail(conn, scheme)
            return None, scheme
        if scheme == "http":
            conn.settimeout(None)
            return conn, scheme
        try:
            tls = self.context.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):  # the client gave up on the handshake
            return None, scheme
        tls.settimeout(None)
        return tls, scheme

    @staticmethod
    def _fail(conn: socket.socket, scheme: str) -> None:
        """Fail the connection: a fatal alert on https (the server closes it next), a reset (RST) on http."""
        try:
            if scheme == "https":
                conn.sendall(HANDSHAKE_ALERT)
            else:
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()  # now, before the server's shutdown() could send a FIN first
        except OSError:
            pass
