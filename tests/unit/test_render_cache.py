"""Cost follows change: an unchanged item reuses its text, an unchanged chunk its gzip member,
and the output is byte for byte what rendering everything afresh gives."""

from __future__ import annotations

import asyncio
import gzip
from functools import partial
from typing import Any

from exporter.exposition import CHUNK_ITEMS, Exposition, assemble
from exporter.metrics.lines import encode
from exporter.render import ItemRenderer, Rendered
from exporter.services.sms_tasks import mapping
from exporter.services.sms_tasks.mapping import SmsOptions
from tests.payloads import FULL_SMS, listed_sms

OPTS = SmsOptions()


def tasks(count: int) -> list[dict[str, Any]]:
    return [{**FULL_SMS, "id": f"t{i}", "name": f"web-{i}"} for i in range(count)]


def renderer() -> ItemRenderer:
    return ItemRenderer(mapping.NAMES, partial(mapping.task_lines, "x", opts=OPTS), 128)


def poll(render: ItemRenderer, payload: list[dict[str, Any]]) -> list[Rendered]:
    render.start()
    items = render.page(listed_sms(payload))
    render.commit(items)
    return items


def test_an_unchanged_item_reuses_its_rendering_and_a_changed_one_is_rendered_again() -> None:
    render = renderer()
    payload = tasks(3)
    first = poll(render, payload)
    assert render.rendered == 3
    second = poll(render, payload)
    assert render.rendered == 0
    assert all(a is b for a, b in zip(first, second, strict=True))
    payload[1] = {**payload[1], "migrate_speed": 99}
    third = poll(render, payload)
    assert render.rendered == 1
    assert third[0] is first[0] and third[2] is first[2] and third[1] is not first[1]


def test_pieces_are_byte_for_byte_the_mapping_of_the_whole_list() -> None:
    payload = tasks(5)
    items = poll(renderer(), payload)
    whole = mapping.task_lines("x", [item.load() for item in listed_sms(payload)], OPTS)
    for index, name in enumerate(mapping.NAMES):
        assert b"".join(item.pieces[index] for item in items) == encode(whole[name]), name


def test_an_item_the_mapping_failed_on_is_not_kept_for_next_time() -> None:
    calls: list[str] = []

    def flaky(items: Any) -> Any:
        calls.append(items[0].key)
        if len(calls) == 1:
            raise ZeroDivisionError
        return mapping.task_lines("x", items, OPTS)

    render = ItemRenderer(mapping.NAMES, flaky, 128)
    assert poll(render, tasks(1))[0].failed
    assert not poll(render, tasks(1))[0].failed
    assert calls == ["t0", "t0"]


def test_forget_drops_what_was_kept() -> None:
    render = renderer()
    poll(render, tasks(2))
    render.forget()
    poll(render, tasks(2))
    assert render.rendered == 2


def _assemble(items: list[Rendered], previous: Exposition | None) -> Exposition:
    return asyncio.run(assemble(items, mapping.NAMES, {}, previous))


def _plain(exposition: Exposition) -> bytes:
    return b"".join(b"".join(c.pieces) for chunks in exposition.values() for c in chunks)


def _gunzip(exposition: Exposition) -> bytes:
    return gzip.decompress(b"".join(c.gz for chunks in exposition.values() for c in chunks))


def test_unchanged_chunks_keep_their_gzip_members_and_changed_ones_get_new() -> None:
    render = renderer()
    payload = tasks(CHUNK_ITEMS * 2 + 10)  # three chunks
    first = _assemble(poll(render, payload), None)
    assert _gunzip(first) == _plain(first)
    same = _assemble(poll(render, payload), first)
    assert all(
        new is old for name in first for new, old in zip(same[name], first[name], strict=True)
    )
    payload[CHUNK_ITEMS + 1] = {**payload[CHUNK_ITEMS + 1], "migrate_speed": 7}  # chunk 1
    changed = _assemble(poll(render, payload), same)
    speed = "huaweicloud_sms_task_migrate_speed_bytes_per_second"
    assert changed[speed][0] is same[speed][0] and changed[speed][2] is same[speed][2]
    assert changed[speed][1] is not same[speed][1]
    assert all(  # families the change did not touch keep every member
        new is old
        for name in first
        if name != speed
        for new, old in zip(changed[name], same[name], strict=True)
    )
    assert _gunzip(changed) == _plain(changed)
    assert b'task_id="t257",task_name="web-257"} 875000.0' in _plain(changed)
