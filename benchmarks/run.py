"""The benchmark: our exporter against its floors and a naive baseline, same machine, same run.

    .venv/bin/python -m benchmarks.run               # 10k SMS tasks + their 10k source servers
                                                     # + 10k OMS tasks, moving, 100 ms latency
    .venv/bin/python -m benchmarks.run --tasks 2000
    .venv/bin/python -m benchmarks.run --smoke       # tiny and fast: keeps the harness working

The simulator (tasks progressing over time, `--control` to set its latency and freeze its
clock), each exporter, a static-file server and Prometheus run in processes of their own; this
one steers them and scrapes. Every figure is reported, never asserted, and set against its
floor where one exists:

- polls, per source: cold (the first), unchanged (the clock frozen: the same JSON again) and
  moving; then all sources at once, as the daemon polls, at 0 ms and at the API latency, against
  the floor max(CPU of the poll, 2 round trips);
- scrapes: plain and gzip, 1 and 8 scrapers, against a static-file server (sendfile) serving the
  same bytes, and the naive exporter; gzip scrapes while every source polls; and the first
  gzip scrape after a poll against the later ones;
- memory: peak RSS against the bytes the exposition holds (gzip pieces and LZ4 blocks), and
  what 200 readers that stop reading add to it;
- Prometheus: samples per scrape, scrape duration, its CPU per scrape and peak RSS, for the
  default and the lean profile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks import prometheus_cost
from benchmarks.common import series_by_service
from exporter.settings import Api
from tests.e2e.harness import free_port  # one way to pick a loopback port

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("sms", "sms_sources", "oms")  # the task lists: measured one by one
# The lists of a wave's objects, at realistic sizes: tens of projects and groups, hundreds of
# sync tasks (and the overview: one object). Measured as what they add to a poll of all.
WAVE_LISTS = ("sms_projects", "sms_overview", "oms_groups", "oms_sync")
WAVE_SIZES = {"projects": 30, "groups": 30, "syncs": 300}


class Child:
    """A process of the benchmark, answering one JSON line per command on its stdin."""

    def __init__(
        self, module: str, *args: str, env: dict[str, str] | None = None, nice: int = 0
    ) -> None:
        self.process = subprocess.Popen(
            [*(["nice", "-n", str(nice)] if nice else []), sys.executable, "-m", module, *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, **(env or {})},
        )

    def line(self, timeout: float = 600) -> dict[str, Any]:
        """The next JSON line it prints."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.process.stdout.readline()
            if text.startswith("{"):
                data: dict[str, Any] = json.loads(text)
                return data
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.process.args!r} exited with {self.process.returncode}")
        raise TimeoutError(f"{self.process.args!r} said nothing in {timeout} s")

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def ask(self, command: str) -> dict[str, Any]:
        self.send(command)
        return self.line()

    def peak_rss_mb(self) -> float:
        for text in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if text.startswith("VmHWM:"):
                return int(text.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()  # a reader blocked on stdin lets go
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def wait_listening(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(url + "/healthz") as response:
                    await response.read()
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)
    raise TimeoutError(url)


async def fetch(url: str, gzipped: bool) -> bytes:
    headers = {"Accept-Encoding": "gzip" if gzipped else "identity"}
    timeout = aiohttp.ClientTimeout(total=600)
    async with (
        aiohttp.ClientSession(auto_decompress=False, timeout=timeout) as session,
        session.get(url + "/metrics", headers=headers) as response,
    ):
        return await response.read()


async def scrape_load(
    url: str, concurrency: int, gzipped: bool, requests: int, seconds: float
) -> list[float]:
    """Latencies of full-body scrapes by `concurrency` scrapers, after one warm-up scrape."""
    headers = {"Accept-Encoding": "gzip" if gzipped else "identity"}
    latencies: list[float] = []
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(auto_decompress=False, timeout=timeout) as session:
        async with session.get(url + "/metrics", headers=headers) as response:
            await response.read()
        deadline = time.monotonic() + seconds

        async def scraper() -> None:
            while len(latencies) < requests and time.monotonic() < deadline:
                started = time.perf_counter()
                async with session.get(url + "/metrics", headers=headers) as response:
                    await response.read()
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(scraper() for _ in range(concurrency)))
    return latencies


LOADS = {"c1-plain": (1, False), "c1-gzip": (1, True), "c8-plain": (8, False), "c8-gzip": (8, True)}


