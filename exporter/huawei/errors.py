"""Every error the Huawei clients raise, and nothing else; the one place the poll-failure
vocabulary is written. `REASONS` is derived from these classes, and from it the help of
`huaweicloud_migration_poll_errors_total`, its zeros, and the lists the README and the
runbook show (a test holds them to it).

    ApiError                      reason=...      (the `reason` label of poll_errors_total)
    ├── AuthError                 auth            401, bad signature or token, backed-off account
    ├── ForbiddenError            forbidden       403
    ├── ThrottledError            throttled       429
    ├── ServerError               server          5xx
    ├── ApiTimeoutError           timeout         connect or total timeout, poll deadline
    ├── NetworkError              network         connection refused or reset, DNS
    ├── BadResponseError          bad_response    malformed JSON, HTML page, wrong shape
    └── InternalError             internal        a bug of the exporter's own, not the API

The message carries the HTTP status, the API's `error_code` and the `X-Request-Id`, never a
credential: errors are built from response fields only, and nothing here sees a secret.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

MAX_FIELD = 128  # what an API-supplied error code or request id may take of a log line


def clip(value: str | None) -> str | None:
    """An API-supplied field made safe for a log line or the status page: printable, bounded
    like a label value (a 1 MB `error_code` would otherwise be a 1 MB log line)."""
    if value is None:
        return None
    if len(value) > MAX_FIELD:
        value = value[: MAX_FIELD - 1] + "…"
    return value if value.isprintable() else "".join(c if c.isprintable() else "?" for c in value)


class ApiError(Exception):
    reason = "unknown"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.message = message
        self.status = status
        self.error_code = clip(error_code)
        self.request_id = clip(request_id)
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.error_code:
            parts.append(f"error_code={self.error_code}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def answer(self, at: float) -> str:
        """What the API answered, for a support ticket: status, error code, request id, when."""
        when = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        parts = [
            f"HTTP {self.status}" if self.status else "",
            self.error_code or "",
            f"request {self.request_id}" if self.request_id else "",
            f"at {when}",
        ]
        return " ".join(part for part in parts if part)


class AuthError(ApiError):
    reason = "auth"


class ForbiddenError(ApiError):
    reason = "forbidden"


class ThrottledError(ApiError):
    reason = "throttled"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, status=status, error_code=error_code, request_id=request_id)


class ServerError(ApiError):
    reason = "server"


class ApiTimeoutError(ApiError):
    reason = "timeout"


class NetworkError(ApiError):
    reason = "network"


class BadResponseError(ApiError):
    reason = "bad_response"


class InternalError(ApiError):
    """Not raised by the clients: what the poll loop reports an unexpected exception as."""

    reason = "internal"


REASONS: tuple[str, ...] = tuple(kind.reason for kind in ApiError.__subclasses__())


def for_status(
    status: int,
    message: str,
    *,
    error_code: str | None = None,
    request_id: str | None = None,
    retry_after: float | None = None,
) -> ApiError:
    """The error for a non-success HTTP status: 401, 403, 429, 5xx, or any other answer."""
    kw: dict[str, Any] = {"status": status, "error_code": error_code, "request_id": request_id}
    if status == 401:
        return AuthError(message, **kw)
    if status == 403:
        return ForbiddenError(message, **kw)
    if status == 429:
        return ThrottledError(message, retry_after=retry_after, **kw)
    if status >= 500:
        return ServerError(message, **kw)
    return BadResponseError(message, **kw)
