"""The benchmark: our exporter against a naive baseline, same machine, same run.

    .venv/bin/python -m benchmarks.run                 # 1k, 5k and 20k tasks, 100 ms API latency
    .venv/bin/python -m benchmarks.run --smoke         # tiny and fast: keeps the harness working

For each size it starts the simulator (half SMS tasks with 10 sub-tasks and a network check,
half OMS tasks) in its own process, then each exporter in its own process. Ours polls twice
(the second poll, which replaces data, is reported), the naive one once; each reports its
figures; then this process scrapes it with 1 and 8 concurrent scrapers, plain and gzip, and
reads its peak RSS. It prints one markdown table per size and a scaling table.
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
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
EXPORTERS = ("ours", "naive")


@dataclass
class Result:
    figures: dict[str, Any]
    latency: dict[str, list[float]] = field(default_factory=dict)  # "c1-plain" -> seconds
    body_bytes: dict[str, int] = field(default_factory=dict)  # "plain" / "gzip"
    peak_rss_mb: float = 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# Ours runs with the allocator setting its container image ships with (see the Dockerfile);
# the naive baseline with Python's default, which suits it better (system malloc slows its
# generate_latest down about 2x).
IMAGE_ENV = {"PYTHONMALLOC": "malloc"}


def spawn(module: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **(env or {})},
    )


def first_line(process: subprocess.Popen[str], timeout: float) -> dict[str, Any]:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("{"):
            data: dict[str, Any] = json.loads(line)
            return data
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
    raise TimeoutError(f"{process.args!r} said nothing in {timeout} s")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def wait_listening(url: str, timeout: float = 30.0) -> None:
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


async def scrape_load(
    url: str, concurrency: int, gzipped: bool, requests: int, seconds: float, warm_up: bool = True
) -> tuple[list[float], int]:
    """Latencies of full-body scrapes by `concurrency` scrapers, and the body size.

    The warm-up scrape fills our gzip cache, as the first scrape after a poll does; the naive
    exporter has no cache to warm, so it gets none (each of its scrapes costs seconds).
    """
    headers = {"Accept-Encoding": "gzip" if gzipped else "identity"}
    latencies: list[float] = []
    sizes: list[int] = []
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(auto_decompress=False, timeout=timeout) as session:
        if warm_up:
            async with session.get(url + "/metrics", headers=headers) as response:
                sizes.append(len(await response.read()))
        deadline = time.monotonic() + seconds

        async def scraper() -> None:
            while len(latencies) < requests and time.monotonic() < deadline:
                started = time.perf_counter()
                async with session.get(url + "/metrics", headers=headers) as response:
                    sizes.append(len(await response.read()))
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(scraper() for _ in range(concurrency)))
    return latencies, sizes[0]


def measure(exporter: str, cloud: dict[str, Any], args: argparse.Namespace) -> Result:
    port = free_port()
    process = spawn(
        f"benchmarks.{exporter}",
        json.dumps(cloud),
        str(port),
        env=IMAGE_ENV if exporter == "ours" else None,
    )
    try:
        result = Result(figures=first_line(process, timeout=600))
        url = f"http://127.0.0.1:{port}"

        async def load() -> None:
            if exporter == "naive":
                await wait_for_naive(url)
            else:
                await wait_listening(url)
            for concurrency in (1, 8):
                for gzipped in (False, True):
                    latencies, size = await scrape_load(
                        url,
                        concurrency,
                        gzipped,
                        args.requests,
                        args.seconds,
                        warm_up=exporter == "ours",
                    )
                    result.latency[f"c{concurrency}-{'gzip' if gzipped else 'plain'}"] = latencies
                    result.body_bytes["gzip" if gzipped else "plain"] = size

        asyncio.run(load())
        result.peak_rss_mb = peak_rss_mb(process.pid)
        return result
    finally:
        stop(process)


async def wait_for_naive(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(
                    url + "/metrics", headers={"Accept-Encoding": "identity"}
                ) as response:
                    await response.read()
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.2)
    raise TimeoutError(url)


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def fmt_s(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def ratio(naive: float, ours: float) -> str:
    return f"{naive / ours:.1f}x" if ours > 0 else "n/a"


def table(size: int, ours: Result, naive: Result) -> str:
    rows = ["| measure | ours | naive | naive / ours |", "|---|---|---|---|"]

    def add(name: str, a: float, b: float, unit: str = "s") -> None:
        shown = (
            fmt_s
            if unit == "s"
            else (lambda v: f"{v:.0f} MB" if unit == "MB" else f"{v / 1e6:.1f} MB")
        )
        rows.append(f"| {name} | {shown(a)} | {shown(b)} | {ratio(b, a)} |")

    services = list(ours.figures["tasks"])
    for service in services:
        add(
            f"poll wall time, {service} ({ours.figures['tasks'][service]} tasks)",
            ours.figures["poll_wall"][service],
            naive.figures["poll_wall"][service],
        )
    for service in services:
        add(
            f"CPU per poll, {service}: whole poll",
            ours.figures["poll_cpu"][service],
            naive.figures["poll_cpu"][service],
        )
        add(
            f"CPU per poll, {service}: map + render",
            ours.figures["render_cpu"][service],
            naive.figures["render_cpu"][service],
        )
    for key in ("c1-plain", "c1-gzip", "c8-plain", "c8-gzip"):
        scrapers, encoding = key.split("-")
        label = f"/metrics {encoding}, {scrapers[1:]} scraper{'s' if scrapers != 'c1' else ''}"
        add(
            f"{label}: median",
            statistics.median(ours.latency[key]),
            statistics.median(naive.latency[key]),
        )
        add(f"{label}: p99", quantile(ours.latency[key], 0.99), quantile(naive.latency[key], 0.99))
    for encoding in ("plain", "gzip"):
        add(
            f"bytes served, {encoding}",
            ours.body_bytes[encoding],
            naive.body_bytes[encoding],
            unit="bytes",
        )
    add("peak RSS", ours.peak_rss_mb, naive.peak_rss_mb, unit="MB")
    samples = f"{len(ours.latency['c1-plain'])}/{len(naive.latency['c1-plain'])}"
    return (
        f"### {size:,} tasks\n\n"
        + "\n".join(rows)
        + f"\n\n(scrapes measured, 1 scraper plain, ours/naive: {samples})\n"
    )


def targets(ours: Result, naive: Result) -> list[tuple[str, bool, str]]:
    median_ratio = statistics.median(naive.latency["c1-plain"]) / statistics.median(
        ours.latency["c1-plain"]
    )
    render = sum(naive.figures["render_cpu"].values()) / sum(ours.figures["render_cpu"].values())
    wall = sum(naive.figures["poll_wall"].values()) / sum(ours.figures["poll_wall"].values())
    return [
        ("/metrics median latency >= 50x lower", median_ratio >= 50, f"{median_ratio:.0f}x"),
        ("render CPU per poll >= 5x lower", render >= 5, f"{render:.1f}x"),
        ("poll wall time >= 5x shorter", wall >= 5, f"{wall:.1f}x"),
        ("peak RSS < 200 MB", ours.peak_rss_mb < 200, f"{ours.peak_rss_mb:.0f} MB"),
        (
            "SMS poll CPU < 1 s",
            ours.figures["poll_cpu"]["sms"] < 1,
            fmt_s(ours.figures["poll_cpu"]["sms"]),
        ),
    ]


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--sizes", default="1000,5000,20000", help="total tasks per run, half SMS half OMS"
    )
    parser.add_argument(
        "--latency", type=float, default=0.1, help="seconds the simulated API adds per request"
    )
    parser.add_argument("--requests", type=int, default=40, help="scrapes per load level, at most")
    parser.add_argument("--seconds", type=float, default=12.0, help="time per load level, at most")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: check the harness works")
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.latency, args.requests, args.seconds = "200", 0.005, 3, 5.0
    sizes = [int(s) for s in args.sizes.split(",")]
    command = "python -m benchmarks.run " + " ".join(argv if argv is not None else sys.argv[1:])
    report = [
        f"Machine: {machine()}. Command: `{command.strip()}`. API latency {args.latency * 1000:.0f} ms.\n"
    ]
    scaling = [
        "| tasks | poll wall ours / naive | map+render CPU ours / naive | median scrape ours / naive | peak RSS ours / naive |",
        "|---|---|---|---|---|",
    ]
    final: tuple[Result, Result] | None = None
    started = time.monotonic()
    for size in sizes:
        simulator = spawn(
            "exporter.simulator",
            "--sms",
            str(size // 2),
            "--oms",
            str(size - size // 2),
            "--latency",
            str(args.latency),
        )
        try:
            cloud = first_line(simulator, timeout=120)
            ours, naive = (measure(name, cloud, args) for name in EXPORTERS)
        finally:
            stop(simulator)
        report.append(table(size, ours, naive))
        scaling.append(
            f"| {size:,} | {fmt_s(sum(ours.figures['poll_wall'].values()))} / {fmt_s(sum(naive.figures['poll_wall'].values()))}"
            f" | {fmt_s(sum(ours.figures['render_cpu'].values()))} / {fmt_s(sum(naive.figures['render_cpu'].values()))}"
            f" | {fmt_s(statistics.median(ours.latency['c1-plain']))} / {fmt_s(statistics.median(naive.latency['c1-plain']))}"
            f" | {ours.peak_rss_mb:.0f} MB / {naive.peak_rss_mb:.0f} MB |"
        )
        final = (ours, naive)
        print(
            f"{size} tasks done after {time.monotonic() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    report += ["### Scaling\n", "\n".join(scaling) + "\n"]
    if final is not None:
        report.append(f"### Targets at {sizes[-1]:,} tasks\n")
        report.append(
            "\n".join(
                f"- {'met' if ok else 'MISSED'}: {name} ({value})"
                for name, ok, value in targets(*final)
            )
            + "\n"
        )
    text = "\n".join(report)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
