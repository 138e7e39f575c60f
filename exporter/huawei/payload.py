"""Decoding what the list APIs send: lenient msgspec models, and items decoded in two steps.

Every field is optional and may be `null`; unknown fields are ignored; numbers sent as strings
are accepted (`strict=False`); text fields also accept numbers, which `text()` makes text.
A payload of the wrong shape raises `msgspec.ValidationError` (or `DecodeError` for broken
JSON, `RecursionError` for nesting too deep): `UNREADABLE`, which the clients turn into
`BadResponseError`.

A page is decoded into raw item slices (`ListedPage`); then, unless the page is the same JSON
as at the last poll, per item a small `ref` (its id and what counting needs); the whole item is
decoded only when it is mapped (`Listed.load`), a batch at a time, so 10,000 decoded tasks
never exist at once.

msgspec rather than pydantic: decoding 10,000 SMS tasks takes 0.09 s instead of 1.2 s. The
configuration, parsed once, stays with pydantic-settings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar

import msgspec

Text = str | int | float | None  # a text field; numbers become text in the mapping
Number = float | None  # JSON numbers, or numbers sent as strings

UNREADABLE = (msgspec.DecodeError, RecursionError)  # what decoding hostile JSON may raise

S = TypeVar("S", bound=msgspec.Struct)
R = TypeVar("R", bound="Ref")
M = TypeVar("M", bound=msgspec.Struct)


class Model(msgspec.Struct, kw_only=True, gc=False):
    """gc=False: payloads hold no cycles, so the cyclic GC need not track 100,000 objects."""


def text(value: Text) -> str | None:
    """A text field as text: `12` -> `"12"`, `None` stays `None`."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class ApiErrorBody(Model):
    error_code: Text = None
    error_msg: Text = None


class RawPage(Protocol):
    """A page as first decoded: the total, and the items as raw JSON slices."""

    count: int | None
    items: list[msgspec.Raw] | None


class Ref(Protocol):
    """What is decoded of every item at once: at least its id."""

    @property
    def key(self) -> str | None: ...  # the id as text


class Listed(Generic[R, M]):
    """An item as listed: its `ref` now, the whole `model` decoded by `load()`."""

    __slots__ = ("_model", "_raw", "ref")

    def __init__(self, ref: R, raw: msgspec.Raw, model: type[M]) -> None:
        self.ref, self._raw, self._model = ref, raw, model

    @property
    def key(self) -> str | None:
        return self.ref.key

    @property
    def raw(self) -> msgspec.Raw:
        """The item's JSON text as the API sent it."""
        return self._raw

    def load(self) -> M:
        return decoder(self._model).decode(self._raw)


class ListedPage(Generic[R, M]):
    """A page's items as the API sent them: their JSON, listed (decoded) only when asked. A
    page whose JSON is the same as one of the last poll's is never decoded again."""

    __slots__ = ("_model", "_ref", "raws")

    def __init__(self, raws: Sequence[msgspec.Raw], ref: type[R], model: type[M]) -> None:
        self.raws, self._ref, self._model = raws, ref, model

    def listed(self) -> list[Listed[R, M]]:
        return listed(self.raws, self._ref, self._model)


def listed(raws: Sequence[msgspec.Raw], ref: type[R], model: type[M]) -> list[Listed[R, M]]:
    """Each non-null item of a page, listed. An item whose id or state cannot be read (not an
    object, a field of the wrong type) is listed without an id: counted as not exported,
    rather than failing the page and with it every readable item."""
    refs = _ref_decoder(ref)
    out = []
    for raw in raws:
        try:
            found = refs.decode(raw)
        except UNREADABLE:
            found = ref()
        if found is not None:
            out.append(Listed(found, raw, model))
    return out


_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}


def decoder(model: type[S]) -> msgspec.json.Decoder[S]:
    """A lenient JSON decoder for `model` (numbers sent as strings are accepted), made once."""
    found = _DECODERS.get(model)
    if found is None:
        found = _DECODERS[model] = msgspec.json.Decoder(model, strict=False)
    typed: msgspec.json.Decoder[S] = found
    return typed


def decode(model: type[S], body: bytes | bytearray) -> S:
    """`body` decoded as `model`; a body refused only for a lone surrogate is repaired first.

    JSON allows `"\\ud800"`, Unicode does not, and msgspec refuses the whole page for it: one
    task's name would sink every task of the page. Such an escape becomes U+FFFD, as a
    lenient UTF-16 decoder would; the rest of the body is as sent. Only a body that failed
    is searched: a valid page costs nothing more.
    """
    try:
        return decoder(model).decode(body)
    except msgspec.DecodeError:
        repaired = without_lone_surrogates(body)
        if repaired == body:
            raise
        return decoder(model).decode(repaired)


# An escape: a surrogate pair (kept), a lone surrogate (replaced), or any other escape (kept,
# and consumed whole, so that `\\ud800`, a backslash and text, is never read as one).
_ESCAPE = re.compile(
    rb"\\(?:u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    rb"|u[dD][89a-fA-F][0-9a-fA-F]{2}|.)",
    re.DOTALL,
)
_LONE = len(rb"\ud800")


def without_lone_surrogates(body: bytes | bytearray) -> bytes:
    """Each lone UTF-16 surrogate escape of a JSON text as `\\ufffd`.

    >>> without_lone_surrogates(rb'["\\ud800", "\\ud83d\\ude00", "\\\\ud800"]')
    b'["\\\\ufffd", "\\\\ud83d\\\\ude00", "\\\\\\\\ud800"]'
    """
    return _ESCAPE.sub(_repaired, body)


def _repaired(escape: re.Match[bytes]) -> bytes:
    found = escape.group()
    return rb"\ufffd" if len(found) == _LONE else found


NULL = msgspec.Raw(b"null")  # a raw field's default: absent, or let go after reading


def lenient(raw: msgspec.Raw, kind: Any) -> Any:
    """`raw` (a field kept undecoded) as `kind`, or None where it cannot be: for what a ref
    carries beyond its id and state, so a bad value there leaves the item its id."""
    if raw is NULL or raw == NULL:
        return None
    try:
        return _ref_decoder(kind).decode(raw)
    except UNREADABLE:
        return None


def _ref_decoder(ref: type[R]) -> msgspec.json.Decoder[R | None]:
    key = (ref, None)
    found = _DECODERS.get(key)
    if found is None:
        found = _DECODERS[key] = msgspec.json.Decoder(ref | None, strict=False)
    typed: msgspec.json.Decoder[R | None] = found
    return typed


def convert(model: type[S], data: Any) -> S:
    """Build `model` from already-decoded data (tests, tooling), as leniently as decoding."""
    return msgspec.convert(data, model, strict=False)
