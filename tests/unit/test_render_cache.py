"""Cost follows change: an unchanged item is not rendered again (its text is taken out of last
poll's members), an unchanged chunk keeps its gzip members, and the output is byte for byte
what rendering everything afresh gives."""

from __future__ import annotations

import asyncio
from typing import Any

from exporter.exposition.assembly import Assembly, Exposition
from exporter.exposition.deflate import inflate
from exporter.exposition.render import ItemRenderer, Rendered
from exporter.services.sms_tasks import SERVICE as SMS
from exporter.services.sms_tasks import table
from exporter.services.sms_tasks.table import SmsOptions
from tests.payloads import FULL_SMS, listed_sms, sms_page

OPTS = SmsOptions()


def tasks(count: int) -> list[dict[str, Any]]:
    return [{**FULL_SMS, "id": f"t{i}", "name": f"web-{i}"} for i in range(count)]


def renderer() -> ItemRenderer:
    return ItemRenderer(table.NAMES, SMS.mapper("x", OPTS), 128)


def whole(payload: list[dict[str, Any]]) -> dict[str, bytes]:
    """Each family's text of every item, mapped one by one by a mapper of its own (no
    renderer, no cache); families without lines left out."""
    mapper = SMS.mapper("x", OPTS)
    texts = [mapper(item.load())[0] for item in listed_sms(payload)]
    out = {name: "".join(t[i] for t in texts).encode() for i, name in enumerate(table.NAMES)}
    return {name: text for name, text in out.items() if text}


def poll(render: ItemRenderer, payload: list[dict[str, Any]]) -> list[Rendered]:
    """One page through the renderer; the caller commits what it keeps."""
    render.start()
    return render.page(listed_sms(payload))


def kept(render: ItemRenderer, payload: list[dict[str, Any]]) -> list[Rendered]:
    """One poll that succeeded: what it stores is what the next poll may reuse."""
    stored = [item.stored() for item in poll(render, payload)]
    render.commit(stored)
    return stored


def test_an_unchanged_item_is_not_rendered_again_and_a_changed_one_is() -> None:
    render = renderer()
    payload = tasks(3)
    first = kept(render, payload)
    assert render.rendered == 3
    assert all(item.pieces is None and item.digest for item in first)  # ends and digest only
    second = kept(render, payload)
    assert render.rendered == 0
    assert all(a is b for a, b in zip(first, second, strict=True))
    payload[1] = {**payload[1], "migrate_speed": 99}
    third = poll(render, payload)
    assert render.rendered == 1
    assert third[0] is first[0] and third[2] is first[2]
    assert third[1].pieces is not None


def test_pieces_are_byte_for_byte_each_item_mapped_on_its_own() -> None:
    payload = tasks(5)
    items = poll(renderer(), payload)
    expected = whole(payload)
    for index, name in enumerate(table.NAMES):
        text = b""
        for item in items:
            assert item.pieces is not None
            start, end = item.span(index)
            assert end - start == len(item.pieces[index])
            text += item.pieces[index]
        assert text == expected.get(name, b""), name


def failing_once() -> tuple[ItemRenderer, list[str]]:
    """A renderer whose mapping fails on its first call (a bug of ours), and the ids of the
    items it was called for."""
    calls: list[str] = []

    mapper = SMS.mapper("x", OPTS)

    def flaky(item: Any) -> Any:
        calls.append(item.key)
        if len(calls) == 1:
            raise ZeroDivisionError
        return mapper(item)

    return ItemRenderer(table.NAMES, flaky, 128), calls


def test_an_item_the_mapping_failed_on_is_not_kept_for_next_time() -> None:
    render, calls = failing_once()
    assert kept(render, tasks(1))[0].failed
    assert not kept(render, tasks(1))[0].failed
    assert calls == ["t0", "t0"]


def test_forget_drops_what_was_kept() -> None:
    render = renderer()
    kept(render, tasks(2))
    render.forget()
    kept(render, tasks(2))
    assert render.rendered == 2


PAGE = 200


def poll_source(
    render: ItemRenderer,
    payload: list[dict[str, Any]],
    previous: Exposition | None,
    assembly: Assembly | None = None,
) -> Exposition:
    """A poll through pages of PAGE items, each written as it comes, as the poller does; the
    listing keeps the first of each id, as paging does."""

    async def run() -> Exposition:
        render.start()
        nonlocal assembly
        assembly = assembly or Assembly(render, previous)
        listed: list[Rendered] = []
        for offset in range(0, len(payload), PAGE):
            listed += await assembly.page(offset, sms_page(payload[offset : offset + PAGE]))
        first: dict[str | None, Rendered] = {}
        for item in listed:
            first.setdefault(item.key, item)
        exposition = await assembly.finish(list(first.values()), {})
        render.commit(exposition.items)
        return exposition

    return asyncio.run(run())


