"""A poll's CPU steps take their turns of the event loop (exposition/turns.py): between two
batches of a page's items other work runs, as a scrape waiting would, even when no other poll
contends for the turn (a free lock is taken without a pass of the loop)."""

from __future__ import annotations

import asyncio
import itertools
import sys
import time
from types import FrameType
from typing import Any

import aiohttp

from exporter.exposition.assembly import RENDER_BATCH
from exporter.exposition.render import ItemRenderer
from exporter.simulator.cloud import FakeCloud
from exporter.simulator.scenarios import estate
from exporter.simulator.server import start
from tests.conftest import FAST, make_tenant
from tests.fleets import build
from tests.payloads import NO_WAVES, settings_for

TASKS = 400  # two pages of 200: sixteen batches


async def test_a_lone_poll_lets_the_loop_run_between_every_two_batches_of_items(
    session: aiohttp.ClientSession,
) -> None:
    tenant = estate(make_tenant(), sms=TASKS, oms=0, now=time.time(), subtasks=2)
    cloud = FakeCloud(tenants=[tenant])
    simulator = await start(cloud)
    events: list[str] = []

    def hook(frame: FrameType, event: str, _: Any) -> None:
        if event == "call" and frame.f_code is ItemRenderer.page.__code__:
            events.append("batch")

    try:
        settings = settings_for(simulator.url, cloud, collect=NO_WAVES)
        poller = build(settings, session, policy=FAST).poller("sms")
        done = asyncio.Event()

        async def other_work() -> None:
            while not done.is_set():
                events.append("other")
                await asyncio.sleep(0)

        ticker = asyncio.create_task(other_work())
        sys.setprofile(hook)
        try:
            assert await poller.poll_once()
        finally:
            sys.setprofile(None)
        done.set()
        await ticker
    finally:
        await simulator.close()
    assert events.count("batch") == TASKS // RENDER_BATCH
    assert all(pair != ("batch", "batch") for pair in itertools.pairwise(events)), (
        "two batches without a pass of the loop between them"
    )