def loads(url: str, args: argparse.Namespace, keys: tuple[str, ...] = tuple(LOADS)) -> Any:
    async def run() -> dict[str, list[float]]:
        await wait_listening(url)
        return {
            key: await scrape_load(url, *LOADS[key], args.requests, args.seconds) for key in keys
        }

    return asyncio.run(run())


async def scrapes_during(url: str, ours: Child, seconds: float) -> tuple[list[float], int]:
    """gzip scrapes, one after another, while `ours` polls every source over and over."""
    latencies: list[float] = []
    ours.send(f"storm {seconds}")
    reply = asyncio.ensure_future(asyncio.to_thread(ours.line))
    headers = {"Accept-Encoding": "gzip"}
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        while not reply.done():
            started = time.perf_counter()
            async with session.get(url + "/metrics", headers=headers) as response:
                await response.read()
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.01)
    polls: int = (await reply)["polls"]
    return latencies, polls


async def first_and_later(
    url: str, ours: Child, args: argparse.Namespace
) -> tuple[list[float], list[float]]:
    """gzip scrapes after each of `args.repeat` polls of every source: the first, a second
    after the poll, and three more."""
    first: list[float] = []
    later: list[float] = []
    headers = {"Accept-Encoding": "gzip"}
    async with aiohttp.ClientSession(auto_decompress=False) as session:

        async def scrape() -> float:
            started = time.perf_counter()
            async with session.get(url + "/metrics", headers=headers) as response:
                await response.read()
            return time.perf_counter() - started

        await scrape()  # the kind is asked for once before: as Prometheus does every interval
        for _ in range(args.repeat):
            await asyncio.to_thread(ours.ask, "poll-all")
            await asyncio.sleep(1.0)
            first.append(await scrape())
            later += [await scrape() for _ in range(3)]
    return first, later


@dataclass
class Ours:
    services: list[str] = field(default_factory=list)
    cold: dict[str, dict[str, Any]] = field(default_factory=dict)
    unchanged: dict[str, dict[str, Any]] = field(default_factory=dict)
    moving: dict[str, dict[str, Any]] = field(default_factory=dict)
    side_by_side: dict[float, dict[str, list[float]]] = field(default_factory=dict)
    during: list[float] = field(default_factory=list)
    first: list[float] = field(default_factory=list)  # the first gzip scrape after a poll
    later: list[float] = field(default_factory=list)  # the next three
    storm_polls: int = 0
    scrapes: dict[str, list[float]] = field(default_factory=dict)
    static: dict[str, list[float]] = field(default_factory=dict)
    plain_bytes: int = 0
    gzip_bytes: int = 0
    peak_rss_mb: float = 0.0
    held: dict[str, int] = field(default_factory=dict)  # bytes the snapshot holds, by form
    stalled: tuple[float, float] = (0.0, 0.0)  # RSS in MB before and with the stalled readers
    series: dict[str, int] = field(default_factory=dict)
    prometheus: dict[str, Any] = field(default_factory=dict)


def measure_ours(cloud: dict[str, Any], simulator: Child, args: argparse.Namespace) -> Ours:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    child = Child("benchmarks.ours", json.dumps(cloud), str(port), "default", args.settings)
    result = Ours()
    try:
        result.services = [s for s in child.line()["ready"] if s in SERVICES]
        simulator.ask(f"latency {args.latency}")
        simulator.ask("freeze")
        for service in result.services:
            # Cold and unchanged polls take turns, the median of each kept: their ratio is
            # the figure, and one poll of each moved it by 10 points between runs.
            colds, unchanged = [], []
            for _ in range(args.repeat):
                colds.append(settled(child, f"cold {service}", args))
                unchanged.append(settled(child, f"poll {service}", args))
            result.cold[service], result.unchanged[service] = middle(colds), middle(unchanged)
        simulator.ask("thaw")
        time.sleep(args.move_seconds)
        for service in result.services:
            result.moving[service] = settled(child, f"poll {service}", args)
        # The two latencies take turns, so that the machine's drift over a minute lands on
        # both alike (one after the other, the ratio moved by 0.2 between runs).
        latencies = (0.0, args.latency)
        result.side_by_side = {latency: {s: [] for s in result.services} for latency in latencies}
        for _ in range(args.repeat):
            for latency in latencies:
                simulator.ask(f"latency {latency}")
                for service, wall in settled(child, "poll-all", args)["wall"].items():
                    if service in result.side_by_side[latency]:
                        result.side_by_side[latency][service].append(wall)
        simulator.ask(f"latency {args.latency}")
        result.during, result.storm_polls = asyncio.run(
            scrapes_during(url, child, args.storm_seconds)
        )
        result.first, result.later = asyncio.run(first_and_later(url, child, args))
        plain, packed = asyncio.run(fetch(url, False)), asyncio.run(fetch(url, True))
        result.plain_bytes, result.gzip_bytes = len(plain), len(packed)
        result.series = dict(series_by_service(plain))
        result.scrapes, result.static = against_static(url, plain, packed, args)
        del plain, packed
        memory = child.ask("memory")
        result.peak_rss_mb, result.held = memory["VmHWM"], memory["held"]
        result.stalled = with_stalled_readers(port, child, STALLED_READERS)
        result.prometheus = prometheus_cost.measure(
            port, free_port(), scrapes=args.prom_scrapes, interval=args.prom_interval
        )
        return result
    finally:
        child.stop()