def _plain(exposition: Exposition) -> dict[str, bytes]:
    """Each family's text; each chunk's two forms, its gzip piece and its LZ4 block (what a
    plain scrape and the next poll read), hold the same text."""
    for chunks in exposition.families.values():
        for chunk in chunks:
            assert chunk.text() == inflate(chunk.deflated) and len(chunk.text()) == chunk.length
    return {
        name: b"".join(inflate(chunk.deflated) for chunk in chunks)
        for name, chunks in exposition.families.items()
    }


def _afresh(payload: list[dict[str, Any]]) -> dict[str, bytes]:
    return _plain(poll_source(renderer(), payload, None))


def test_unchanged_pages_keep_their_parts_and_the_text_is_as_if_rendered_afresh() -> None:
    render = renderer()
    payload = tasks(PAGE * 2 + 10)  # three pages
    first = poll_source(render, payload, None)
    assert _plain(first) == whole(payload)
    same = poll_source(render, payload, first, assembly := Assembly(render, first))
    assert render.rendered == 0 and assembly.pages_kept == 3  # not even decoded: the same JSON
    assert all(new is old for new, old in zip(same.parts, first.parts, strict=True))
    payload[PAGE + 1] = {**payload[PAGE + 1], "migrate_speed": 7}  # on the second page
    changed = poll_source(render, payload, same, assembly := Assembly(render, same))
    assert render.rendered == 1 and assembly.pages_kept == 2
    assert changed.parts[0] is same.parts[0] and changed.parts[2] is same.parts[2]
    assert changed.parts[1] is not same.parts[1]
    # The second page was written again: 199 unchanged items' text out of the old chunks.
    assert _plain(changed) == _afresh(payload)
    assert b'task_id="t201",task_name="web-201"} 875000.0' in b"".join(_plain(changed).values())


def test_items_that_moved_find_their_text_where_they_were() -> None:
    """A task removed at the head shifts every other one into another page: the unchanged
    ones are still not rendered, and the text is still right."""
    render = renderer()
    payload = tasks(PAGE + 20)
    first = poll_source(render, payload, None)
    shifted = payload[3:]
    moved = poll_source(render, shifted, first)
    assert render.rendered == 0
    assert _plain(moved) == _afresh(shifted)


def test_an_item_listed_on_two_pages_is_exported_once() -> None:
    """The list moved between pages: the second sighting is written out of its page."""
    payload = tasks(PAGE + 20)
    listed_twice = [*payload[:PAGE], payload[PAGE - 1], *payload[PAGE:]]
    exposition = poll_source(renderer(), listed_twice, None)
    assert _plain(exposition) == _afresh(payload)
    assert len(exposition.items) == len(payload)


def test_pages_of_the_same_json_are_kept_wherever_they_come_now() -> None:
    """Pages are known by their JSON, not their offset: two pages that swapped places keep
    their parts, and the text follows the new order."""
    render = renderer()
    payload = tasks(PAGE * 2)
    first = poll_source(render, payload, None)
    swapped = payload[PAGE:] + payload[:PAGE]
    again = poll_source(render, swapped, first, assembly := Assembly(render, first))
    assert assembly.pages_kept == 2 and render.rendered == 0
    assert again.parts[0] is first.parts[1] and again.parts[1] is first.parts[0]
    assert _plain(again) == _afresh(swapped)


def test_a_page_not_exported_whole_is_not_kept_whole() -> None:
    """A part that lost an item in `finish` (listed twice) is not the page's JSON any more:
    the next poll of the same pages writes it again, out of the kept items' text, and the text
    stays right."""
    render = renderer()
    payload = tasks(PAGE + 20)
    listed_twice = [*payload[:PAGE], payload[PAGE - 1], *payload[PAGE:]]
    first = poll_source(render, listed_twice, None)
    again = poll_source(render, listed_twice, first, assembly := Assembly(render, first))
    assert assembly.pages_kept == 1 and render.rendered == 0  # the first page; not the second
    assert _plain(again) == _afresh(payload)


def test_a_page_with_an_item_the_mapping_failed_on_is_tried_again() -> None:
    render, calls = failing_once()
    payload = tasks(1)
    first = poll_source(render, payload, None)
    assert first.parts[0].items[0].failed
    again = poll_source(render, payload, first, assembly := Assembly(render, first))
    assert assembly.pages_kept == 0 and calls == ["t0", "t0"]
    assert _plain(again) == _afresh(payload)
