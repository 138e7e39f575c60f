"""The exposition: valid for promtool and prometheus_client in both formats, escaped, grouped."""

from __future__ import annotations

import gzip
import os
import subprocess
import zlib

import pytest

from exporter.catalog import FAMILIES
from exporter.exposition import deflate, packing
from exporter.exposition.assembly import HEADERS, of_block
from exporter.exposition.snapshot import WRITE_SIZE, Snapshot
from exporter.metrics.lines import escape, format_value, render_families
from exporter.settings import Wave, Waves
from exporter.telemetry import Telemetry
from exporter.waves.membership import Lists, Task, join
from exporter.waves.readiness import SmsTask, readiness
from exporter.waves.stage import KEY as WAVES
from tests.binaries import need
from tests.mapped import GROUPS, OMS, OVERVIEW, PROJECTS, SMS, SOURCES, SYNC, mapped
from tests.parsing import parse_openmetrics, parse_text
from tests.payloads import (
    FULL_GROUP,
    FULL_OMS,
    FULL_OVERVIEW,
    FULL_PROJECT,
    FULL_SMS,
    FULL_SOURCE,
    FULL_SYNC,
    GROUP_OPTS,
    OMS_OPTS,
    OVERVIEW_OPTS,
    PROJECT_OPTS,
    SMS_OPTS,
    SOURCE_OPTS,
    SYNC_OPTS,
)

NASTY = 'quote " backslash \\ newline \n tab \t 中文 名前 😀'


def _exposition(openmetrics: bool) -> str:
    snapshot = Snapshot()
    _fill(snapshot)
    return snapshot.body(openmetrics=openmetrics).decode()


def _fill(snapshot: Snapshot) -> None:
    """Two accounts of every service, with hostile names, and the exporter's own families."""
    telemetry = Telemetry()
    for account in ("prod", "dr"):
        sms = [
            FULL_SMS,
            {**FULL_SMS, "id": "t2", "name": NASTY, "state": "WEIRD"},
        ]
        oms = [
            FULL_OMS,
            {"id": 7, "name": NASTY, "status": 9},
        ]
        snapshot.replace(
            (account, "sms"), of_block(render_families(mapped(SMS, sms, SMS_OPTS, account)))
        )
        snapshot.replace(
            (account, "oms"), of_block(render_families(mapped(OMS, oms, OMS_OPTS, account)))
        )
        servers = [
            FULL_SOURCE,
            {**FULL_SOURCE, "id": "s2", "name": NASTY, "migration_cycle": "x"},
        ]
        snapshot.replace(
            (account, "sms_sources"),
            of_block(render_families(mapped(SOURCES, servers, SOURCE_OPTS, account))),
        )
        projects = [FULL_PROJECT, {**FULL_PROJECT, "id": "mp-2", "name": NASTY}]
        snapshot.replace(
            (account, "sms_projects"),
            of_block(render_families(mapped(PROJECTS, projects, PROJECT_OPTS, account))),
        )
        groups = [FULL_GROUP, {**FULL_GROUP, "group_id": NASTY, "status": 42}]
        snapshot.replace(
            (account, "oms_groups"),
            of_block(render_families(mapped(GROUPS, groups, GROUP_OPTS, account))),
        )
        syncs = [FULL_SYNC, {**FULL_SYNC, "sync_task_id": NASTY, "status": "STOPPED"}]
        snapshot.replace(
            (account, "oms_sync"),
            of_block(render_families(mapped(SYNC, syncs, SYNC_OPTS, account))),
        )
        snapshot.replace(
            (account, "sms_overview"),
            of_block(render_families(mapped(OVERVIEW, [FULL_OVERVIEW], OVERVIEW_OPTS, account))),
        )
        for service in (
            "sms",
            "oms",
            "sms_sources",
            "sms_projects",
            "sms_overview",
            "oms_groups",
            "oms_sync",
        ):
            status = telemetry.source(account, service)
            status.up = True
            status.last_success = 1_700_000_000.0
            status.poll_duration = 0.5
            status.changes["RUNNING"] += 2
            telemetry.request(account, service, code="200", seconds=0.12)
            telemetry.request(account, service, code="503", seconds=7.0)
    waves = Waves(defined=[Wave(name="erp", cutover="2027-01-15T22:00:00+08:00")])
    lists = Lists(sms=[Task("t2", NASTY, "mp-1")], projects={"mp-1": NASTY})
    lines, _ = join(waves, {"prod": lists, "dr": lists}, limit=128)
    task = SmsTask("t2", NASTY, "MIGRATE_FAIL", "s2", 1_699_999_000.0)
    lines |= readiness({"prod": ([task], {})}, now=1_700_000_000.0, max_age=3600, limit=128)
    snapshot.replace(WAVES, of_block(render_families(lines)))
    telemetry.reload_ok, telemetry.config_loaded_at = True, 1_700_000_000.0
    snapshot.set_own(telemetry.render())


