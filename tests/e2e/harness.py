"""Running the real exporter process (and friends) against the simulator, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from prometheus_client.parser import text_string_to_metric_families

from exporter.simulator.cloud import Tenant


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def http_get(
    url: str, timeout: float = 5.0, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_for(check: Callable[[], Any], timeout: float, what: str, every: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (OSError, ValueError) as exc:
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; last: {last!r}")


def account_config(tenant: Tenant, url: str, *, password: bool = False) -> dict[str, Any]:
    return tenant.account_config(url, password=password)


def write_config(path: Path, accounts: list[dict[str, Any]], **top: Any) -> Path:
    path.write_text(yaml.safe_dump({"poll_interval_seconds": 10, **top, "accounts": accounts}))
    return path


# The CLI under a descriptor limit of (soft, hard), set before it starts.
_LIMITED = """
import resource, runpy, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (int(sys.argv.pop(1)), int(sys.argv.pop(1))))
runpy.run_module("exporter", run_name="__main__")
"""


class Exporter:
    """The CLI as a child process; its stderr (JSON logs) kept for the secrets checks."""

    def __init__(
        self, args: list[str], port: int, log_path: Path, nofile: tuple[int, int] | None = None
    ) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self._log = log_path.open("wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HWMIG_", "CLOUD_SDK_"))}
        start = ["-m", "exporter"] if nofile is None else ["-c", _LIMITED, *map(str, nofile)]
        self.process = subprocess.Popen(
            [sys.executable, *start, "--web.listen-address", f"127.0.0.1:{port}", *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"exporter exited: {self.logs()}")
            return http_get(self.url + "/readyz")[0] == 200

        wait_for(ready, timeout, "the exporter to be ready")

    def scrape(self) -> str:
        status, body = http_get(self.url + "/metrics")
        assert status == 200
        return body.decode()

    def samples(self, name: str) -> dict[frozenset[tuple[str, str]], float]:
        out = {}
        for family in text_string_to_metric_families(self.scrape()):
            for sample in family.samples:
                if sample.name == name:
                    out[frozenset(sample.labels.items())] = sample.value
        return out

    def logs(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> tuple[int, float]:
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._log.close()
        return code, time.monotonic() - started


@contextmanager
def exporter(args: list[str], tmp_path: Path) -> Iterator[Exporter]:
    process = Exporter(args, free_port(), tmp_path / "exporter.log")
    try:
        yield process
    finally:
        process.stop()