@dataclass
class Waves:
    """What the lists of a wave's objects cost: requests and items per poll of each, and the
    CPU of a poll of every list with them (after) and without them (before)."""

    requests: dict[str, int] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)  # before/after: poll-all CPU


def measure_waves(cloud: dict[str, Any], args: argparse.Namespace) -> Waves:
    """Two exporters, without and with the wave lists, polling every list at once in turns
    (so that the machine's drift lands on both alike); then each wave list alone."""
    result = Waves()
    profiles = {"before": "without the wave lists", "after": "default"}
    with exporters(cloud, profiles, args) as (children, _):
        result.cpu = poll_all_in_turns(children, args)
        for service in WAVE_LISTS:
            poll = settled(children["after"], f"poll {service}", args)
            result.requests[service], result.items[service] = poll["requests"], poll["items"]
    return result


@contextmanager
def exporters(
    cloud: dict[str, Any], profiles: dict[str, str], args: argparse.Namespace
) -> Iterator[tuple[dict[str, Child], dict[str, int]]]:
    """One of our exporters per profile, each ready and with its first poll done (every
    page new), and the port each serves on; stopped after."""
    ports = {name: free_port() for name in profiles}
    children = {
        name: Child("benchmarks.ours", json.dumps(cloud), str(ports[name]), profile, args.settings)
        for name, profile in profiles.items()
    }
    try:
        for child in children.values():
            child.line()  # ready
            settled(child, "poll-all", args)
        yield children, ports
    finally:
        for child in children.values():
            child.stop()


def poll_all_in_turns(
    children: dict[str, Child], args: argparse.Namespace
) -> dict[str, list[float]]:
    """The CPU of `args.repeat` polls of every list by each exporter, the exporters taking
    turns (so that the machine's drift lands on all alike)."""
    cpu: dict[str, list[float]] = {name: [] for name in children}
    for _ in range(args.repeat):
        for name, child in children.items():
            cpu[name].append(float(settled(child, "poll-all", args)["cpu"]))
    return cpu


def waves_table(waves: Waves) -> tuple[str, float]:
    before, after = median(waves.cpu["before"]), median(waves.cpu["after"])
    lists = table(
        ["list", "items", "requests per poll"],
        [[s, f"{waves.items[s]:,}", str(waves.requests[s])] for s in WAVE_LISTS],
    )
    cpu = table(
        ["poll of every list at once", "CPU (median)"],
        [
            ["before: the task lists and source servers", fmt_s(before)],
            ["after: and the lists of a wave's objects", fmt_s(after)],
            ["after / before", fmt_x(after / before)],
        ],
    )
    return f"{lists}\n{cpu}", after / before


@dataclass
class WaveView:
    """What the wave view costs (membership and readiness, the stage after the polls): the
    CPU of a poll of every list with it on (five configured waves beside the projects' and
    groups') and off, and the series it adds."""

    cpu: dict[str, list[float]] = field(default_factory=dict)  # off/on: poll-all CPU
    series: dict[str, float] = field(default_factory=dict)


