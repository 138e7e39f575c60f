"""The only logging configuration: structlog, JSON when stderr is not a terminal.

A last line of defence redacts any field whose name says it holds a secret; the code never
logs secrets in the first place (errors carry status, error_code and request id only).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

SECRET_FIELDS = frozenset(
    {"secret_key", "password", "security_token", "token", "authorization", "x-auth-token", "sk"}
)
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in event:
        if key.lower() in SECRET_FIELDS:
            event[key] = "**********"
    return event


def configure(level: str = "info", fmt: str = "auto", stream: TextIO | None = None) -> None:
    stream = stream or sys.stderr
    json_output = fmt == "json" or (fmt == "auto" and not stream.isatty())
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(colors=stream.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    # aiohttp and asyncio log through the standard library: warnings and worse only.
    logging.basicConfig(
        stream=stream, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )


class _WithholdDetails(logging.Filter):
    """aiohttp logs a bad request with the parser's message, which quotes the offending
    header: it may be someone's `Authorization`. Keep the event, drop the quote."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        record.msg = "bad HTTP request refused (%s); details withheld: they may quote headers"
        record.args = (type(exc).__name__ if exc else "unknown",)
        record.exc_info = None
        record.exc_text = None
        return True


def http_error_logger() -> logging.Logger:
    """The logger the HTTP server reports request errors to."""
    logger = logging.getLogger("exporter.http")
    if not any(isinstance(f, _WithholdDetails) for f in logger.filters):
        logger.addFilter(_WithholdDetails())
    return logger
