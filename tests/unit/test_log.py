"""The logging configuration: one renderer for structlog's events and the standard library's
records alike, Prometheus' level and format spellings, and client disconnects at debug."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from exporter import log


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    yield out
    log.configure("info", "console")  # as the other tests expect it


def test_under_json_the_libraries_lines_are_json_too(stream: io.StringIO) -> None:
    log.configure("info", "json", stream=stream)
    with structlog.contextvars.bound_contextvars(account="prod"):
        logging.getLogger("asyncio").error("Task exception was never retrieved")
        structlog.get_logger("exporter.test").warning("poll failed", token="T-SECRET-1")
    logging.getLogger("aiohttp.access").info("below the libraries' threshold: not shown")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["event"], e["level"], e.get("logger")) for e in lines] == [
        ("Task exception was never retrieved", "error", "asyncio"),
        ("poll failed", "warning", None),
    ]
    assert all(e["account"] == "prod" and "timestamp" in e for e in lines)
    assert lines[1]["token"] == "**********"


def test_logfmt_is_one_key_value_line_per_event(stream: io.StringIO) -> None:
    log.configure("warn", "logfmt", stream=stream)
    structlog.get_logger("exporter.test").info("not shown at warn")
    structlog.get_logger("exporter.test").warning("poll overran", skipped_ticks=2, ok=True)
    logging.getLogger("aiohttp.server").warning("odd request")
    first, second = stream.getvalue().splitlines()
    assert first.startswith("timestamp=") and ' level=warning event="poll overran"' in first
    assert first.endswith(" skipped_ticks=2 ok=true")
    assert ' level=warning event="odd request" logger=aiohttp.server' in second


def test_a_reconfiguration_replaces_the_handler_it_installed(stream: io.StringIO) -> None:
    log.configure("info", "json", stream=stream)
    log.configure("info", "json", stream=stream)
    logging.getLogger("asyncio").error("once")
    assert len(stream.getvalue().splitlines()) == 1


def record(exc: BaseException) -> logging.LogRecord:
    return logging.LogRecord(
        "exporter.http",
        logging.ERROR,
        __file__,
        1,
        "Error handling request from %s",
        ("127.0.0.1",),
        (type(exc), exc, None),
    )


@pytest.mark.parametrize("level", ["info", "debug"])
def test_a_client_hanging_up_is_a_disconnect_at_debug_not_an_error(
    stream: io.StringIO, level: str
) -> None:
    log.configure(level, "json", stream=stream)
    logger = log.http_error_logger()
    logger.handle(record(ConnectionResetError("Cannot write to closing transport")))
    logger.handle(record(ValueError("Bad header: Authorization: Basic c2VjcmV0")))
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    expected = [
        (
            "client disconnected before its answer was written (ConnectionResetError)",
            "debug",
        )
    ] * (level == "debug")
    expected.append(
        ("bad HTTP request refused (ValueError); details withheld: they may quote headers", "error")
    )
    assert [(e["event"], e["level"]) for e in events] == expected
    assert "c2VjcmV0" not in stream.getvalue()