def wave_series(body: bytes) -> dict[str, float]:
    """Series of the wave families per task: membership per task (SMS and OMS); readiness per
    SMS task, per SMS task not cut over (the others export none), and most of one task."""
    names = Counter[str]()
    readiness = Counter[bytes]()
    for row in body.split(b"\n"):
        name = row.split(b"{", 1)[0].split(b" ", 1)[0].decode()
        names[name] += 1
        if name.startswith("huaweicloud_sms_task_cutover_"):
            readiness[row.split(b'task_id="', 1)[1].split(b'"', 1)[0]] += 1
    sms = names["huaweicloud_sms_task_info"]
    tasks = sms + names["huaweicloud_oms_task_info"]
    return {
        "members per task": names["huaweicloud_migration_wave_task"] / max(1, tasks),
        "readiness per SMS task": sum(readiness.values()) / max(1, sms),
        "readiness per SMS task not cut over": sum(readiness.values()) / max(1, len(readiness)),
        "readiness of one SMS task, most": max(readiness.values(), default=0),
        "SMS tasks not cut over": len(readiness),
    }


def measure_wave_view(cloud: dict[str, Any], args: argparse.Namespace) -> WaveView:
    """Two exporters, the wave view off and on, polling every list at once in turns."""
    result = WaveView()
    profiles = {"off": "without the wave view", "on": "five configured waves"}
    with exporters(cloud, profiles, args) as (children, ports):
        result.cpu = poll_all_in_turns(children, args)
        body = asyncio.run(fetch(f"http://127.0.0.1:{ports['on']}", False))
        result.series = wave_series(body)
    return result


def wave_view_table(view: WaveView) -> tuple[str, float]:
    off, on = median(view.cpu["off"]), median(view.cpu["on"])
    cpu = table(
        ["poll of every list at once", "CPU (median)"],
        [
            ["the wave view off", fmt_s(off)],
            ["on: five configured waves beside the projects' and groups'", fmt_s(on)],
            ["on / off", fmt_x(on / off)],
        ],
    )
    series = table(
        ["series of the wave view", "per task"],
        [
            [name, f"{view.series[name]:,.2f}"]
            for name in (
                "members per task",
                "readiness per SMS task",
                "readiness per SMS task not cut over",
                "readiness of one SMS task, most",
            )
        ],
    )
    return f"{cpu}\n{series}", on / off


STALLED_READERS = 200
STALLED_REQUEST = b"GET /metrics HTTP/1.1\r\nHost: bench\r\nAccept-Encoding: identity\r\n\r\n"


def with_stalled_readers(port: int, child: Child, readers: int) -> tuple[float, float]:
    """RSS before and with `readers` clients that ask for the plain body and never read it."""
    before = child.ask("memory")["VmRSS"]
    sockets = []
    try:
        for _ in range(readers):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.connect(("127.0.0.1", port))
            sock.sendall(STALLED_REQUEST)
            sockets.append(sock)
        time.sleep(5)  # every answer has filled its socket
        return before, child.ask("memory")["VmRSS"]
    finally:
        for sock in sockets:
            sock.close()


