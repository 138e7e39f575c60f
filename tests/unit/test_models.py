"""The payload models accept everything the API documents, and whatever else it sends."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from exporter.huawei.payload import convert, decode, decoder, without_lone_surrogates
from exporter.services.oms_tasks.payload import OmsTask
from exporter.services.sms_tasks.payload import SmsTask
from tests.payloads import OmsTaskPage, SmsTaskPage

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.mark.parametrize(
    "name", ["sms-list-tasks.example.json", "sms-list-tasks-2025.example.json"]
)
def test_sms_reference_examples_parse(name: str) -> None:
    page = decoder(SmsTaskPage).decode((FIXTURES / name).read_bytes())
    assert page.count == 3
    assert page.tasks is not None
    first, _, third = page.tasks
    assert first is not None and third is not None
    assert first.state == "MIGRATE_SUCCESS"
    assert first.create_date == 1585139506000
    assert first.source_server is not None and first.source_server.state == "AVAILABLE"
    assert third.source_server is None
    assert third.speed_limit == 200


def test_oms_reference_example_parses() -> None:
    page = decoder(OmsTaskPage).decode((FIXTURES / "oms-list-tasks.example.json").read_bytes())
    assert page.count == 1
    assert page.tasks is not None
    task = page.tasks[0]
    assert task is not None
    assert task.key == "0"  # OMS ids are numbers; their key is text
    assert task.status == 0
    assert task.src_node is not None and task.src_node.cloud_type == "AWS"
    assert task.bandwidth_policy is not None and task.bandwidth_policy[0] is not None


@pytest.mark.parametrize("model", [SmsTask, OmsTask])
def test_every_field_may_be_null(model: type[SmsTask] | type[OmsTask]) -> None:
    task = convert(model, dict.fromkeys(model.__struct_fields__))
    assert all(getattr(task, name) is None for name in model.__struct_fields__)


@pytest.mark.parametrize("model", [SmsTask, OmsTask])
def test_every_field_may_be_missing(model: type[SmsTask] | type[OmsTask]) -> None:
    assert convert(model, {}).key is None


def test_nested_objects_may_be_null_or_hold_nulls() -> None:
    task = convert(
        SmsTask,
        {
            "id": "t",
            "sub_tasks": [None, {"id": None, "progress": None}],
            "source_server": {"state": None},
            "network_check_info": None,
            "special_config": [None],
        },
    )
    assert task.sub_tasks is not None and task.sub_tasks[0] is None
    assert task.network_check_info is None


def test_unknown_fields_states_and_status_codes_are_accepted() -> None:
    sms = convert(SmsTask, {"id": "t", "state": "TELEPORTING", "brand_new_field": {"x": 1}})
    oms = convert(OmsTask, {"id": 7, "status": 9, "obs_system": "huawei", "enable_kms": True})
    assert sms.state == "TELEPORTING"
    assert oms.status == 9


def test_numbers_sent_as_strings_and_text_sent_as_numbers_are_accepted() -> None:
    raw = {
        "id": 12,
        "name": 404,
        "migrate_speed": "12.5",
        "create_date": "1585139506000",
        "priority": 1,
        "syncing": "true",
        "sub_tasks": [{"id": 5, "progress": "40"}],
    }
    sms = decoder(SmsTask).decode(json.dumps(raw).encode())
    assert sms.key == "12"
    assert sms.name == 404
    assert sms.migrate_speed == 12.5
    assert sms.create_date == 1585139506000
    assert sms.syncing is True
    assert sms.sub_tasks is not None and sms.sub_tasks[0] is not None
    assert sms.sub_tasks[0].progress == 40
    oms = decoder(OmsTask).decode(b'{"id": "42", "status": "4", "total_size": "1024"}')
    assert oms.key == "42" and oms.status == 4 and oms.total_size == 1024


def test_oms_error_reason_may_be_an_empty_string() -> None:
    assert convert(OmsTask, {"error_reason": ""}).error_reason == ""


@pytest.mark.parametrize(
    "body",
    [
        b'{"count": "many", "tasks": {"id": 1}}',
        b'{"count": 3, "tasks": [{"id": ',
        b"<html>maintenance</html>",
        b'{"tasks": [{"migrate_speed": NaN}]}',
        b'{"tasks": [{"migrate_speed": 1e400}]}',
    ],
)
def test_a_page_of_the_wrong_shape_or_broken_json_is_rejected(body: bytes) -> None:
    with pytest.raises(msgspec.DecodeError):
        decoder(SmsTaskPage).decode(body)


@pytest.mark.parametrize(
    ("body", "repaired"),
    [
        (rb'"\ud800"', rb'"\ufffd"'),  # a lone high surrogate
        (rb'"\uDC00x"', rb'"\ufffdx"'),  # a lone low one, in upper case
        (rb'"\ud800\ud800\udc00"', rb'"\ufffd\ud800\udc00"'),  # a high one before a pair
        (rb'"\ud83d\ude00"', rb'"\ud83d\ude00"'),  # a pair: an emoji, kept
        (rb'"\\ud800"', rb'"\\ud800"'),  # a backslash, then text: kept
        (rb'"\\\ud800"', rb'"\\\ufffd"'),  # a backslash, then a lone surrogate
        (rb'"\n\"\u0041"', rb'"\n\"\u0041"'),  # other escapes: kept
    ],
)
def test_lone_surrogate_escapes_are_replaced_and_nothing_else(body: bytes, repaired: bytes) -> None:
    assert without_lone_surrogates(body) == repaired
    assert isinstance(msgspec.json.decode(repaired), str)


def test_a_page_refused_only_for_a_lone_surrogate_is_decoded_repaired() -> None:
    body = b'{"count": 1, "tasks": [{"id": "t", "name": "web\\ud800"}]}'
    with pytest.raises(msgspec.DecodeError):
        decoder(SmsTaskPage).decode(body)
    page = decode(SmsTaskPage, body)
    assert page.tasks is not None and page.tasks[0] is not None
    assert page.tasks[0].name == "web\ufffd"
    with pytest.raises(msgspec.DecodeError):  # broken otherwise: still refused
        decode(SmsTaskPage, body[:-2])
