"""Which webhook destinations may be reached: the checks against server-side request forgery.

A destination is refused unless its scheme is http(s), it carries no credentials, its host is a
name or a canonical IP address (no decimal, octal, hex or shortened forms), and every address
the name resolves to is a public unicast address. The caller then connects to the address that
was checked (never resolving again), so a DNS answer that changes between the check and the
connection (DNS rebinding) cannot redirect the request.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

BLOCKED_NAMES = ("localhost", "metadata", "metadata.google.internal", "instance-data")
BLOCKED_SUFFIXES = (".localhost", ".internal", ".local")
# Labels that C's inet_aton reads as numbers: decimal, octal (leading 0) or hex (0x).
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$", re.IGNORECASE)

_NETWORKS: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "an unspecified address"),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a carrier-grade NAT address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local (cloud metadata) address"),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "a reserved address"),
    ("192.168.0.0/16", "a private address"),
    ("198.18.0.0/15", "a reserved address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    ("fc00::/7", "a private (unique local) address"),
    ("fe80::/10", "a link-local address"),
    ("ff00::/8", "a multicast address"),
)
_CLASSIFIED = [(ipaddress.ip_network(net), reason) for net, reason in _NETWORKS]


class UnsafeDestination(ValueError):
    """The destination may not be reached; the message says why, for the admin."""


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str  # the name (or IP literal) as written, for the Host header and TLS SNI
    port: int
    path: str  # path and query, sent as the request target
    address: str  # the checked IP address to connect to


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    packed = ip.packed
    if packed[:12] == bytes(12) and ip != ipaddress.IPv6Address("::1"):
        return ipaddress.IPv4Address(packed[12:])  # ::a.b.c.d (deprecated "compatible" form)
    if ip in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(packed[12:])
    return None


def address_refusal(ip: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why `ip` may not be reached, or None when it is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return address_refusal(inner, allow_loopback=allow_loopback)
    if allow_loopback and ip.is_loopback:
        return None
    for network, reason in _CLASSIFIED:
        if ip.version == network.version and ip in network:
            return reason
    if not ip.is_global:
        return "not a public address"
    return None


def _literal(host: str) -> IPAddress | None:
    """The IP address `host` spells, if any; refuses the forms only some parsers accept."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    # A name whose labels are all numbers is an IP address in disguise (2130706433, 0177.0.0.1,
    # 0x7f000001, 127.1): resolvers disagree on them, so they are never accepted.
    if all(_NUMERIC_LABEL.match(label) for label in labels):
        raise UnsafeDestination(f"“{host}” is an IP address in a non-standard form.")
    return None


def destination_parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of a URL that may be used at all; no DNS lookup."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeDestination(f"The URL is not valid: {exc}.") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeDestination("Only http:// and https:// URLs are allowed.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeDestination("The URL may not contain a user name or password.")
    host = (parts.hostname or "").lower()
    if not host:
        raise UnsafeDestination("The URL has no host.")
    if "%" in host:
        raise UnsafeDestination("Scoped IPv6 addresses are not allowed.")
    name = host.rstrip(".")
    if name in BLOCKED_NAMES or name.endswith(BLOCKED_SUFFIXES):
        raise UnsafeDestination(f"“{host}” is an internal host name.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return scheme, host, port or (443 if scheme == "https" else 80), path


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def destination_check(
    url: str, *, allow_loopback: bool = False, resolve: Resolver = system_resolver
) -> Destination:
    """The destination to connect to, or UnsafeDestination. Every resolved address must be
    allowed: a name with one internal address among public ones is refused."""
    scheme, host, port, path = destination_parse(url)
    literal = _literal(host)
    if literal is not None:
        addresses: Iterable[str] = [str(literal)]
    else:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise UnsafeDestination(f"“{host}” could not be resolved.") from exc
    checked: list[str] = []
    for text in addresses:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
        if reason := address_refusal(ip, allow_loopback=allow_loopback):
            raise UnsafeDestination(f"“{host}” points to {reason} ({ip}).")
        checked.append(str(ip))
    if not checked:
        raise UnsafeDestination(f"“{host}” could not be resolved.")
    return Destination(scheme=scheme, host=host, port=port, path=path, address=checked[0])