def middle(polls: list[dict[str, Any]]) -> dict[str, Any]:
    """The poll of median CPU."""
    return sorted(polls, key=lambda poll: float(poll["cpu"]))[len(polls) // 2]


def settled(child: Child, command: str, args: argparse.Namespace) -> dict[str, Any]:
    """`command`, once the account's rate limit has its whole burst again: polls follow each
    other here, where the daemon spaces them by the poll interval."""
    time.sleep(args.settle)
    return child.ask(command)


def against_static(
    url: str, plain: bytes, packed: bytes, args: argparse.Namespace, rounds: int = 4
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Scrape latencies of ours and of a static-file server with the same bytes, one scraper
    at a time, the two taking turns over `rounds` (the machine's drift lands on both alike);
    then ours under 8 scrapers."""
    single = ("c1-plain", "c1-gzip")
    ours: dict[str, list[float]] = {key: [] for key in single}
    static: dict[str, list[float]] = {key: [] for key in single}
    share = argparse.Namespace(
        requests=max(1, args.requests // rounds), seconds=args.seconds / rounds
    )
    with tempfile.TemporaryDirectory(prefix="hwmig-bench-static-") as tmp:
        (Path(tmp) / "metrics.txt").write_bytes(plain)
        (Path(tmp) / "metrics.txt.gz").write_bytes(packed)
        port = free_port()
        server = Child("benchmarks.static", tmp, str(port))
        try:
            server.line()
            for _ in range(rounds):
                for into, where in ((ours, url), (static, f"http://127.0.0.1:{port}")):
                    for key, latencies in loads(where, share, single).items():
                        into[key] += latencies
        finally:
            server.stop()
    return {**ours, **loads(url, args, ("c8-plain", "c8-gzip"))}, static


@dataclass
class Profile:
    items: dict[str, int]
    series: dict[str, int]
    prometheus: dict[str, Any]


def measure_profile(
    cloud: dict[str, Any], profile: str, simulator: Child, args: argparse.Namespace
) -> Profile:
    """Series and Prometheus' cost of the exporter run with `profile`."""
    port = free_port()
    child = Child("benchmarks.ours", json.dumps(cloud), str(port), profile, args.settings)
    try:
        simulator.ask("latency 0")
        items = {
            service: child.ask(f"poll {service}")["items"] for service in child.line()["ready"]
        }
        plain = asyncio.run(fetch(f"http://127.0.0.1:{port}", False))
        series = dict(series_by_service(plain))
        del plain
        prometheus = prometheus_cost.measure(
            port, free_port(), scrapes=args.prom_scrapes, interval=args.prom_interval
        )
        return Profile(items, series, prometheus)
    finally:
        simulator.ask(f"latency {args.latency}")
        child.stop()


@dataclass
class Naive:
    figures: dict[str, Any]
    scrapes: dict[str, list[float]]
    peak_rss_mb: float


def measure_naive(cloud: dict[str, Any], args: argparse.Namespace) -> Naive:
    port = free_port()
    child = Child("benchmarks.naive", json.dumps(cloud), str(port))
    try:
        figures = child.line()
        url = f"http://127.0.0.1:{port}"
        # One scraper only: each of its scrapes renders the whole registry (seconds at 10k).
        scrapes = loads(url, args, ("c1-plain", "c1-gzip"))
        return Naive(figures, scrapes, child.peak_rss_mb())
    finally:
        child.stop()


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt_s(seconds: float | None) -> str:
    if seconds is None or seconds != seconds:
        return "n/a"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def fmt_x(ratio: float) -> str:
    return f"{ratio:.2f}x" if ratio == ratio else "n/a"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def polls_table(ours: Ours) -> str:
    rows = []
    for s in ours.services:
        cold, same, moving = ours.cold[s], ours.unchanged[s], ours.moving[s]
        rows.append(
            [
                f"{s} ({cold['items']:,})",
                f"{fmt_s(cold['wall'])} / {fmt_s(cold['cpu'])}",
                f"{fmt_s(same['wall'])} / {fmt_s(same['cpu'])} ({same['cpu'] / cold['cpu']:.0%})",
                f"{same['rendered']:,}",
                f"{fmt_s(moving['wall'])} / {fmt_s(moving['cpu'])} ({moving['cpu'] / cold['cpu']:.0%})",
                f"{moving['rendered']:,}",
            ]
        )
    return table(
        [
            "source (items)",
            "cold: wall / CPU",
            "unchanged: wall / CPU (of cold)",
            "rendered afresh",
            "moving: wall / CPU (of cold)",
            "rendered afresh",
        ],
        rows,
    )


def side_by_side_table(ours: Ours, latency: float) -> tuple[str, dict[str, float]]:
    rows, ratios = [], {}
    for s in ours.services:
        at_zero = median(ours.side_by_side[0.0][s])
        at_latency = median(ours.side_by_side[latency][s])
        floor = max(ours.moving[s]["cpu"], 2 * latency)
        ratios[s] = at_latency / at_zero
        rows.append(
            [
                s,
                fmt_s(at_zero),
                fmt_s(at_latency),
                fmt_x(ratios[s]),
                fmt_s(floor),
                fmt_x(at_latency / floor),
            ]
        )
    header = [
        "source",
        "wall at 0 ms",
        f"wall at {latency * 1000:.0f} ms",
        "ratio",
        "floor: max(CPU, 2 round trips)",
        "wall / floor",
    ]
    return table(header, rows), ratios


def scrapes_table(ours: Ours, naive: Naive | None) -> str:
    rows = []
    for key in LOADS:
        scrapers, encoding = key.split("-")
        ours_median = median(ours.scrapes[key])
        static = median(ours.static.get(key, []))
        naive_median = median(naive.scrapes.get(key, [])) if naive else float("nan")
        rows.append(
            [
                f"{encoding}, {scrapers[1:]} scraper{'s' if scrapers != 'c1' else ''}",
                f"{fmt_s(ours_median)} / {fmt_s(quantile(ours.scrapes[key], 0.99))}",
                fmt_s(static),
                fmt_x(ours_median / static),
                fmt_s(naive_median),
                fmt_x(naive_median / ours_median),
            ]
        )
    header = [
        "scrape",
        "ours: median / p99",
        "static-file server",
        "ours / static",
        "naive",
        "naive / ours",
    ]
    return table(header, rows)


def prometheus_table(profiles: dict[str, Profile]) -> str:
    rows = []
    for name, profile in profiles.items():
        per = {s: profile.series.get(s, 0) / n for s, n in profile.items.items() if n}
        prom = profile.prometheus
        samples = prom.get("samples")
        rows.append(
            [
                name,
                f"{per.get('sms', 0):.1f} / {per.get('sms_sources', 0):.1f} / {per.get('oms', 0):.1f}",
                f"{samples:,.0f}" if samples else prom.get("error", "n/a"),
                fmt_s(prom.get("scrape_seconds")),
                fmt_s(prom.get("first_scrape_seconds")),
                fmt_s(prom.get("cpu_per_scrape")),
                f"{prom['peak_rss_mb']:,.0f} MB" if "peak_rss_mb" in prom else "n/a",
            ]
        )
    header = [
        "profile",
        "series per SMS task / source server / OMS task",
        "samples per scrape",
        "scrape duration (median after the first)",
        "the first scrape (creates the series)",
        "Prometheus CPU per scrape",
        "Prometheus peak RSS",
    ]
    return table(header, rows)


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def report(
    args: argparse.Namespace,
    command: str,
    ours: Ours,
    profiles: dict[str, Profile],
    naive: Naive,
    waves: Waves,
    view: WaveView,
) -> str:
    latency = args.latency
    side, ratios = side_by_side_table(ours, latency)
    wave_text, wave_ratio = waves_table(waves)
    view_text, view_ratio = wave_view_table(view)
    wave_requests = sum(waves.requests.values())
    during_p99 = quantile(ours.during, 0.99)
    held = ours.held["gzip"] + ours.held["lz4"]
    unchanged = {s: ours.unchanged[s]["cpu"] / ours.cold[s]["cpu"] for s in ours.services}
    static_gzip = median(ours.scrapes["c1-gzip"]) / median(ours.static["c1-gzip"])
    static_plain = median(ours.scrapes["c1-plain"]) / median(ours.static["c1-plain"])
    naive_scrape = median(naive.scrapes["c1-gzip"]) / median(ours.scrapes["c1-gzip"])
    naive_plain = median(naive.scrapes["c1-plain"]) / median(ours.scrapes["c1-plain"])
    per_sms = {
        n: p.series.get("sms", 0) / max(1, p.items.get("sms", 0)) for n, p in profiles.items()
    }
    lean_share = per_sms.get("lean", float("nan")) / per_sms.get("default", float("nan"))
    naive_wall = sum(naive.figures["poll_wall"].values())
    ours_wall = sum(ours.moving[s]["wall"] for s in ours.services)
    targets = [
        (
            f"a poll at {latency * 1000:.0f} ms takes at most 1.25x the same at 0 ms, each source, "
            "all polled together",
            all(r <= 1.25 for r in ratios.values()),
            ", ".join(f"{s} {fmt_x(r)}" for s, r in ratios.items()),
        ),
        ("gzip scrape p99 during polls < 100 ms", during_p99 < 0.1, fmt_s(during_p99)),
        (
            "a poll where nothing changed costs at most 30% of the first poll's CPU",
            all(r <= 0.3 for r in unchanged.values()),
            ", ".join(f"{s} {r:.0%}" for s, r in unchanged.items()),
        ),
        (
            "the lean profile exports at most half the series per SMS task",
            lean_share <= 0.5,
            f"{lean_share:.0%}",
        ),
        ("peak RSS < 250 MB", ours.peak_rss_mb < 250, f"{ours.peak_rss_mb:.0f} MB"),
        (
            "a gzip scrape, as Prometheus makes it, within 1.2x of the static-file server",
            static_gzip <= 1.2,
            fmt_x(static_gzip),
        ),
        (
            "a plain scrape within 1.2x of the static-file server (it unpacks LZ4 blocks)",
            static_plain <= 1.2,
            fmt_x(static_plain),
        ),
        (
            "the design's: /metrics median at least 50x lower than the naive exporter's",
            naive_scrape >= 50 and naive_plain >= 50,
            f"gzip {fmt_x(naive_scrape)}, plain {fmt_x(naive_plain)}",
        ),
        (
            "the design's: a poll's CPU for 10,000 SMS tasks under 1 s",
            ours.moving["sms"]["cpu"] < 1,
            f"moving {fmt_s(ours.moving['sms']['cpu'])}, unchanged "
            f"{fmt_s(ours.unchanged['sms']['cpu'])}, first {fmt_s(ours.cold['sms']['cpu'])}",
        ),
        (
            "the lists of a wave's objects add at most a few requests a poll",
            wave_requests <= 2 * len(WAVE_LISTS),
            f"{wave_requests} requests",
        ),
        (
            "the poll CPU of every list with them within 10% of it without them",
            wave_ratio <= 1.1,
            fmt_x(wave_ratio),
        ),
        (
            "the poll CPU of every list with the wave view within 10% of it without",
            view_ratio <= 1.1,
            fmt_x(view_ratio),
        ),
        (
            "membership one series per task per wave (each task is in two here), readiness at"
            " most two series per SMS task",
            view.series["members per task"] <= 2 and view.series["readiness per SMS task"] <= 2,
            f"{view.series['members per task']:.2f} and {view.series['readiness per SMS task']:.2f}"
            f"; {view.series['readiness per SMS task not cut over']:.2f} per task not cut over,"
            f" {view.series['readiness of one SMS task, most']:.0f} at most (one per blocker)",
        ),
    ]
    sizes = ", ".join(f"{s} {ours.cold[s]['items']:,}" for s in ours.services)
    parts = [
        f"Machine: {machine()}. Command: `{command}`. Items: {sizes}; tasks moving; "
        f"API latency {latency * 1000:.0f} ms.\n",
        "### Polls, one source at a time\n",
        f"Cold: after forgetting all of the last poll, as after a start. Unchanged: the "
        "simulator's clock frozen, so every item's JSON is the same again. Cold and unchanged "
        f"take turns, the poll of median CPU shown of {args.repeat} each. Moving: "
        f"{args.move_seconds:.0f} s of progress later, one poll.\n",
        polls_table(ours),
        "### All sources polled at once, as the daemon does\n",
        f"Medians of {args.repeat} polls at each latency, the two latencies taking turns. "
        "The floor of a poll: its own CPU (moving), or two round trips (the first page, then "
        "all the others at once), whichever is longer.\n",
        side,
        "### The lists of a wave's objects\n",
        f"Migration projects, the overview, task groups and sync tasks at realistic sizes, "
        f"beside the lists above. The CPU of a poll of every list at once, without and with "
        f"them: medians of {args.repeat}, the two exporters taking turns.\n",
        wave_text,
        "### The wave view\n",
        f"Membership and readiness, made after the polls (the wave stage), off and on: medians "
        f"of {args.repeat} polls of every list, the two exporters taking turns, each poll's CPU "
        f"with the stage's renders after it. On: each task in its migration project's or task "
        f"group's wave and in one of five configured waves; readiness of every SMS task not cut "
        f"over ({view.series['SMS tasks not cut over']:,.0f}).\n",
        view_text,
        "### Scrapes\n",
        f"Body {ours.plain_bytes / 1e6:.1f} MB plain, {ours.gzip_bytes / 1e6:.1f} MB gzip. "
        "The static-file server hands out the same bytes with sendfile.\n",
        scrapes_table(ours, naive),
        "gzip scrapes, one after another, while every source polls over and over "
        f"({ours.storm_polls} rounds): median {fmt_s(median(ours.during))}, p99 "
        f"{fmt_s(during_p99)}, max {fmt_s(max(ours.during, default=float('nan')))} "
        f"({len(ours.during)} scrapes).\n",
        f"The first gzip scrape a second after a poll of every source: median "
        f"{fmt_s(median(ours.first))}, the three after it {fmt_s(median(ours.later))} "
        f"({len(ours.first)} polls).\n",
        "### Memory\n",
        table(
            [
                "peak RSS",
                "exposition held: gzip + LZ4",
                "RSS / held",
                "the text they hold (never held as such)",
                f"RSS with {STALLED_READERS} stalled readers",
                "naive peak RSS",
            ],
            [
                [
                    f"{ours.peak_rss_mb:.0f} MB",
                    f"{ours.held['gzip'] / 1e6:.0f} + {ours.held['lz4'] / 1e6:.0f} MB",
                    fmt_x(ours.peak_rss_mb * 1024 * 1024 / held),
                    f"{ours.held['text'] / 1e6:.0f} MB",
                    f"{ours.stalled[0]:.0f} -> {ours.stalled[1]:.0f} MB "
                    f"(+{ours.stalled[1] - ours.stalled[0]:.0f})",
                    f"{naive.peak_rss_mb:.0f} MB",
                ]
            ],
        ),
        "### What Prometheus pays\n",
        f"Prometheus {args.prom_scrapes} scrapes every {args.prom_interval:.0f} s with the "
        "shipped rules loaded; its CPU measured after the first scrape.\n",
        prometheus_table(profiles),
        "### Against the naive exporter\n",
        table(
            ["measure", "ours", "naive", "naive / ours"],
            [
                [
                    "poll wall time, every source (ours one at a time, moving)",
                    fmt_s(ours_wall),
                    fmt_s(naive_wall),
                    fmt_x(naive_wall / ours_wall),
                ],
                [
                    "poll CPU, every source",
                    fmt_s(sum(ours.moving[s]["cpu"] for s in ours.services)),
                    fmt_s(sum(naive.figures["poll_cpu"].values())),
                    fmt_x(
                        sum(naive.figures["poll_cpu"].values())
                        / sum(ours.moving[s]["cpu"] for s in ours.services)
                    ),
                ],
                [
                    "peak RSS",
                    f"{ours.peak_rss_mb:.0f} MB",
                    f"{naive.peak_rss_mb:.0f} MB",
                    fmt_x(naive.peak_rss_mb / ours.peak_rss_mb),
                ],
            ],
        ),
        "### Targets\n",
        "\n".join(f"- {'met' if ok else 'MISSED'}: {name} ({value})" for name, ok, value in targets)
        + "\n",
    ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--tasks", type=int, default=10_000, help="SMS tasks, and OMS tasks")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds the API adds")
    parser.add_argument("--repeat", type=int, default=5, help="polls of all sources, per latency")
    parser.add_argument("--move-seconds", type=float, default=20.0, help="between moving polls")
    parser.add_argument("--storm-seconds", type=float, default=20.0, help="scrapes during polls")
    parser.add_argument("--requests", type=int, default=40, help="scrapes per load, at most")
    parser.add_argument("--seconds", type=float, default=12.0, help="time per load, at most")
    parser.add_argument("--prom-scrapes", type=int, default=4, help="Prometheus scrapes measured")
    parser.add_argument("--prom-interval", type=float, default=10.0, help="its scrape interval")
    parser.add_argument(
        "--settings", default="{}", help="JSON merged into ours' settings: '{\"api\": {...}}'"
    )
    parser.add_argument(
        "--settle",
        type=float,
        # The burst (api.burst unset) is one whole poll: 231 pages at 10,000 items per list.
        default=(Api().burst or 231) / Api().requests_per_second,
        help="seconds before each measured poll: the rate limit's burst refills",
    )
    parser.add_argument("--smoke", action="store_true", help="tiny: check the harness works")
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    if args.smoke:
        args.tasks, args.latency, args.repeat = 100, 0.005, 1
        args.move_seconds, args.storm_seconds, args.requests, args.seconds = 0.5, 1.0, 3, 3.0
        args.prom_scrapes, args.prom_interval, args.settle = 1, 1.0, 0.0
    command = "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:])
    started = time.monotonic()
    simulator = Child(
        "exporter.simulator",
        *("--sms", str(args.tasks), "--oms", str(args.tasks)),
        *(f"--{name}={size // 10 if args.smoke else size}" for name, size in WAVE_SIZES.items()),
        *("--latency", str(args.latency), "--moving", "--control"),
        # It stands in for a remote API: at a lower priority, it takes little of the CPU
        # that is measured here (it shares the machine's cores with the exporter).
        nice=10,
    )
    try:
        cloud = simulator.line(timeout=300)
        ours = measure_ours(cloud, simulator, args)
        log(f"ours measured after {time.monotonic() - started:.0f} s")
        profiles = {
            "default": Profile(
                {s: ours.cold[s]["items"] for s in ours.services}, ours.series, ours.prometheus
            )
        }
        profiles["lean"] = measure_profile(cloud, "lean", simulator, args)
        log(f"lean profile measured after {time.monotonic() - started:.0f} s")
        naive = measure_naive(cloud, args)
        log(f"naive measured after {time.monotonic() - started:.0f} s")
        waves = measure_waves(cloud, args)
        log(f"the wave lists measured after {time.monotonic() - started:.0f} s")
        view = measure_wave_view(cloud, args)
        log(f"the wave view measured after {time.monotonic() - started:.0f} s")
    finally:
        simulator.stop()
    text = report(args, command.strip(), ours, profiles, naive, waves, view)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
