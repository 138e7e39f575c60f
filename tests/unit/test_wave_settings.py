"""The waves of the configuration (DESIGN.md section 12): which tasks a wave holds, its
cutover deadline, and the errors a bad wave gets, each naming its key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from exporter.settings import ConfigError, Settings, Wave, load


def wave(**fields: Any) -> Wave:
    return Wave.model_validate({"name": "erp", **fields})


def test_waves_default_to_every_project_and_group_and_none_defined() -> None:
    waves = Settings.model_validate({}).waves
    assert waves.from_migration_projects and waves.from_task_groups
    assert waves.defined == [] and waves.cutover_ready_max_sync_age_seconds == 3600


def test_a_wave_without_match_keys_holds_every_task() -> None:
    assert wave().matches(account="prod", task_name="anything")


def test_every_key_given_must_match_its_whole_value() -> None:
    erp = wave(match={"account": "prod-.*", "task_name": "erp-.*"})
    assert erp.matches(account="prod-ap3", task_name="erp-db-01")
    assert not erp.matches(account="dr-ap1", task_name="erp-db-01")  # account differs
    assert not erp.matches(account="prod-ap3", task_name="crm-erp-01")  # not the whole name
    assert not erp.matches(account="prod-ap3", task_name="erp")  # `erp-.*` needs the dash


def test_a_migration_project_or_task_group_key_matches_only_tasks_that_have_one() -> None:
    sms = wave(match={"migration_project": "erp-(db|app)"})
    assert sms.matches(account="a", task_name="t", migration_project="erp-db")
    assert not sms.matches(account="a", task_name="t", migration_project="erp-web")
    assert not sms.matches(account="a", task_name="t", task_group="erp-db")  # an OMS task
    oms = wave(match={"task_group": "grp-1"})
    assert oms.matches(account="a", task_name="t", task_group="grp-1")
    assert not oms.matches(account="a", task_name="t", task_group="grp-10")
    assert not oms.matches(account="a", task_name="t", migration_project="grp-1")


@pytest.mark.parametrize(
    ("cutover", "timestamp"),
    [
        ("2027-01-15T22:00:00+08:00", 1800021600.0),
        ("2027-01-15T14:00:00Z", 1800021600.0),
        ("2027-01-15t14:00:00z", 1800021600.0),
        ("2027-01-15 14:00:00.5+00:00", 1800021600.5),
        ("2027-01-15T09:00:00-05:00", 1800021600.0),
    ],
)
def test_a_cutover_is_an_rfc3339_time_in_unix_seconds(cutover: str, timestamp: float) -> None:
    assert wave(cutover=cutover).cutover_timestamp == timestamp


def test_a_wave_without_cutover_has_no_deadline() -> None:
    assert wave().cutover_timestamp is None


def test_an_unquoted_yaml_timestamp_is_taken_as_the_same_deadline(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "waves:\n  defined:\n    - name: erp\n      cutover: 2027-01-15T22:00:00+08:00\n"
    )
    (erp,) = load(path).waves.defined
    assert erp.cutover_timestamp == 1800021600.0


def test_waves_dump_and_load_back_the_same(tmp_path: Path) -> None:
    data = {
        "waves": {
            "from_task_groups": False,
            "defined": [{"name": "erp", "cutover": "2027-01-15T22:00:00+08:00"}],
        }
    }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    first = load(path)
    path.write_text(yaml.safe_dump(first.model_dump(mode="json", include={"waves"})))
    assert load(path).waves == first.waves


@pytest.mark.parametrize(
    ("defined", "key", "why"),
    [
        (
            [{"name": "erp", "match": {"task_name": "erp-("}}],
            "waves.defined.0.match.task_name",
            "not a regular expression",
        ),
        (
            [{"name": "erp", "match": {"account": "["}}],
            "waves.defined.0.match.account",
            "not a regular expression",
        ),
        (
            [{"name": "erp", "match": {"migration_project": "*"}}],
            "waves.defined.0.match.migration_project",
            "not a regular expression",
        ),
        (
            [{"name": "erp", "match": {"task_group": "(?P<"}}],
            "waves.defined.0.match.task_group",
            "not a regular expression",
        ),
        ([{"name": "erp", "match": {"server": "x"}}], "waves.defined.0.match.server", "Extra"),
        (
            [{"name": "erp", "cutover": "2027-01-15T22:00:00"}],
            "waves.defined.0.cutover",
            "RFC 3339",
        ),
        ([{"name": "erp", "cutover": "2027-01-15"}], "waves.defined.0.cutover", "RFC 3339"),
        ([{"name": "erp", "cutover": "Saturday 22:00"}], "waves.defined.0.cutover", "RFC 3339"),
        (
            [{"name": "erp", "cutover": "20270115T220000+0800"}],
            "waves.defined.0.cutover",
            "RFC 3339",
        ),
        ([{"name": "erp", "cutover": "2027-02-30T22:00:00Z"}], "waves.defined.0.cutover", "day"),
        ([{"name": "erp wave"}], "waves.defined.0.name", "letters, digits"),
        ([{"name": "erp"}, {"name": "erp"}], "waves.defined", "erp given twice"),
        ([{"cutover": "2027-01-15T22:00:00Z"}], "waves.defined.0.name", "Field required"),
    ],
)
def test_a_bad_wave_names_its_key(
    tmp_path: Path, defined: list[dict[str, Any]], key: str, why: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"waves": {"defined": defined}}))
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert f"{key}: " in str(caught.value) and why in str(caught.value)


def test_an_unquoted_yaml_time_without_offset_names_its_key(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("waves:\n  defined:\n    - name: erp\n      cutover: 2027-01-15T22:00:00\n")
    with pytest.raises(ConfigError, match=r"waves\.defined\.0\.cutover: .*UTC offset"):
        load(path)


def test_the_sync_age_must_be_positive(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"waves": {"cutover_ready_max_sync_age_seconds": 0}}))
    with pytest.raises(ConfigError, match=r"waves\.cutover_ready_max_sync_age_seconds: "):
        load(path)
