"""The HTTP endpoints, served for real on loopback, reading what the pollers prepared."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from exporter.exposition.assembly import OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE
from exporter.poller import Poller
from exporter.services import SERVICES
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.server import RunningSimulator
from exporter.web.negotiation import accepts_gzip, wants_openmetrics
from exporter.web.server import make_app
from tests.conftest import SECRET_KEY
from tests.fleets import build
from tests.parsing import parse_openmetrics, parse_text
from tests.payloads import settings_for


class Served:
    def __init__(self, url: str, pollers: list[Poller]) -> None:
        self.url = url
        self.pollers = pollers

    async def poll_all(self) -> None:
        await asyncio.gather(*(p.poll_once() for p in self.pollers))


@pytest.fixture
async def served(
    cloud: FakeCloud, simulator: RunningSimulator, session: aiohttp.ClientSession
) -> AsyncIterator[Served]:
    cloud.tenants[0].sms_tasks = [
        {"id": f"t{i}", "name": f"task {i}", "state": "RUNNING"} for i in range(5)
    ]
    built = build(settings_for(simulator.url, cloud), session)
    runner = web.AppRunner(make_app(built.snapshot, built.telemetry))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield Served(f"http://127.0.0.1:{port}", built.pollers)
    await runner.cleanup()


async def test_readyz_waits_for_the_first_poll_of_every_source(
    served: Served, session: aiohttp.ClientSession
) -> None:
    async with session.get(served.url + "/readyz") as response:
        assert response.status == 503
    async with session.get(served.url + "/healthz") as response:
        assert response.status == 200
    await served.poll_all()
    async with session.get(served.url + "/readyz") as response:
        assert response.status == 200


async def test_metrics_default_to_the_text_format(
    served: Served, session: aiohttp.ClientSession
) -> None:
    await served.poll_all()
    async with session.get(
        served.url + "/metrics", headers={"Accept-Encoding": "identity"}
    ) as response:
        assert response.headers["Content-Type"] == TEXT_CONTENT_TYPE
        body = await response.text()
    assert 'huaweicloud_sms_task_info{account="acct-a",task_id="t0",task_name="task 0"' in body
    assert "# EOF" not in body


async def test_openmetrics_is_served_when_asked(
    served: Served, session: aiohttp.ClientSession
) -> None:
    await served.poll_all()
    accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
    async with session.get(served.url + "/metrics", headers={"Accept": accept}) as response:
        assert response.headers["Content-Type"] == OPENMETRICS_CONTENT_TYPE
        body = await response.text()
    assert body.endswith("# EOF\n")
    assert any(f.name == "huaweicloud_sms_task_state" for f in parse_openmetrics(body))


async def test_gzip_is_served_when_allowed(served: Served) -> None:
    await served.poll_all()
    async with (
        aiohttp.ClientSession(auto_decompress=False) as raw,
        raw.get(served.url + "/metrics", headers={"Accept-Encoding": "gzip"}) as response,
    ):
        assert response.headers["Content-Encoding"] == "gzip"
        body = gzip.decompress(await response.read()).decode()
    assert "huaweicloud_migration_up" in body


async def test_scrapes_never_reach_the_cloud(
    served: Served, session: aiohttp.ClientSession, cloud: FakeCloud
) -> None:
    await served.poll_all()
    before = sum(cloud.stats.requests.values())
    for i in range(100):
        headers = {"Accept": "application/openmetrics-text"} if i % 2 else {}
        async with session.get(served.url + "/metrics", headers=headers) as response:
            assert response.status == 200
            await response.read()
    assert sum(cloud.stats.requests.values()) == before


async def test_the_landing_page_shows_every_source_and_no_secret(
    served: Served, session: aiohttp.ClientSession
) -> None:
    await served.poll_all()
    async with session.get(served.url + "/") as response:
        page = await response.text()
    assert response.headers["Content-Type"].startswith("text/html")
    assert page.count("<td>acct-a</td>") == len(SERVICES) and 'class="up"' in page  # each list
    assert SECRET_KEY not in page
    assert 'href="/metrics"' in page


async def test_unknown_paths_are_404(served: Served, session: aiohttp.ClientSession) -> None:
    for path in ("/nope", "/metrics/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd"):
        async with session.get(served.url + path) as response:
            assert response.status == 404


# Prometheus 3's default scrape Accept header.
PROMETHEUS_3 = (
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
    "application/openmetrics-text;version=0.0.1;q=0.5,"
    "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
)
# With scrape_native_histograms: protobuf, which is not served here, listed first.
PROTOBUF_FIRST = (
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;"
    "q=0.7," + PROMETHEUS_3
)
# Prometheus 3.14's default, with the text format preferred.
PROMETHEUS_3_TEXT_FIRST = (
    "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6,text/plain;version=0.0.4;q=0.5,"
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.4,*/*;q=0.3"
)


@pytest.mark.parametrize(
    "accept",
    [PROMETHEUS_3, PROTOBUF_FIRST, PROMETHEUS_3_TEXT_FIRST, "text/plain;version=1.0.0", "*/*"],
)
async def test_every_accept_prometheus_3_sends_gets_a_format_never_a_406(
    served: Served, session: aiohttp.ClientSession, accept: str
) -> None:
    await served.poll_all()
    async with session.get(served.url + "/metrics", headers={"Accept": accept}) as response:
        assert response.status == 200
        body = await response.text()
    kind = response.headers["Content-Type"]
    if wants_openmetrics(accept):
        assert kind == "application/openmetrics-text; version=1.0.0; charset=utf-8"
        parse_openmetrics(body)
    else:
        assert kind == "text/plain; version=0.0.4; charset=utf-8"
        parse_text(body)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("", False),
        ("text/plain", False),
        ("application/openmetrics-text", True),
        ("application/openmetrics-text; version=1.0.0; q=0.9", True),
        ("application/openmetrics-text;q=0", False),
        ("application/openmetrics-text;q=abc", False),
        ("*/*", False),
        ("text/plain;q=0.9, application/openmetrics-text;q=0.5", False),
        # The literal headers Prometheus 3 sends, by configuration:
        (PROMETHEUS_3, True),
        (PROTOBUF_FIRST, True),
        (PROMETHEUS_3_TEXT_FIRST, False),
        ("text/plain;version=1.0.0", False),
        ("application/json", False),
    ],
)
def test_openmetrics_negotiation(accept: str, expected: bool) -> None:
    assert wants_openmetrics(accept) is expected


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("", False),
        ("gzip", True),
        ("br, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("identity", False),
        ("*", True),
        ("gzip;q=0.4, identity;q=0.9", False),
        ("GZIP", True),
    ],
)
def test_gzip_negotiation(encoding: str, expected: bool) -> None:
    assert accepts_gzip(encoding) is expected
