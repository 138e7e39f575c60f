"""`python -m exporter.web.healthcheck`: the container's HEALTHCHECK, asking `/healthz` where the
exporter listens — the address in `HWMIG_WEB__LISTEN_ADDRESS`, over TLS when the web config
in `HWMIG_WEB__CONFIG_FILE` turns it on. Exit 0 when healthy, 1 otherwise."""

from __future__ import annotations

import os
import ssl
import sys
import urllib.request
from pathlib import Path

import yaml

DEFAULT_ADDRESS = "0.0.0.0:9897"


def url(address: str, tls: bool) -> str:
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):  # a wildcard: ask on loopback
        host = "127.0.0.1" if host != "::" else "::1"
    shown = f"[{host}]" if ":" in host else host
    return f"{'https' if tls else 'http'}://{shown}:{port}/healthz"


def uses_tls(web_config: str | None) -> bool:
    if not web_config:
        return False
    try:
        data = yaml.safe_load(Path(web_config).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and bool(data.get("tls_server_config"))


def main() -> int:
    address = os.environ.get("HWMIG_WEB__LISTEN_ADDRESS") or DEFAULT_ADDRESS
    tls = uses_tls(os.environ.get("HWMIG_WEB__CONFIG_FILE"))
    context = None
    if tls:
        # Asking itself on loopback: the certificate names the service, not 127.0.0.1.
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(url(address, tls), timeout=4, context=context) as answer:  # noqa: S310  # a URL we build: http(s) on loopback
            return 0 if answer.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