def test_label_values_are_escaped() -> None:
    assert escape('a"b\\c\nd') == 'a\\"b\\\\c\\nd'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1, "1"),
        (0.25, "0.25"),
        (1.5e9, "1500000000.0"),
        (float("nan"), "NaN"),
        (float("inf"), "+Inf"),
        (float("-inf"), "-Inf"),
    ],
)
def test_values_use_the_spellings_both_formats_accept(value: float, text: str) -> None:
    assert format_value(value) == text


def test_the_text_format_parses_back_with_every_family() -> None:
    text = _exposition(openmetrics=False)
    families = {f.name: f for f in parse_text(text)}
    for fam in FAMILIES:
        if fam.service == "process":  # read at scrape time by the server, not in the snapshot
            continue
        parsed_name = fam.name.removesuffix("_total") if fam.type == "counter" else fam.name
        assert parsed_name in families, fam.name
    names = [s.labels.get("task_name") for s in families["huaweicloud_sms_task_info"].samples]
    assert NASTY in names  # quotes, backslashes, newlines and CJK survive the round trip


def test_openmetrics_parses_back_and_ends_with_eof() -> None:
    text = _exposition(openmetrics=True)
    assert text.endswith("# EOF\n")
    families = {f.name: f for f in parse_openmetrics(text)}
    assert families["huaweicloud_migration_api_requests"].type == "counter"
    assert families["huaweicloud_migration_api_request_duration_seconds"].type == "histogram"
    names = [s.labels.get("task_name") for s in families["huaweicloud_oms_task_info"].samples]
    assert NASTY in names


def test_each_family_is_contiguous_across_accounts() -> None:
    text = _exposition(openmetrics=False)
    headers = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")]
    assert len(headers) == len(set(headers))
    current = None
    finished: set[str] = set()
    for line in text.splitlines():
        if line.startswith("# TYPE"):
            if current:
                finished.add(current)
            current = line.split()[2]
        elif not line.startswith("#"):
            assert not any(
                line.startswith(done + "{") or line.startswith(done + " ") for done in finished
            )


def test_promtool_accepts_the_exposition() -> None:
    """promtool reads the text format; OpenMetrics is checked by the parser test above."""
    promtool = need("promtool")
    text = _exposition(openmetrics=False)
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "" and result.stderr.strip() == ""  # no lint findings either


def one_member(data: bytes) -> bytes:
    """The text of `data`, which must be exactly one gzip member: a reader that stops after the
    first member (as Chromium, curl and Python's zlib do) must see the whole body."""
    reader = zlib.decompressobj(31)
    text = reader.decompress(data)
    assert reader.eof and reader.unused_data == b"" and reader.unconsumed_tail == b""
    return text


def test_gzip_bodies_are_one_member_holding_the_plain_body() -> None:
    """One gzip member (a header, a piece per chunk and header, a trailer with the combined
    CRC-32), read back whole as the plain body, with or without extra text at the end."""
    snapshot = Snapshot()
    _fill(snapshot)
    for openmetrics in (False, True):
        body = snapshot.prepared(openmetrics=openmetrics, gzip=True)
        data = b"".join(body.pieces())
        assert len(data) == body.length + len(body.closing())
        assert one_member(data) == snapshot.body(openmetrics=openmetrics)
        extra = b"process_open_fds 7.0\n" * 5000  # more than one stored block
        whole = b"".join(map(body.joined, body.writes)) + body.closing(extra)
        plain = snapshot.prepared(openmetrics=openmetrics, gzip=False)
        expected = b"".join(map(plain.joined, plain.writes)) + plain.closing(extra)
        assert one_member(whole) == expected == gzip.decompress(whole)


