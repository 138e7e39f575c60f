"""A flood of wrong basic-auth passwords, over real HTTP on loopback: the scrapes of a verified
credential and the polls go on, and bcrypt runs a bounded number of times, not once per guess."""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from collections.abc import AsyncIterator

import aiohttp
import bcrypt
import pytest
from aiohttp import web

from exporter.exposition.snapshot import Snapshot
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.server import SimulatorThread
from exporter.telemetry import Telemetry
from exporter.web.connections import Limits
from exporter.web.server import listen, make_app, make_runner
from exporter.web.throttle import Throttle
from exporter.web.web_config import WebConfig, WebConfigFile
from tests.conftest import FAST, make_tenant
from tests.fleets import build
from tests.payloads import TASK_LISTS_ONLY, settings_for

PASSWORD = "scrape-PW-flood-1c9e"
# A real cost (bcrypt's default is 12; exporter-toolkit's docs use 10): the flood must hurt.
HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=10)).decode()
FLOOD_CLIENTS = 300
TRIES_EACH = 3
SCRAPES = 20


def basic(password: str) -> dict[str, str]:
    token = base64.b64encode(f"prometheus:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


async def serve(config: WebConfig) -> tuple[web.AppRunner, str]:
    snapshot, telemetry = Snapshot(), Telemetry()
    snapshot.set_own(telemetry.render())
    app = make_app(snapshot, telemetry, middlewares=config.middlewares(), limits=Limits())
    runner = make_runner(app)
    await runner.setup()
    await listen(runner, "127.0.0.1", 0)
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.fixture
async def served() -> AsyncIterator[tuple[str, WebConfig]]:
    config = WebConfig(WebConfigFile(basic_auth_users={"prometheus": HASH}))
    runner, url = await serve(config)
    yield url, config
    await runner.cleanup()


async def flood(url: str, stop: asyncio.Event, answers: Counter[str]) -> None:
    """FLOOD_CLIENTS clients at once, each trying wrong passwords on fresh connections."""
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=0, force_close=True)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def guesser(n: int) -> None:
            for attempt in range(TRIES_EACH):
                if stop.is_set():
                    return
                try:
                    headers = basic(f"guess-{n}-{attempt}")
                    async with session.get(url + "/metrics", headers=headers) as response:
                        answers[str(response.status)] += 1
                except (TimeoutError, aiohttp.ClientError):
                    answers["error"] += 1

        await asyncio.gather(*(guesser(n) for n in range(FLOOD_CLIENTS)))


async def test_a_flood_of_wrong_passwords_leaves_valid_scrapes_and_polls_alone(
    served: tuple[str, WebConfig],
) -> None:
    url, config = served
    timeout = aiohttp.ClientTimeout(total=30)
    # Prometheus' credential, verified once before the flood starts.
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(url + "/metrics", headers=basic(PASSWORD)) as first,
    ):
        assert first.status == 200
    assert config.bcrypt_checks == 1

    cloud = FakeCloud(tenants=[make_tenant()])
    with SimulatorThread(cloud) as sim:
        stop, answers = asyncio.Event(), Counter[str]()
        flooding = asyncio.create_task(flood(url, stop, answers))
        while config.bcrypt_checks < 4 and not flooding.done():  # the flood has arrived
            await asyncio.sleep(0.01)

        scraped = Counter[str]()
        # A new connection per scrape: one needs a free slot every time.
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            for _ in range(SCRAPES):
                try:
                    async with session.get(url + "/metrics", headers=basic(PASSWORD)) as ok:
                        scraped[str(ok.status)] += 1
                except (TimeoutError, aiohttp.ClientError) as exc:
                    scraped[type(exc).__name__] += 1
            poller = build(
                settings_for(sim.url, cloud, collect=TASK_LISTS_ONLY),
                session,
                policy=FAST,
            ).poller("sms")
            polls = [await poller.poll_once() for _ in range(3)]
        stop.set()
        await flooding

    assert scraped == {"200": SCRAPES}, (scraped, answers)
    assert polls == [True, True, True]
    assert sum(answers.values()) >= FLOOD_CLIENTS
    # The first guesses are checked (a few at a time), then the address waits: a bounded
    # number of bcrypt runs, not one per guess.
    guesses_checked = config.bcrypt_checks - 1
    assert 1 <= guesses_checked <= 2 * config.throttle.max_pending, (guesses_checked, answers)
    assert answers["429"] >= FLOOD_CLIENTS - guesses_checked


async def test_an_address_that_keeps_failing_is_refused_unchecked_but_not_a_verified_scrape() -> (
    None
):
    # A clock that stands still: the penalty window never ends during the test.
    throttle = Throttle(clock=lambda: 1000.0)
    config = WebConfig(WebConfigFile(basic_auth_users={"prometheus": HASH}), throttle)
    runner, url = await serve(config)
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(url + "/metrics", headers=basic(PASSWORD)) as verified:
                assert verified.status == 200
            for n in range(throttle.free):
                async with session.get(url + "/metrics", headers=basic(f"wrong-{n}")) as denied:
                    assert denied.status == 401
            assert config.bcrypt_checks == 1 + throttle.free
            async with session.get(url + "/metrics", headers=basic("wrong-again")) as refused:
                assert refused.status == 429
                assert int(refused.headers["Retry-After"]) >= 1
                assert refused.headers["Connection"].lower() == "close"  # the slot is freed
            async with session.get(url + "/metrics", headers=basic(PASSWORD)) as scrape:
                assert scrape.status == 200  # checked against the cache before any throttling
            async with session.get(url + "/healthz") as health:
                assert health.status == 200
        assert config.bcrypt_checks == 1 + throttle.free  # neither ran bcrypt
        assert throttle.refused == 1
    finally:
        await runner.cleanup()
