"""Hostile HTTP requests to the exporter: clear answers, no crash, nothing echoed, no stall."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from exporter.exposition.assembly import of_block
from exporter.exposition.snapshot import Snapshot
from exporter.metrics.lines import render_families
from exporter.services.sms_tasks.table import SmsOptions
from exporter.telemetry import Telemetry
from exporter.web.connections import Limits
from exporter.web.server import CONNECTIONS, listen, make_app, make_runner
from tests.mapped import SMS, mapped
from tests.parsing import parse_openmetrics, parse_text
from tests.payloads import FULL_SMS

SECRET = "Bearer SECRET-IN-A-HEADER-5d1e"


async def serving(limits: Limits) -> tuple[web.AppRunner, str]:
    snapshot, telemetry = Snapshot(), Telemetry()
    snapshot.replace(
        ("prod", "sms"),
        of_block(render_families(mapped(SMS, [FULL_SMS], SmsOptions()))),
    )
    telemetry.source("prod", "sms").polled = True
    snapshot.set_own(telemetry.render())
    runner = make_runner(make_app(snapshot, telemetry, limits=limits))
    await runner.setup()
    await listen(runner, "127.0.0.1", 0)
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.fixture
async def url() -> AsyncIterator[str]:
    runner, url = await serving(Limits())
    yield url
    await runner.cleanup()


async def healthy(url: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(url + "/metrics") as response:
        assert response.status == 200
        parse_text(await response.text())


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "application/openmetrics-text; version=99; q=banana"},
        {"Accept": "*/*;q=0.1, application/openmetrics-text;q=0.0"},
        {"Accept": ",,,;;;===" * 50},
        {"Accept-Encoding": "gzip;q=nope, deflate, br, zstd, identity;q=0"},
        {"Accept-Encoding": "GZIP"},
        {"Accept-Encoding": "gzip;q=1e999, identity;q=-1"},
        {"Accept": "application/openmetrics-text", "Accept-Encoding": "x-gzip"},
    ],
)
async def test_odd_negotiation_headers_still_get_a_valid_exposition(
    url: str, headers: dict[str, str]
) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url + "/metrics", headers=headers) as response,
    ):
        assert response.status == 200
        body = await response.text()  # aiohttp undoes gzip when the server chose it
    if response.headers["Content-Type"].startswith("application/openmetrics-text"):
        parse_openmetrics(body)
    else:
        parse_text(body)


async def test_a_huge_header_is_refused_logged_without_it_and_the_server_keeps_serving(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", int(url.rsplit(":", 1)[1]))
    writer.write(
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: "
        + SECRET.encode()
        + b"x" * 200_000
        + b"\r\n\r\n"
    )
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(65536), 10)
    writer.close()
    # aiohttp's 400 quotes the start of the oversized header back to the one who sent it;
    # what matters is that it never reaches the logs, where others would read it.
    assert answer.split(b"\r\n", 1)[0].endswith(b" 400 Bad Request")
    assert "bad HTTP request refused (LineTooLong)" in caplog.text
    assert SECRET not in caplog.text
    await healthy(url)


@pytest.mark.parametrize(
    "path", ["/../../etc/passwd", "/metrics/../../../etc/shadow", "/%2e%2e%2fetc", "/" + "a" * 4000]
)
async def test_paths_outside_the_endpoints_are_404(url: str, path: str) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(url + path, headers={"Authorization": SECRET}) as response,
    ):
        assert response.status in (404, 414)
        assert SECRET not in await response.text()


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
async def test_other_methods_are_refused(url: str, method: str) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url + "/metrics", data=b"x" * 4096) as response,
    ):
        assert response.status in (405, 413)


async def test_many_slow_clients_do_not_stall_scrapes(url: str) -> None:
    port = int(url.rsplit(":", 1)[1])
    writers = []
    for _ in range(200):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /metrics HTTP/1.1\r\nHost: slow\r\nX-Drip: ")  # and then nothing
        writers.append(writer)
    await asyncio.gather(*(w.drain() for w in writers))
    await asyncio.wait_for(healthy(url), 5)
    for writer in writers:
        writer.close()
    await healthy(url)


@pytest.mark.parametrize("path", ["/metrics", "/", "/healthz", "/readyz", "/nope"])
@pytest.mark.parametrize("encoding", ["identity", "gzip"])
async def test_head_answers_headers_only_so_the_next_answer_on_the_connection_is_intact(
    url: str, path: str, encoding: str
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", int(url.rsplit(":", 1)[1]))
    writer.write(
        f"HEAD {path} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: {encoding}\r\n\r\n"
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    )
    await writer.drain()
    received = b""
    while not received.endswith(b"ok\n"):
        chunk = await asyncio.wait_for(reader.read(65536), 10)
        assert chunk, f"connection closed after {received!r}"
        received += chunk
    writer.close()
    head, _, rest = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 "), head
    # Straight after HEAD's headers: the next response, not a body.
    assert rest.startswith(b"HTTP/1.1 200 OK\r\n"), rest[:80]
    assert rest.endswith(b"\r\n\r\nok\n")


async def half_headers(port: int, count: int) -> list[asyncio.StreamWriter]:
    writers = []
    for _ in range(count):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /metrics HTTP/1.1\r\nHost: slow\r\nX-Drip: ")  # and then nothing
        writers.append(writer)
    await asyncio.gather(*(w.drain() for w in writers))
    return writers


async def test_a_connection_that_never_finishes_its_headers_is_closed_at_the_deadline() -> None:
    runner, url = await serving(Limits(header_timeout=0.3))
    try:
        port = int(url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /metrics HTTP/1.1\r\nHost: slow\r\n")
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed, nothing answered
        writer.close()
        # A keep-alive connection between two complete requests is not a slow one.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(2):
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = await asyncio.wait_for(reader.readuntil(b"ok\n"), 5)
            assert answer.startswith(b"HTTP/1.1 200")
            await asyncio.sleep(0.5)  # idle longer than the header deadline
        writer.close()
        assert runner.app[CONNECTIONS].closed_slow == 1
    finally:
        await runner.cleanup()


async def test_at_the_connection_limit_slow_clients_make_way_for_a_scrape() -> None:
    runner, url = await serving(Limits(max_connections=20, header_timeout=60))
    try:
        writers = await half_headers(int(url.rsplit(":", 1)[1]), 50)
        await asyncio.wait_for(healthy(url), 5)
        connections = runner.app[CONNECTIONS]
        assert len(connections.live) <= 20
        assert connections.evicted >= 31
        for writer in writers:
            writer.close()
    finally:
        await runner.cleanup()
