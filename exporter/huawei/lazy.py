"""Turning a raw page into lazily decoded tasks: ids and states now, the rest when mapped."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import msgspec

from exporter.huawei.errors import BadResponseError
from exporter.huawei.models import RawPage, decoder

R = TypeVar("R", bound=msgspec.Struct)
L = TypeVar("L")


def lazy_tasks(page: RawPage, ref: type[R], wrap: Callable[[R, msgspec.Raw], L]) -> list[L]:
    """Each non-null task of `page` as `wrap(ref, raw)`; a task that is not an object fails."""
    refs = decoder(ref | None)  # type: ignore[arg-type]  # a union is a valid msgspec type
    out = []
    for raw in page.tasks or ():
        try:
            found = refs.decode(raw)
        except msgspec.DecodeError as exc:
            raise BadResponseError(f"unexpected task in page: {str(exc)[:200]}") from None
        if found is not None:
            out.append(wrap(found, raw))
    return out
