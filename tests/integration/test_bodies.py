"""Response bodies read without trusting them (exporter/huawei/bodies.py), over real HTTP: every
encoding a server may send, bounded after decompression, per response and per poll."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web

from exporter.huawei.bodies import ACCEPT_ENCODING, ByteBudget, read_body
from exporter.huawei.errors import BadResponseError

TEXT = b'{"count": 2, "tasks": [{"id": "a"}, {"id": "b"}]}' * 200

Serve = Callable[[bytes, dict[str, str]], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """A loopback server answering every GET with the given bytes and headers, as they are
    (aiohttp would not compress or frame them: the body goes out verbatim)."""
    runners: list[web.AppRunner] = []

    async def start(body: bytes, headers: dict[str, str]) -> str:
        async def answer(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers=headers)
            await response.prepare(request)
            for start in range(0, len(body), 4096):  # in pieces, as a real server streams
                await response.write(body[start : start + 4096])
            await response.write_eof()
            return response

        app = web.Application()
        app.router.add_get("/", answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}/"

    yield start
    for runner in runners:
        await runner.cleanup()


async def fetch(url: str, limit: int, budget: ByteBudget | None = None) -> bytes:
    async with (
        aiohttp.ClientSession(auto_decompress=False) as session,
        session.get(url, headers={"Accept-Encoding": ACCEPT_ENCODING}) as response,
    ):
        return bytes(await read_body(response, limit=limit, budget=budget))


def deflated(data: bytes, wbits: int) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, wbits)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("identity", TEXT),
        ("", TEXT),
        ("gzip", gzip.compress(TEXT)),
        ("x-gzip", gzip.compress(TEXT)),
        ("deflate", deflated(TEXT, zlib.MAX_WBITS)),  # zlib-wrapped, as the RFC says
        ("deflate", deflated(TEXT, -zlib.MAX_WBITS)),  # raw, a common server mistake
        ("GZip ", gzip.compress(TEXT)),  # spelled loosely
    ],
)
async def test_every_encoding_a_server_may_send_reads_back(
    serve: Serve, encoding: str, body: bytes
) -> None:
    url = await serve(body, {"Content-Encoding": encoding} if encoding else {})
    assert await fetch(url, limit=1 << 20) == TEXT


async def test_several_gzip_members_are_one_body(serve: Serve) -> None:
    """HTTP allows a gzip body of several members; each is inflated in turn."""
    body = gzip.compress(TEXT[:1000]) + gzip.compress(TEXT[1000:5000]) + gzip.compress(TEXT[5000:])
    url = await serve(body, {"Content-Encoding": "gzip"})
    assert await fetch(url, limit=1 << 20) == TEXT


async def test_a_gzip_bomb_stops_at_the_cap_having_held_no_more(serve: Serve) -> None:
    """1 MB of gzip that would inflate to 64 MB fails at a 1 MB cap."""
    bomb = gzip.compress(bytes(64 << 20), compresslevel=9)
    url = await serve(bomb, {"Content-Encoding": "gzip"})
    with pytest.raises(BadResponseError, match=r"api.max_response_bytes \(1048576 bytes\)"):
        await fetch(url, limit=1 << 20)


async def test_a_plain_body_past_the_cap_fails_whatever_content_length_says(serve: Serve) -> None:
    declared = await serve(TEXT, {"Content-Length": str(len(TEXT))})
    with pytest.raises(BadResponseError, match="max_response_bytes"):
        await fetch(declared, limit=len(TEXT) - 1)
    assert await fetch(declared, limit=len(TEXT)) == TEXT  # exactly at the cap is fine
    undeclared = await serve(TEXT, {})  # chunked: no Content-Length to go by
    with pytest.raises(BadResponseError, match="max_response_bytes"):
        await fetch(undeclared, limit=len(TEXT) - 1)


async def test_the_poll_budget_counts_every_page_together(serve: Serve) -> None:
    url = await serve(gzip.compress(TEXT), {"Content-Encoding": "gzip"})
    budget = ByteBudget(limit=2 * len(TEXT) + 10)
    assert await fetch(url, limit=1 << 20, budget=budget) == TEXT
    assert await fetch(url, limit=1 << 20, budget=budget) == TEXT
    assert budget.used == 2 * len(TEXT)
    with pytest.raises(BadResponseError, match=r"api\.max_poll_bytes"):
        await fetch(url, limit=1 << 20, budget=budget)


@pytest.mark.parametrize(
    ("encoding", "body", "message"),
    [
        ("br", b"\x0b\x02\x80hello\x03", "unsupported Content-Encoding 'br'"),
        ("gzip", b"not gzip at all" * 10, "not valid gzip/deflate"),
        ("deflate", b"\xff\xfe not deflate either" * 10, "not valid gzip/deflate"),
        ("gzip", gzip.compress(TEXT)[:-40] + b"\x00" * 40, "not valid gzip/deflate"),
    ],
)
async def test_what_cannot_be_read_is_a_bad_response(
    serve: Serve, encoding: str, body: bytes, message: str
) -> None:
    url = await serve(body, {"Content-Encoding": encoding})
    with pytest.raises(BadResponseError, match=message):
        await fetch(url, limit=1 << 20)


async def test_an_unknown_encoding_is_named_cut_short(serve: Serve) -> None:
    """The encoding a hostile server names goes into the message bounded."""
    url = await serve(TEXT, {"Content-Encoding": "x" * 500})
    with pytest.raises(BadResponseError) as caught:
        await fetch(url, limit=1 << 20)
    assert len(str(caught.value)) < 200
