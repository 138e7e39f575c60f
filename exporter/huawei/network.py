"""How a request leaves the process: through which proxy, trusting which CAs, following nothing.

Every request the exporter sends (IAM logins and API pages alike) takes its options from here,
so none can forget one: no redirect is ever followed (a 307 would re-post the IAM password to
whatever host it names), bodies arrive undecoded for `bodies.read_body` to bound, the proxy is
chosen per URL, and certificates are verified against the system trust plus `api.ca_file`.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

from exporter.huawei.errors import NetworkError


def trust(ca_file: Path | None) -> ssl.SSLContext:
    """The system's CAs (as Python finds them), plus those of `ca_file`. Verification stays on.

    Raises OSError or ssl.SSLError when `ca_file` cannot be read as PEM certificates."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


@dataclass(frozen=True, slots=True)
class Network:
    proxy_url: str | None = field(default=None, repr=False)  # may hold credentials
    env_proxies: Mapping[str, str] = field(default_factory=dict, repr=False)  # scheme -> *_PROXY
    no_proxy: str = ""  # NO_PROXY, as the variable says it
    tls: ssl.SSLContext | None = None  # None: Python's default verification

    def proxy_for(self, url: URL) -> str | None:
        if bypassed(url, self.no_proxy):
            return None
        return self.proxy_url or self.env_proxies.get(url.scheme)

    def options(self, url: URL) -> dict[str, Any]:
        """Keyword arguments for `aiohttp.ClientSession.request` to `url`."""
        return {
            "allow_redirects": False,
            "auto_decompress": False,
            "proxy": self.proxy_for(url),
            "ssl": self.tls if self.tls is not None else True,
        }


def bypassed(url: URL, no_proxy: str) -> bool:
    """Whether NO_PROXY exempts `url`, as curl and Go read it: `*`; a host or domain
    (`example.com` and `.example.com` both cover its subdomains), optionally with `:port`;
    an IP address or CIDR block."""
    host = (url.host or "").lower().rstrip(".")
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        name, _, port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if port and port != str(url.port):
            continue
        name = name.lstrip(".").rstrip(".")
        try:
            if ipaddress.ip_address(host) in ipaddress.ip_network(name.strip("[]"), strict=False):
                return True
            continue
        except ValueError:
            pass  # not both IPs: compare as names
        if host == name or host.endswith("." + name):
            return True
    return False


def network_error(host: str | None, exc: BaseException) -> NetworkError:
    """What went wrong on the way to `host`, in words a user can act on; never the proxy's
    credentials or a header (aiohttp's messages may quote either)."""
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return NetworkError(
            f"TLS certificate of {host} not trusted (a private CA goes in api.ca_file)"
        )
    if isinstance(exc, aiohttp.ClientProxyConnectionError | aiohttp.ClientHttpProxyError):
        return NetworkError(f"request to {host} failed at the proxy: {type(exc).__name__}")
    if isinstance(exc, aiohttp.ClientSSLError):
        return NetworkError(f"TLS with {host} failed: {type(exc).__name__}")
    return NetworkError(f"request to {host} failed: {type(exc).__name__}")


def redirect_target(location: str | None) -> str:
    """The host a redirect points at, for a log line: never its path or query (they may carry
    anything), bounded, and `(none)`/`(same host)` when it names no host."""
    if not location:
        return "(none)"
    try:
        host = URL(location).host
    except ValueError:
        return "(unparsable)"
    return (host or "(same host)")[:128]
