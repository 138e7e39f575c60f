"""The only logging configuration: structlog, JSON when stderr is not a terminal.

`--log.format` takes Prometheus' spellings, `logfmt` and `json`, and `console` (colours on a
terminal) and `auto` (console on a terminal, JSON otherwise); `--log.level` takes `debug`,
`info`, `warn` (or `warning`) and `error`. The standard library's records (aiohttp, asyncio,
Python's warnings) go through the same processors and renderer as ours: under `json` every
line is JSON, redaction included.

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
    "warn": logging.WARNING,  # Prometheus' spelling
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
FORMATS = ("auto", "logfmt", "json", "console")
_HANDLER = "huaweicloud-migration-exporter"  # the name of our root handler, replaced on reload


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in event:
        if key.lower() in SECRET_FIELDS:
            event[key] = "**********"
    return event


def renderer(fmt: str, stream: TextIO) -> structlog.types.Processor:
    """The last processor for `fmt`: one line of text per event."""
    if fmt == "json" or (fmt == "auto" and not stream.isatty()):
        return structlog.processors.JSONRenderer()
    if fmt == "logfmt":
        return structlog.processors.LogfmtRenderer(
            key_order=["timestamp", "level", "event"], drop_missing=True, bool_as_flag=False
        )
    return structlog.dev.ConsoleRenderer(colors=stream.isatty())


def configure(level: str = "info", fmt: str = "auto", stream: TextIO | None = None) -> None:
    """Configure structlog and the standard library's root handler alike; called again on
    every reload (the handler this installed before is replaced, others are left alone)."""
    stream = stream or sys.stderr
    threshold = LEVELS[level]
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]
    last = renderer(fmt, stream)
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, last],
        wrapper_class=structlog.make_filtering_bound_logger(threshold),
        # One write per line, as the standard library's handler does: lines do not interleave.
        logger_factory=structlog.WriteLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.set_name(_HANDLER)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                last,
            ],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER]:
        root.removeHandler(old)
    root.addHandler(handler)
    # aiohttp and asyncio: warnings and worse only; our own stdlib logger (exporter.http) as
    # configured, so that a client's disconnect shows at debug.
    root.setLevel(logging.WARNING)
    logging.getLogger("exporter").setLevel(threshold)
    logging.captureWarnings(True)  # Python's warnings as log records, not bare stderr text


class _WithholdDetails(logging.Filter):
    """aiohttp logs a bad request with the parser's message, which quotes the offending
    header: it may be someone's `Authorization`. Keep the event, drop the quote.

    A client that hung up before its answer was written (Prometheus' scrape timeout, a curl
    closed early) reaches aiohttp as an error of the handler (ConnectionResetError, aiohttp's
    ClientConnectionResetError): it is the client's business, logged at debug."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__()
        self._logger = logger

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        record.exc_info = None
        record.exc_text = None
        if isinstance(exc, ConnectionError):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            record.msg = "client disconnected before its answer was written (%s)"
            record.args = (type(exc).__name__,)
            return self._logger.isEnabledFor(logging.DEBUG)
        record.msg = "bad HTTP request refused (%s); details withheld: they may quote headers"
        record.args = (type(exc).__name__ if exc else "unknown",)
        return True


def http_error_logger() -> logging.Logger:
    """The logger the HTTP server reports request errors to."""
    logger = logging.getLogger("exporter.http")
    if not any(isinstance(f, _WithholdDetails) for f in logger.filters):
        logger.addFilter(_WithholdDetails(logger))
    return logger