def test_the_prepared_bodies_are_kept_until_a_swap() -> None:
    snapshot = Snapshot()
    first = snapshot.prepared(openmetrics=False, gzip=True)
    assert snapshot.prepared(openmetrics=False, gzip=True) is first
    telemetry = Telemetry()
    telemetry.source("a", "sms").up = True
    snapshot.set_own(telemetry.render())
    second = snapshot.prepared(openmetrics=False, gzip=True)
    assert second is not first
    assert one_member(b"".join(second.pieces())) == snapshot.body(openmetrics=False)


def test_pieces_made_by_isa_l_combine_in_any_order_into_one_member() -> None:
    """The fast compressor is the one in use; its pieces, compressed apart, make one member in
    either order, with the CRC-32 combined from theirs; nothing compresses to nothing."""
    assert deflate.IMPLEMENTATION == "isal.isal_zlib"
    first, second = b"a 1\n" * 1000, NASTY.encode() * 100
    for a, b in ((first, second), (second, first)):
        crc = deflate.combine(deflate.crc32(a), deflate.crc32(b), len(b))
        assert crc == zlib.crc32(a + b)
        data = deflate.HEADER + deflate.piece(a) + deflate.piece(b) + deflate.ending()
        assert one_member(data + deflate.trailer(crc, len(a + b))) == a + b
    assert deflate.inflate(deflate.piece(second)) == second
    assert deflate.piece(b"") == b"" and deflate.inflate(b"") == b""
    assert gzip.decompress(deflate.member(first)) == first


def test_held_text_unpacks_to_what_was_packed() -> None:
    """The LZ4 blocks a plain scrape unpacks: any bytes, empty included, come back whole; a
    block read with a shorter length than it holds is an error, not cut text."""
    for text in (b"", b"a 1\n" * 1000, NASTY.encode() * 100, bytes(range(256)) * 50):
        assert packing.unpack(packing.pack(text), len(text)) == text
    with pytest.raises(Exception, match="Decompression failed"):
        packing.unpack(packing.pack(b"a 1\n" * 1000), 3999)


def test_a_body_is_written_in_writes_of_about_a_megabyte() -> None:
    """A scrape writes the body a megabyte or so at a time, each write whole chunks: every
    write but the last reaches WRITE_SIZE and holds no more than it needs to, and the writes
    together are the body, plain and gzip."""
    snapshot = Snapshot()
    for account in range(60):
        tasks = [{**FULL_SMS, "id": f"t{n}", "name": os.urandom(24).hex()} for n in range(40)]
        key = (f"account-{account}", "sms")
        snapshot.replace(key, of_block(render_families(mapped(SMS, tasks, SMS_OPTS, key[0]))))
    plain = snapshot.body(openmetrics=False)
    for gzipped in (False, True):
        body = snapshot.prepared(openmetrics=False, gzip=gzipped)
        writes = [body.joined(parts) for parts in body.writes]
        assert len(writes) >= 2
        for data, parts in zip(writes[:-1], body.writes[:-1], strict=True):
            last = parts[-1]
            last_size = len(last) if isinstance(last, bytes) else last.length
            assert WRITE_SIZE <= len(data) < WRITE_SIZE + last_size
        assert len(b"".join(writes)) == body.length
        whole = b"".join(writes) + body.closing()
        assert (one_member(whole) if gzipped else whole) == plain


def test_the_snapshot_says_what_it_holds() -> None:
    """The text stands for the plain body without its headers; it is held only as gzip
    members and LZ4 blocks, each smaller than it."""
    snapshot = Snapshot()
    _fill(snapshot)
    held = snapshot.held_bytes()
    plain = snapshot.body(openmetrics=False)
    headers = sum(len(text) for name, text in HEADERS[False].items() if text in plain)
    assert held["text"] == len(plain) - headers
    assert 0 < held["gzip"] < held["text"] and 0 < held["lz4"] < held["text"]
