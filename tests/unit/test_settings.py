"""Configuration: YAML < environment < flags, secrets from files, one clear error per problem."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from exporter.cli import effective_config, overrides, parse_args
from exporter.settings import ConfigError, config_warnings, load

SECRET = "SK-SETTINGS-SECRET-77aa"


def write(tmp_path: Path, data: object, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def account(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "name": "prod",
        "region": "ap-southeast-3",
        "credentials": {"access_key": "AK", "secret_key": SECRET},
    }
    base.update(changes)
    return base


def test_defaults_follow_the_design(tmp_path: Path) -> None:
    settings = load(write(tmp_path, {"accounts": [account()]}))
    assert settings.poll_interval_seconds == 60
    assert settings.stale_after == 180
    assert settings.sms_speed_unit == "mbit" and settings.speed_factor == 125_000
    assert settings.max_tasks_per_source == 10_000
    assert settings.label_value_max_length == 128
    assert (
        settings.web.listen_address == "0.0.0.0:9897" and settings.web.telemetry_path == "/metrics"
    )
    assert settings.accounts[0].sms_endpoint == "https://sms.ap-southeast-3.myhuaweicloud.com"
    assert settings.accounts[0].iam_url == "https://iam.myhuaweicloud.com"
    assert not settings.accounts[0].oms.active


def test_stale_after_defaults_to_three_poll_intervals(tmp_path: Path) -> None:
    assert load(write(tmp_path, {"poll_interval_seconds": 20})).stale_after == 60


def test_environment_beats_yaml_and_flags_beat_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, {"poll_interval_seconds": 30, "web": {"listen_address": "127.0.0.1:1"}})
    monkeypatch.setenv("HWMIG_POLL_INTERVAL_SECONDS", "45")
    monkeypatch.setenv("HWMIG_WEB__LISTEN_ADDRESS", "127.0.0.1:2")
    settings = load(path, overrides(parse_args(["--web.listen-address", "127.0.0.1:3"])))
    assert settings.poll_interval_seconds == 45
    assert settings.web.listen_address == "127.0.0.1:3"


def test_every_flag_lands_in_its_setting(tmp_path: Path) -> None:
    flags = [
        *("--web.listen-address", "127.0.0.1:4", "--web.telemetry-path", "/m"),
        *("--web.config.file", str(tmp_path / "web.yml"), "--log.level", "debug"),
        *("--log.format", "json", "--shard", "1", "--total-shards", "3"),
        *("--metric-denylist", "huaweicloud_sms_subtask_.*, huaweicloud_oms_task_info"),
        "--web.enable-lifecycle",
    ]
    settings = load(write(tmp_path, {}), overrides(parse_args(flags)))
    assert (settings.web.listen_address, settings.web.telemetry_path) == ("127.0.0.1:4", "/m")
    assert settings.web.config_file == tmp_path / "web.yml"
    assert (settings.log.level, settings.log.format) == ("debug", "json")
    assert (settings.shard, settings.total_shards) == (1, 3)
    assert settings.metrics.denylist == ["huaweicloud_sms_subtask_.*", "huaweicloud_oms_task_info"]
    assert settings.web.enable_lifecycle
    allow = load(overrides=overrides(parse_args(["--metric-allowlist", "huaweicloud_sms_task_.*"])))
    assert allow.metrics.allowlist == ["huaweicloud_sms_task_.*"]


def test_allow_and_deny_lists_match_whole_names_and_spare_the_exporters_own() -> None:
    deny = load(
        overrides={"metrics": {"denylist": ["huaweicloud_sms_subtask_.*", "huaweicloud_.*_info"]}}
    )
    assert not deny.metrics.keeps("huaweicloud_sms_subtask_progress_ratio")
    assert not deny.metrics.keeps("huaweicloud_oms_task_info")
    assert deny.metrics.keeps("huaweicloud_sms_task_state")
    assert deny.metrics.keeps("huaweicloud_migration_exporter_build_info")  # always
    allow = load(overrides={"metrics": {"allowlist": ["huaweicloud_sms_task"]}})
    assert not allow.metrics.keeps("huaweicloud_sms_task_state")  # whole names only
    assert allow.metrics.keeps("huaweicloud_migration_up")


@pytest.mark.parametrize(
    ("metrics", "message"),
    [
        ({"allowlist": ["a"], "denylist": ["b"]}, "metrics: give allowlist or denylist, not both"),
        (
            {"denylist": ["ok", "(unclosed"]},
            "metrics.denylist: entry 1 is not a regular expression",
        ),
    ],
)
def test_bad_metric_lists_are_config_errors(metrics: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load(overrides={"metrics": metrics})


def test_secrets_can_come_from_files(tmp_path: Path) -> None:
    (tmp_path / "sk").write_text(SECRET + "\n")
    creds = {"access_key": "AK", "secret_key_file": str(tmp_path / "sk")}
    settings = load(write(tmp_path, {"accounts": [account(credentials=creds)]}))
    secret_key = settings.accounts[0].credentials.secret_key
    assert secret_key is not None and secret_key.get_secret_value() == SECRET


def test_an_unreadable_secret_file_names_the_key(tmp_path: Path) -> None:
    creds = {"access_key": "AK", "secret_key_file": str(tmp_path / "missing")}
    with pytest.raises(
        ConfigError, match=r"accounts\.0\.credentials: secret_key_file: cannot read"
    ):
        load(write(tmp_path, {"accounts": [account(credentials=creds)]}))


def test_the_environment_shortcut_makes_one_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HWMIG_ACCESS_KEY", "AK")
    monkeypatch.setenv("HWMIG_SECRET_KEY", SECRET)
    monkeypatch.setenv("HWMIG_REGION", "cn-north-4")
    monkeypatch.setenv("HWMIG_PROJECT_ID", "p1")
    (acct,) = load().accounts
    assert acct.name == "default" and acct.region == "cn-north-4"
    assert acct.oms.active and acct.oms.project_id == "p1"


def test_huaweis_sample_variable_names_are_a_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUD_SDK_AK", "AK")
    monkeypatch.setenv("CLOUD_SDK_SK", SECRET)
    monkeypatch.setenv("HWMIG_REGION", "cn-north-4")
    (acct,) = load().accounts
    assert acct.credentials.secret_key is not None
    assert acct.credentials.secret_key.get_secret_value() == SECRET
    assert not acct.oms.active


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"poll_interval_seconds": 5}, "poll_interval_seconds"),
        ({"sms_speed_unit": "furlongs"}, "sms_speed_unit"),
        ({"accounts": [account(credentials={"access_key": "AK"})]}, "accounts.0.credentials"),
        (
            {
                "accounts": [
                    account(
                        credentials={
                            "access_key": "AK",
                            "secret_key": SECRET,
                            "username": "u",
                            "password": SECRET,
                            "domain_name": "d",
                        }
                    )
                ]
            },
            "accounts.0.credentials",
        ),
        (
            {"accounts": [account(credentials={"provider": "oidc_sts"})]},
            "accounts.0.credentials",
        ),
        (
            {"accounts": [account(credentials={"provider": "chain", "secret_key": SECRET})]},
            "accounts.0.credentials",
        ),
        ({"accounts": [account(oms={"enabled": True})]}, "accounts.0.oms"),
        ({"accounts": [account(name="has space")]}, "accounts.0.name"),
        ({"accounts": [account(), account()]}, "accounts"),
        (
            {
                "accounts": [
                    account(credentials={"access_key": "AK", "secret_key": SECRET, "sk": SECRET})
                ]
            },
            "accounts.0.credentials.sk",
        ),
        ({"web": {"listen_address": "nonsense"}}, "web.listen_address"),
        ({"surprise": SECRET}, "surprise"),
        ({"accounts": [account(sms={"endpoint": "ftp://x"})]}, "accounts.0"),
    ],
)
def test_bad_configurations_name_the_key_and_never_the_secret(
    tmp_path: Path, data: object, key: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, data))
    message = str(caught.value)
    assert key in message
    assert SECRET not in message


def test_a_file_that_is_not_yaml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("accounts: [\n  - name: x\n   bad")
    with pytest.raises(ConfigError, match="not valid YAML at line"):
        load(path)


def test_a_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"--config\.file"):
        load(tmp_path / "nope.yaml")


def test_the_effective_config_masks_every_secret(tmp_path: Path) -> None:
    creds = {"username": "u", "password": SECRET, "domain_name": "d"}
    settings = load(
        write(tmp_path, {"accounts": [account(), account(name="dr", credentials=creds)]})
    )
    text = effective_config(settings)
    assert SECRET not in text
    assert text.count("**********") >= 3
    assert yaml.safe_load(text)["accounts"][1]["credentials"]["username"] == "u"


@pytest.mark.parametrize(("value", "shard"), [("2", 2), ("hwmig-exporter-3", 3), (1, 1)])
def test_the_shard_can_be_a_number_or_a_statefulset_pod_name(
    monkeypatch: pytest.MonkeyPatch, value: object, shard: int
) -> None:
    monkeypatch.setenv("HWMIG_SHARD", str(value))
    assert load(overrides={"total_shards": 4}).shard == shard


def test_a_shard_outside_the_total_is_rejected() -> None:
    with pytest.raises(ConfigError, match="shard must be less than total_shards"):
        load(overrides={"shard": 4, "total_shards": 4})


def test_a_pod_name_without_ordinal_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HWMIG_SHARD", "exporter")
    with pytest.raises(ConfigError, match="shard"):
        load(overrides={"total_shards": 2})


@pytest.mark.parametrize(
    "region",
    [
        "ap-southeast-3",
        "cn-north-4",
        "la-south-2",
        "af-south-1",
        "eu-west-101",
        "me-east-1",
        "tr-west-1",
        "ru-moscow-1",
        "sa-brazil-1",
        "na-mexico-1",
        "my-kualalumpur-1",
        "cn-southwest-2",
    ],
)
def test_every_huawei_region_form_passes_without_a_warning(tmp_path: Path, region: str) -> None:
    assert config_warnings(load(write(tmp_path, {"accounts": [account(region=region)]}))) == []


@pytest.mark.parametrize("region", ["apsoutheast3", "ap-southeast", "AP-SOUTHEAST-3", "eu_west_1"])
def test_a_region_of_no_huawei_form_is_warned_of(tmp_path: Path, region: str) -> None:
    (warning,) = config_warnings(load(write(tmp_path, {"accounts": [account(region=region)]})))
    assert warning[0] == "accounts.0.region"


@pytest.mark.parametrize(
    ("endpoint", "warned"),
    [
        ("http://sms.example.com", True),
        ("http://10.0.0.7:8080", True),
        ("https://sms.example.com", False),
        ("http://127.0.0.1:9000", False),
        ("http://127.8.9.10", False),
        ("http://[::1]:9000", False),
        ("http://localhost:9000", False),
        ("http://api.localhost", False),
    ],
)
def test_plain_http_is_warned_of_unless_it_stays_on_the_machine(
    tmp_path: Path, endpoint: str, warned: bool
) -> None:
    config = {"accounts": [account(iam_endpoint=endpoint, sms={"endpoint": endpoint})]}
    found = config_warnings(load(write(tmp_path, config)))
    expected = ["accounts.0.iam_endpoint", "accounts.0.sms.endpoint"] if warned else []
    assert [key for key, _ in found] == expected


def test_prometheus_log_spellings_are_accepted_from_flags_file_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flagged = load(
        overrides=overrides(parse_args(["--log.level", "warn", "--log.format", "logfmt"]))
    )
    assert (flagged.log.level, flagged.log.format) == ("warn", "logfmt")
    filed = load(write(tmp_path, {"log": {"level": "warn", "format": "logfmt"}}))
    assert (filed.log.level, filed.log.format) == ("warn", "logfmt")
    monkeypatch.setenv("HWMIG_LOG__LEVEL", "warning")  # the old spelling stays
    monkeypatch.setenv("HWMIG_LOG__FORMAT", "console")
    environed = load()
    assert (environed.log.level, environed.log.format) == ("warning", "console")
    for flag, value in (("--log.level", "verbose"), ("--log.format", "xml")):
        with pytest.raises(SystemExit):
            parse_args([flag, value])
