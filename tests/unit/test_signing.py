"""The signer agrees byte for byte with Huawei's own SDK, and the wire matches what is signed."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import aiohttp
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from pydantic import SecretStr

from exporter.huawei import signing
from exporter.huawei.auth import AkSkAuth, Scope
from exporter.huawei.http import AccountGuard, Endpoint, TokenBucket
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.server import RunningSimulator
from tests.conftest import ACCESS_KEY, SECRET_KEY
from tests.payloads import SmsTaskPage

SDK_DATE = "20261122T101530Z"
NOW = datetime(2026, 11, 22, 10, 15, 30, tzinfo=UTC)

ALPHABET = [
    "a",
    "Z",
    "9",
    " ",
    "/",
    "~",
    "-",
    "_",
    ".",
    "%",
    "+",
    "=",
    "&",
    "?",
    "é",
    "中",
    "文",
    "😀",
    ":",
]


def _text(rng: random.Random, low: int = 0, high: int = 8) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(low, high)))


def _case(rng: random.Random) -> dict[str, object]:
    segments = [_text(rng, 1, 6) for _ in range(rng.randint(0, 3))]
    path = "/v3/" + "/".join(segments)
    if rng.random() < 0.5 and not path.endswith("/"):
        path += "/"
    query: list[tuple[str, signing.QueryValue]] = []
    used: set[str] = set()
    for _ in range(rng.randint(0, 5)):
        key = _text(rng, 1, 5)
        kind = rng.choice(["str", "empty", "bool", "int", "dup"])
        if kind == "dup" and query and isinstance(query[-1][1], str):
            query.append((query[-1][0], _text(rng)))  # a repeated key with text values
            continue
        if key in used:
            continue
        used.add(key)
        choices: dict[str, signing.QueryValue] = {
            "str": _text(rng),
            "dup": _text(rng),
            "empty": "",
            "bool": rng.random() < 0.5,
            "int": rng.randint(0, 70000),
        }
        query.append((key, choices[kind]))
    headers: dict[str, str] = {}
    if rng.random() < 0.5:
        headers["X-Project-Id"] = f"{rng.getrandbits(128):032x}"
    if rng.random() < 0.5:
        headers["X-Security-Token"] = (
            _text(rng, 10, 30).replace(" ", "x").encode("ascii", "ignore").decode() or "tok"
        )
    if rng.random() < 0.3:
        headers["X_Not_Signed"] = "underscore headers are sent but not signed"
    port = rng.choice([None, 443, 8443, 31943])
    host = signing.host_header("sms.ap-southeast-3.myhuaweicloud.com", port, "https")
    body = rng.choice([b"", b'{"a": 1}', "中文".encode()])
    return {"path": path, "query": query, "headers": headers, "host": host, "body": body}


def _sdk_sign(case: dict[str, object], method: str) -> SdkRequest:
    headers = dict(case["headers"])  # type: ignore[call-overload]  # dict[str, str] from _case
    headers["X-Sdk-Date"] = SDK_DATE
    request = SdkRequest(
        method=method,
        schema="https",
        host=case["host"],
        resource_path=case["path"],
        query_params=list(case["query"]),  # type: ignore[call-overload]  # list of pairs
        header_params=headers,
        body=case["body"],
    )
    return Signer(BasicCredentials(ACCESS_KEY, SECRET_KEY)).sign(request)


@pytest.mark.parametrize("seed", range(240))
def test_signature_matches_the_official_sdk(seed: int) -> None:
    """Unicode, spaces, '/', '~', empty values, booleans, ports, tokens: identical to the SDK."""
    rng = random.Random(seed)
    case = _case(rng)
    method = rng.choice(["GET", "POST", "get"])
    sdk = _sdk_sign(case, method)
    ours = signing.sign(
        method=method,
        host=str(case["host"]),
        path=str(case["path"]),
        query=case["query"],  # type: ignore[arg-type]  # list of pairs
        headers=case["headers"],  # type: ignore[arg-type]  # dict[str, str]
        body=case["body"],  # type: ignore[arg-type]  # bytes
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        now=NOW,
    )
    assert ours.headers["Authorization"] == sdk.header_params["Authorization"]
    assert ours.path_and_query == sdk.uri
    assert ours.headers["Host"] == sdk.header_params["Host"]
    assert ours.headers["X-Sdk-Date"] == SDK_DATE


def test_canonical_uri_appends_a_slash_only_in_the_canonical_string() -> None:
    assert signing.canonical_uri("/v3/tasks") == "/v3/tasks/"
    assert signing.canonical_uri("/v3/tasks/") == "/v3/tasks/"
    signed = signing.sign(
        method="GET",
        host="h",
        path="/v3/tasks",
        query=[],
        headers={},
        body=b"",
        access_key="ak",
        secret_key="sk",
        now=NOW,
    )
    assert signed.path_and_query == "/v3/tasks"


def test_canonical_query_encodes_space_slash_and_booleans() -> None:
    assert signing.canonical_query([("b", True), ("a", "x y/z~"), ("a", "")]) == (
        "a=&a=x%20y%2Fz~&b=true"
    )


def test_signed_headers_skip_underscores_and_are_sorted() -> None:
    names = signing.signed_header_names({"X-Sdk-Date": "d", "Host": "h", "X_Custom": "x"})
    assert names == ["host", "x-sdk-date"]


def test_host_keeps_only_non_default_ports() -> None:
    assert signing.host_header("example.com", 443, "https") == "example.com"
    assert signing.host_header("example.com", 80, "http") == "example.com"
    assert signing.host_header("example.com", 8443, "https") == "example.com:8443"


async def test_the_url_on_the_wire_is_the_url_that_was_signed(
    simulator: RunningSimulator, cloud: FakeCloud, session: aiohttp.ClientSession
) -> None:
    """aiohttp must not re-encode the signed query (the simulator re-checks the signature)."""
    tenant = cloud.tenants[0]
    auth = AkSkAuth(
        SecretStr(tenant.access_key), SecretStr(tenant.secret_key), clock=lambda: NOW.timestamp()
    )
    cloud.clock = lambda: NOW.timestamp()
    endpoint = Endpoint(
        session=session,
        base_url=simulator.url,
        auth=auth,
        scope=Scope(),
        guard=AccountGuard(TokenBucket(100, 100, lambda: 0.0)),
    )
    query: list[tuple[str, signing.QueryValue]] = [
        ("limit", 10),
        ("offset", 0),
        ("name", "a b/c~d 中文"),
        ("enterprise_project_id", ""),
    ]
    page = await endpoint.get("/v3/tasks", query, SmsTaskPage)
    assert page.count == 0
    record = cloud.stats.log[-1]
    assert record.status == 200
    assert record.query == signing.canonical_query(query)
    assert "%20" in record.query and "%2F" in record.query
