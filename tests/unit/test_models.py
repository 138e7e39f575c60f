"""The payload models accept everything the API documents, and whatever else it sends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exporter.huawei.models import OmsTask, OmsTaskPage, SmsTask, SmsTaskPage

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.mark.parametrize(
    "name", ["sms-list-tasks.example.json", "sms-list-tasks-2025.example.json"]
)
def test_sms_reference_examples_parse(name: str) -> None:
    page = SmsTaskPage.model_validate_json((FIXTURES / name).read_bytes())
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
    page = OmsTaskPage.model_validate_json((FIXTURES / "oms-list-tasks.example.json").read_bytes())
    assert page.count == 1
    assert page.tasks is not None
    task = page.tasks[0]
    assert task is not None
    assert task.id == "0"  # OMS ids are numbers; they are kept as text
    assert task.status == 0
    assert task.src_node is not None and task.src_node.cloud_type == "AWS"
    assert task.bandwidth_policy is not None and task.bandwidth_policy[0] is not None


def _all_null(model: type[SmsTask] | type[OmsTask]) -> dict[str, None]:
    return {name: None for name in model.model_fields}


@pytest.mark.parametrize("model", [SmsTask, OmsTask])
def test_every_field_may_be_null(model: type[SmsTask] | type[OmsTask]) -> None:
    task = model.model_validate(_all_null(model))
    assert all(getattr(task, name) is None for name in model.model_fields)


@pytest.mark.parametrize("model", [SmsTask, OmsTask])
def test_every_field_may_be_missing(model: type[SmsTask] | type[OmsTask]) -> None:
    assert model.model_validate({}).id is None


def test_nested_objects_may_be_null_or_hold_nulls() -> None:
    task = SmsTask.model_validate(
        {
            "id": "t",
            "sub_tasks": [None, {"id": None, "progress": None}],
            "source_server": {"state": None},
            "network_check_info": None,
            "special_config": [None],
        }
    )
    assert task.sub_tasks is not None and task.sub_tasks[0] is None
    assert task.network_check_info is None


def test_unknown_fields_states_and_status_codes_are_accepted() -> None:
    sms = SmsTask.model_validate({"id": "t", "state": "TELEPORTING", "brand_new_field": {"x": 1}})
    oms = OmsTask.model_validate({"id": 7, "status": 9, "obs_system": "huawei", "enable_kms": True})
    assert sms.state == "TELEPORTING"
    assert oms.status == 9


def test_numbers_sent_as_strings_are_accepted() -> None:
    sms = SmsTask.model_validate(
        {
            "id": 12,
            "migrate_speed": "12.5",
            "create_date": "1585139506000",
            "priority": 1,
            "sub_tasks": [{"id": 5, "progress": "40"}],
        }
    )
    assert sms.id == "12"
    assert sms.migrate_speed == 12.5
    assert sms.create_date == 1585139506000
    assert sms.priority == "1"
    assert sms.sub_tasks is not None and sms.sub_tasks[0] is not None
    assert sms.sub_tasks[0].progress == 40
    oms = OmsTask.model_validate({"id": "42", "status": "4", "total_size": "1024"})
    assert oms.status == 4 and oms.total_size == 1024


def test_oms_error_reason_may_be_an_empty_string() -> None:
    assert OmsTask.model_validate({"error_reason": ""}).error_reason == ""


def test_a_page_with_wrong_shape_is_rejected() -> None:
    with pytest.raises(ValueError):
        SmsTaskPage.model_validate_json(json.dumps({"count": "many", "tasks": {"id": 1}}))
