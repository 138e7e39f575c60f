"""The naive baseline, written here for the same job: what a first exporter would do.

Sequential paging (one page after another), `prometheus_client` Gauges updated every poll,
and `generate_latest` on every scrape. It shares our signing, HTTP client, payload models and
mapping, so the comparison isolates paging, storage and rendering. Our mapping writes
exposition lines; the baseline reads each back into label values for its Gauges, and that
reading is timed apart and left out of its figures (a first exporter would map to label
values directly), so the baseline is if anything flattered.

    python -m benchmarks.naive '<simulator json>' PORT
"""

from __future__ import annotations

import asyncio
import gzip
import re
import sys
import time
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge, generate_latest

from benchmarks.common import Figures, measure, read_cloud, serve_until_sigterm, settings
from exporter.catalog import FAMILIES
from exporter.huawei.auth import AkSkAuth
from exporter.huawei.http import AccountGuard, Endpoint, RequestPolicy, TokenBucket
from exporter.huawei.listing import ListRequest
from exporter.huawei.payload import Listed, RawPage, listed
from exporter.metrics.lines import Lines
from exporter.services import SERVICES
from exporter.services.service import ListService
from exporter.sources import new_session

TASK_LISTS = ("sms", "sms_sources", "oms")  # what the baseline polls
Samples = dict[str, list[tuple[list[str], float]]]  # family -> (label values, value)


class NaiveExporter:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.gauges: dict[str, Gauge] = {}
        for family in FAMILIES:
            if family.service not in ("self", "process"):  # ours, not its own
                label_names = list(family.labels)
                self.gauges[family.name] = Gauge(
                    family.name, family.help, label_names, registry=self.registry
                )

    def update(self, samples: Samples, families: list[str]) -> None:
        """Clear and refill each family's Gauge, as a per-poll exporter must to drop gone tasks."""
        for name in families:
            gauge = self.gauges[name]
            gauge.clear()
            for values, value in samples.get(name, []):
                gauge.labels(*values).set(value)


_LINE = re.compile(r"[^{]+\{(.*)\} (\S+)")
_VALUE = re.compile(r'="((?:[^"\\]|\\.)*)"')
_UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


def _values(labels: str) -> list[str]:
    values = _VALUE.findall(labels)
    if "\\" not in labels:
        return values
    return [re.sub(r"\\[\\\"n]", lambda e: _UNESCAPE[e[0]], v) for v in values]


def mapped_lines(
    service: ListService[Any, Any], opts: Any, names: list[str], items: list[Listed[Any, Any]]
) -> Lines:
    """Every item through our mapper, its lines gathered per family, then the counts."""
    mapper = service.mapper("bench", opts)
    out: Lines = {name: [] for name in names}
    seen: set[str] = set()
    for item in items:
        if item.key is None or item.key in seen:
            continue
        seen.add(item.key)
        texts, _ = mapper(item.load())
        for name, text in zip(names, texts, strict=True):
            if text:
                out[name].append(text)
    return out | service.counts("bench", [item.ref for item in items if item.key is not None], opts)


def read_back(lines: Lines) -> Samples:
    """Our mapping's lines as label values and values, for the Gauges."""
    out: Samples = {}
    for name, chunks in lines.items():
        rows = out[name] = []
        for line in "".join(chunks).splitlines():
            match = _LINE.fullmatch(line)
            assert match is not None, line
            rows.append((_values(match[1]), float(match[2])))
    return out


def refill(exporter: NaiveExporter, lines: Lines, families: list[str]) -> float:
    """Refill the Gauges from our mapping's lines and render once; returns the CPU seconds
    spent reading the lines back, which the baseline's figures leave out."""
    started = time.process_time()
    samples = read_back(lines)
    reading = time.process_time() - started
    exporter.update(samples, families)
    del samples
    generate_latest(exporter.registry)  # the render one scrape per poll costs
    return reading


async def sequential(endpoint: Endpoint, request: ListRequest[Any, Any]) -> list[Listed[Any, Any]]:
    """Every page, one after the other."""
    items: list[Listed[Any, Any]] = []
    offset, limit = 0, request.page_limit
    while True:
        page: RawPage = await endpoint.get(
            request.path,
            [("limit", limit), ("offset", offset), *request.filters],
            request.page,
            headers=dict(request.headers),
        )
        batch = listed(page.items or (), request.ref, request.model)
        items += batch
        offset += limit
        if len(batch) < limit or offset >= (page.count or 0):
            return items


async def main() -> None:
    cloud = read_cloud()
    config = settings(cloud, int(sys.argv[2]))
    exporter, figures = NaiveExporter(), Figures()
    account = config.accounts[0]
    creds = account.credentials
    assert creds.access_key is not None and creds.secret_key is not None
    auth = AkSkAuth(creds.access_key, creds.secret_key, clock=time.time)
    guard = AccountGuard(TokenBucket(1e6, 1_000_000, time.monotonic))
    reading: dict[str, float] = {}  # CPU spent reading our lines back, left out below
    async with new_session() as session:
        # One poll per service: its first is the naive exporter's cheapest (no series to
        # clear), so its figures are if anything flattering.
        for service in SERVICES:
            # The baseline is of the task lists: the lists of a wave's objects (a page or
            # one object each) are measured against our own polls without them (run.py).
            if service.name not in TASK_LISTS or not service.enabled(config, account):
                continue
            target = service.target(account)
            endpoint = Endpoint(
                session=session,
                base_url=target.base_url,
                auth=auth,
                scope=target.scope,
                guard=guard,
                policy=RequestPolicy(),
            )
            names = [f.name for f in service.families]
            opts = service.options(config, account)
            with measure(figures, service.name):
                items = await sequential(endpoint, target.request)
                started = time.process_time()
                lines = mapped_lines(service, opts, names, items)
                reading[service.name] = refill(exporter, lines, names)
                figures.render_cpu[service.name] = (
                    time.process_time() - started - reading[service.name]
                )
            figures.tasks[service.name] = len(items)
            del items, lines
        for service_name, spent in reading.items():
            figures.poll_cpu[service_name] -= spent
        figures.emit()

    async def metrics(request: web.Request) -> web.Response:
        body = generate_latest(exporter.registry)
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            return web.Response(
                body=gzip.compress(body),
                headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"},
            )
        return web.Response(body=body, headers={"Content-Type": "text/plain; version=0.0.4"})

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    await serve_until_sigterm(app, config.web.port)


if __name__ == "__main__":
    asyncio.run(main())
