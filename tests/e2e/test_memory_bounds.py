"""Memory stays bounded whatever the network sends: a gzip bomb, maximal pages, an endless IAM
body. The real exporter process polls a hostile peer once (`--once`); its peak RSS is read
from the kernel (`VmHWM`) as it exits.

Not `wait4`'s `ru_maxrss`: that counts the address space the child was forked from (this
test process, peers and all) before it exec'd the exporter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from tests.conftest import PASSWORD, SECRET_KEY
from tests.peers import Peer

pytestmark = pytest.mark.e2e

MAX_RSS_MB = 300
BOMB_BYTES = 1 << 30  # what 1 MB on the wire inflates to


def bomb() -> bytes:
    """A gzip stream of a valid page padded with 1 GiB of JSON whitespace: only a cap stops
    it, not a parse error."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [deflate.compress(b'{"count": 1, "tasks": []')]
    block = b" " * (1 << 20)
    out += [deflate.compress(block) for _ in range(BOMB_BYTES >> 20)]
    out.append(deflate.compress(b"}") + deflate.flush())
    return b"".join(out)


# The exporter's CLI, reporting its own peak RSS on the way out.
WITH_PEAK = """
import atexit, runpy, sys
where = sys.argv.pop(1)
def peak():
    with open("/proc/self/status") as status, open(where, "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM:")).split()[1])
atexit.register(peak)
runpy.run_module("exporter", run_name="__main__")
"""


def run_once(tmp_path: Path, account: dict[str, Any]) -> tuple[int, float, str]:
    """`--once` against the peer: exit code, peak RSS in MB, and its log."""
    account = {"name": "acct-a", "region": "ap-southeast-3", "oms": {"enabled": False}, **account}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"accounts": [account]}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HWMIG_", "CLOUD_SDK_"))}
    with (tmp_path / "log").open("wb") as log:
        args = ["--once", "--config.file", str(config)]
        code = subprocess.run(
            [sys.executable, "-c", WITH_PEAK, str(tmp_path / "peak"), *args],
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=env,
            timeout=120,
        ).returncode
    peak_kb = int((tmp_path / "peak").read_text())
    return code, peak_kb / 1024, (tmp_path / "log").read_text()


AKSK = {"access_key": "AKTESTACCESSKEY00001", "secret_key": SECRET_KEY}


def test_a_gzip_bomb_stops_at_the_response_cap(tmp_path: Path) -> None:
    payload = bomb()
    assert len(payload) < 2 << 20

    async def answer(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=payload, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}
        )

    with Peer(answer) as peer:
        code, rss, log = run_once(tmp_path, {"credentials": AKSK, "sms": {"endpoint": peer.url}})
    assert code == 1
    assert "exceeds api.max_response_bytes (16777216 bytes)" in log and "bad_response" in log
    assert rss < MAX_RSS_MB, f"peak RSS {rss:.0f} MB"


def test_maximal_pages_stop_at_the_poll_cap(tmp_path: Path) -> None:
    """50 pages each just under the per-response cap: 800 MB offered, the poll holds 117 MiB."""
    task = b'{"id": "t-%d", "name": "x", "state": "RUNNING"}'
    page = bytearray(b'{"count": 10000, "tasks": [')
    page += b",".join(task % n for n in range(200))
    page += b"]"
    page += b" " * ((16 << 20) - 64 - len(page))
    page += b"}"

    async def answer(request: web.Request) -> web.StreamResponse:
        return web.Response(body=bytes(page), content_type="application/json")

    with Peer(answer) as peer:
        code, rss, log = run_once(tmp_path, {"credentials": AKSK, "sms": {"endpoint": peer.url}})
        # The task list's pages (the source servers' list asks the same peer too).
        served = sum(1 for seen in peer.seen if "/v3/tasks" in seen.url)
    assert code == 1
    assert "responses of one poll exceed api.max_poll_bytes (122880000 bytes)" in log
    assert served < 50  # it stopped asking: the first page and those already in flight
    assert rss < MAX_RSS_MB, f"peak RSS {rss:.0f} MB"


def test_maximal_pages_of_a_wave_list_stop_at_the_poll_cap(tmp_path: Path) -> None:
    """The migration projects' list, capped at 1,000 items (10 pages), each page just under
    the per-response cap: 160 MB offered, the poll holds its 117 MiB and stops."""
    project = b'{"id": "mp-%d", "name": "x", "type": "MIGRATE_BLOCK"}'
    page = bytearray(b'{"count": 1000, "migprojects": [')
    page += b",".join(project % n for n in range(100))
    page += b"]"
    page += b" " * ((16 << 20) - 64 - len(page))
    page += b"}"

    async def answer(request: web.Request) -> web.StreamResponse:
        if request.path == "/v3/migprojects":
            return web.Response(body=bytes(page), content_type="application/json")
        return web.json_response({"count": 0, "tasks": [], "source_servers": []})

    with Peer(answer) as peer:
        code, rss, log = run_once(tmp_path, {"credentials": AKSK, "sms": {"endpoint": peer.url}})
        served = sum(1 for seen in peer.seen if "/v3/migprojects" in seen.url)
    assert code == 1
    assert "responses of one poll exceed api.max_poll_bytes (122880000 bytes)" in log
    assert "sms_projects" in log
    assert served <= 10  # never past the list's own cap
    assert rss < MAX_RSS_MB, f"peak RSS {rss:.0f} MB"


def test_an_endless_iam_body_stops_at_its_cap(tmp_path: Path) -> None:
    async def answer(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=201, headers={"X-Subject-Token": "MIIfake"})
        await response.prepare(request)
        chunk = b" " * (1 << 20)
        try:
            for _ in range(3 << 10):  # 3 GiB, if nobody stops reading
                await response.write(chunk)
        except ConnectionError:
            pass  # the exporter stopped reading: what this test wants
        return response

    with Peer(answer) as peer:
        password = {"username": "u", "password": PASSWORD, "domain_name": "d"}
        code, rss, log = run_once(
            tmp_path,
            {"credentials": password, "iam_endpoint": peer.url, "sms": {"endpoint": peer.url}},
        )
    assert code == 1
    assert "exceeds api.max_response_bytes" in log
    assert rss < MAX_RSS_MB, f"peak RSS {rss:.0f} MB"
    assert PASSWORD not in log
