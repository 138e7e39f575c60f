"""The SDK-HMAC-SHA256 request signer of Huawei Cloud's API gateway.

Pure: data in, data out, no clock. The algorithm is the one of the official SDK
(`huaweicloudsdkcore.signer.signer.Signer`); the project's tests compare the two byte for byte.

The caller sends exactly `SignedRequest.path_and_query` (already encoded: it must not be
re-encoded on the way out) with exactly `SignedRequest.headers`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_BODY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

QueryValue = str | int | bool
Query = Sequence[tuple[str, QueryValue]]


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What goes on the wire: the encoded path and query, and every header to send."""

    path_and_query: str
    headers: dict[str, str]


def _encode(text: str) -> str:
    # RFC 3986 unreserved characters stay; everything else, "/" and space included, is %XX.
    return quote(text, safe="~")


def query_text(value: QueryValue) -> str:
    """The text of a query value as the SDK writes it: booleans in lower case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def canonical_uri(path: str) -> str:
    """`/v3/tasks` -> `/v3/tasks/`: segments decoded then re-encoded, trailing slash added."""
    encoded = "/".join(_encode(segment) for segment in unquote(path).split("/"))
    return encoded if encoded.endswith("/") else encoded + "/"


def canonical_query(query: Query) -> str:
    """`[("b", 1), ("a", "x y")]` -> `a=x%20y&b=1`: sorted by key then value, both encoded.

    Values are compared as the text that is sent, so a key repeated with mixed types still
    sorts deterministically (the SDK compares raw values; our clients never repeat a key).
    """
    pairs = sorted((key, query_text(value)) for key, value in query)
    return "&".join(f"{_encode(key)}={_encode(value)}" for key, value in pairs)


def signed_header_names(headers: Mapping[str, str]) -> list[str]:
    """Lower-cased, sorted names of every header without an underscore."""
    return sorted(name.lower() for name in headers if "_" not in name)


def host_header(host: str, port: int | None, scheme: str) -> str:
    """`Host` as signed and sent: the port only when it is not the scheme's default."""
    default = 443 if scheme == "https" else 80
    return host if port is None or port == default else f"{host}:{port}"


def sign(
    *,
    method: str,
    host: str,
    path: str,
    query: Query,
    headers: Mapping[str, str],
    body: bytes,
    access_key: str,
    secret_key: str,
    now: datetime,
) -> SignedRequest:
    """Sign one request. `headers` are the extra headers to sign (`X-Project-Id`, ...).

    `host` is the value of the Host header (with the port when not default); `now` is UTC.
    """
    all_headers = {
        **{name: value.strip() for name, value in headers.items()},
        "X-Sdk-Date": now.strftime(DATE_FORMAT),
        "Host": host,
    }
    names = signed_header_names(all_headers)
    query_string = canonical_query(query)
    signature = _signature(
        method=method,
        path=path,
        query_string=query_string,
        headers={name.lower(): value for name, value in all_headers.items()},
        signed_headers=names,
        body=body,
        secret_key=secret_key,
        sdk_date=all_headers["X-Sdk-Date"],
    )
    signed_list = ";".join(names)
    all_headers["Authorization"] = (
        f"{ALGORITHM} Access={access_key}, SignedHeaders={signed_list}, Signature={signature}"
    )
    path_and_query = f"{path}?{query_string}" if query_string else path
    return SignedRequest(path_and_query=path_and_query, headers=all_headers)


@dataclass(frozen=True, slots=True)
class ParsedAuthorization:
    access_key: str
    signed_headers: list[str]
    signature: str


def parse_authorization(value: str) -> ParsedAuthorization | None:
    """Parse an `Authorization: SDK-HMAC-SHA256 Access=.., SignedHeaders=.., Signature=..`."""
    prefix = ALGORITHM + " "
    if not value.startswith(prefix):
        return None
    fields: dict[str, str] = {}
    for part in value[len(prefix) :].split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            return None
        fields[key] = val
    try:
        return ParsedAuthorization(
            access_key=fields["Access"],
            signed_headers=fields["SignedHeaders"].split(";"),
            signature=fields["Signature"],
        )
    except KeyError:
        return None


def expected_signature(
    *,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    body: bytes,
    secret_key: str,
    sdk_date: str,
) -> str:
    """What a gateway computes to check a signature, from the request as received."""
    pairs = []
    for item in raw_query.split("&") if raw_query else []:
        key, _, value = item.partition("=")
        pairs.append((unquote(key), unquote(value)))
    return _signature(
        method=method,
        path=raw_path,
        query_string=canonical_query(pairs),
        headers={name.lower(): value.strip() for name, value in headers.items()},
        signed_headers=signed_headers,
        body=body,
        secret_key=secret_key,
        sdk_date=sdk_date,
    )


def _signature(
    *,
    method: str,
    path: str,
    query_string: str,
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    body: bytes,
    secret_key: str,
    sdk_date: str,
) -> str:
    """Hex HMAC-SHA256 of the string to sign; `headers` are keyed by lower-case name."""
    canonical_headers = "".join(f"{name}:{headers.get(name, '')}\n" for name in signed_headers)
    body_hash = hashlib.sha256(body).hexdigest() if body else EMPTY_BODY_SHA256
    canonical_request = "\n".join(
        [
            method.upper(),
            canonical_uri(path),
            query_string,
            canonical_headers,
            ";".join(signed_headers),
            body_hash,
        ]
    )
    string_to_sign = "\n".join(
        [ALGORITHM, sdk_date, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    return hmac.new(secret_key.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
