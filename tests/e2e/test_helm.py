"""The Helm chart, rendered by the real helm and validated against the Kubernetes schemas."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import trustme
import yaml

from exporter import settings_schema
from exporter.settings import load
from tests.binaries import need
from tests.promql import DASHBOARDS, RULES

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "huaweicloud-migration-exporter"
ALL_FEATURES = CHART / "ci" / "all-features-values.yaml"
MINIMAL = CHART / "ci" / "minimal-values.yaml"
K8S_VERSION = "1.30.0"
CORE_KINDS = {"ServiceAccount", "ConfigMap", "Secret", "Service", "Deployment", "StatefulSet"}


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([need("helm"), *args], capture_output=True, text=True, timeout=120)


def render(*values: str) -> list[dict[str, Any]]:
    args = ["template", "hwmig", str(CHART), "--namespace", "monitoring"]
    for value in values:
        args += ["-f", value] if value.endswith(".yaml") else ["--set", value]
    result = helm(*args)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] == kind]


@pytest.mark.parametrize(
    "values", [[str(MINIMAL)], [str(ALL_FEATURES)]], ids=["minimal", "all-features"]
)
def test_helm_lint_strict_passes(values: list[str]) -> None:
    args = ["lint", "--strict", str(CHART)]
    for value in values:
        args += ["-f", value]
    result = helm(*args)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "values", [[str(MINIMAL)], [str(ALL_FEATURES)]], ids=["minimal", "all-features"]
)
def test_core_manifests_validate_against_the_kubernetes_schemas(values: list[str]) -> None:
    docs = render(*values)
    kinds = {doc["kind"] for doc in docs}
    assert {"ServiceAccount", "ConfigMap", "Service"} <= kinds
    assert ("Deployment" in kinds) != ("StatefulSet" in kinds)
    for doc in docs:
        if doc["kind"] in CORE_KINDS:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def test_a_chart_without_an_account_fails_at_render_with_a_message() -> None:
    result = helm("template", "hwmig", str(CHART))
    assert result.returncode != 0
    assert "accounts: no Huawei Cloud account configured" in result.stderr


def test_the_default_install_is_a_hardened_deployment() -> None:
    (deployment,) = by_kind(render(str(MINIMAL)), "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["ports"][0]["name"] == "metrics"
    assert container["resources"]["limits"]["memory"]
    (service,) = by_kind(render(str(MINIMAL)), "Service")
    assert service["spec"]["ports"][0]["name"] == "metrics"


def test_sharding_runs_a_statefulset_whose_pods_take_their_ordinal_as_shard() -> None:
    docs = render(str(ALL_FEATURES))
    (statefulset,) = by_kind(docs, "StatefulSet")
    assert statefulset["spec"]["replicas"] == 3
    (container,) = statefulset["spec"]["template"]["spec"]["containers"]
    assert "--total-shards=3" in container["args"]
    env = container["env"][0]
    assert env["name"] == "HWMIG_SHARD"
    assert env["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    # The exporter reads a pod name such as hwmig-huaweicloud-migration-exporter-2 as shard 2.
    assert (
        load(overrides={"shard": f"{statefulset['metadata']['name']}-2", "total_shards": 3}).shard
        == 2
    )
    headless = [s for s in by_kind(docs, "Service") if s["spec"].get("clusterIP") == "None"]
    assert [s["metadata"]["name"] for s in headless] == [statefulset["spec"]["serviceName"]]


def test_the_rendered_config_is_one_the_exporter_accepts(tmp_path: Path) -> None:
    docs = render(str(ALL_FEATURES))
    config_map = next(d for d in by_kind(docs, "ConfigMap") if "config.yaml" in d["data"])
    text = config_map["data"]["config.yaml"]
    assert (
        "not-a-real-password" not in text and "fake-secret-key" not in text
    )  # secrets stay in Secrets
    # Put the mounted files (secrets, the private CA) where the config says they are.
    mounted = tmp_path / "etc-hwmig"
    for line in text.splitlines():
        if "_file:" in line:
            path = Path(line.split(":", 1)[1].strip())
            target = mounted / path.relative_to("/etc/hwmig")
            target.parent.mkdir(parents=True, exist_ok=True)
            if path.name == "ca.pem":
                trustme.CA().cert_pem.write_to_path(str(target))
            else:
                target.write_text("value-from-secret")
    config = tmp_path / "config.yaml"
    config.write_text(text.replace("/etc/hwmig", str(mounted)))
    settings = load(config)
    assert [a.name for a in settings.accounts] == ["prod-ap3", "dr_ap1", "lab.temp"]
    assert settings.accounts[1].credentials.kind == "password"
    assert settings.accounts[2].credentials.security_token is not None
    assert settings.accounts[0].oms.active and not settings.accounts[1].oms.active
    assert (settings.api.max_in_flight, settings.api.requests_per_second) == (4, 20)
    assert settings.poll_interval_seconds == 30 and not settings.collect.network_check
    assert settings.api.auth_backoff_seconds == 300  # not given: the exporter's own default
    assert settings.log.format == "json"
    assert settings.accounts[1].iam_endpoint == "https://iam.ap-southeast-1.myhuaweicloud.com"
    assert settings.accounts[1].sms.enterprise_project_id == "0"
    # Every file the config names is mounted from the account's Secret.
    (statefulset,) = by_kind(docs, "StatefulSet")
    mounts = {
        m["mountPath"]
        for m in statefulset["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    }
    assert {f"/etc/hwmig/credentials/{a.name}" for a in settings.accounts} <= mounts
    assert "/etc/hwmig/ca" in mounts  # extraVolumeMounts
    env = statefulset["spec"]["template"]["spec"]["containers"][0]["env"]
    assert [e["name"] for e in env] == ["HWMIG_SHARD", "HTTPS_PROXY", "NO_PROXY"]


def test_the_config_schema_is_the_settings_model_s() -> None:
    """Generated by `python -m exporter.settings_schema`: the chart spells no setting itself."""
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    assert settings_schema.render(settings_schema.rewrite(schema)) == settings_schema.render(
        schema
    ), "values.schema.json drifted: run python -m exporter.settings_schema " + str(
        settings_schema.CHART_SCHEMA
    )


def test_secrets_from_values_are_created_and_existing_ones_referenced() -> None:
    docs = render(str(ALL_FEATURES))
    secrets = {s["metadata"]["name"]: s for s in by_kind(docs, "Secret")}
    assert "hwmig-prod-ap3" not in secrets  # existingSecret: referenced, not created
    assert set(secrets["hwmig-huaweicloud-migration-exporter-dr-ap1"]["stringData"]) == {"password"}
    assert set(secrets["hwmig-huaweicloud-migration-exporter-lab.temp"]["stringData"]) == {
        "access_key",
        "secret_key",
        "security_token",
    }


def test_the_prometheus_rule_is_the_alerts_file_with_this_releases_job() -> None:
    (rule,) = by_kind(render(str(ALL_FEATURES)), "PrometheusRule")
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    shipped = RULES.read_text(encoding="utf-8")
    ours = 'job="hwmig-huaweicloud-migration-exporter"'
    assert rule["spec"] == yaml.safe_load(shipped.replace('job=~".*huaweicloud-migration.*"', ours))
    assert ours in json.dumps(rule["spec"]).replace('\\"', '"')
    (custom,) = by_kind(
        render(str(ALL_FEATURES), 'prometheusRule.jobSelector=job=~"hwmig-.*"'), "PrometheusRule"
    )
    down = next(
        r
        for g in custom["spec"]["groups"]
        for r in g["rules"]
        if r.get("alert", "").endswith("ExporterDown")
    )
    assert 'up{job=~"hwmig-.*"}' in down["expr"]


def test_the_dashboards_config_map_holds_the_dashboards_as_they_are() -> None:
    (config_map,) = [
        d
        for d in by_kind(render(str(ALL_FEATURES)), "ConfigMap")
        if d["metadata"]["name"].endswith("-dashboards")
    ]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert set(config_map["data"]) == {path.name for path in DASHBOARDS}
    for path in DASHBOARDS:
        assert json.loads(config_map["data"][path.name]) == json.loads(
            path.read_text(encoding="utf-8")
        )
        assert config_map["data"][path.name] == path.read_text(encoding="utf-8").rstrip("\n")


def test_the_service_monitor_scrapes_the_metrics_port() -> None:
    (monitor,) = by_kind(render(str(ALL_FEATURES)), "ServiceMonitor")
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "metrics" and endpoint["path"] == "/metrics"
    (service,) = [
        s
        for s in by_kind(render(str(ALL_FEATURES)), "Service")
        if s["spec"].get("clusterIP") != "None"
    ]
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )


@pytest.mark.parametrize(
    "bad",
    [
        "config.poll_interval_seconds=5",
        "config.sms_speed_unit=furlongs",
        "config.api.max_in_flght=4",
        "accounts[0].name=x,accounts[0].region=r,accounts[0].credentials.existingSecret=s,accounts[0].sms.enable=true",
        "extraVolumeMounts[0].name=x",
        "service.port=0",
        "surprise=1",
    ],
)
def test_the_values_schema_rejects_bad_values(bad: str) -> None:
    result = helm("template", "hwmig", str(CHART), "-f", str(MINIMAL), "--set", bad)
    assert result.returncode != 0
    assert "values don't meet the specifications of the schema" in result.stderr


def test_an_account_without_credentials_fails_with_a_clear_message() -> None:
    result = helm(
        "template",
        "hwmig",
        str(CHART),
        "--set",
        "accounts[0].name=x",
        "--set",
        "accounts[0].region=r",
        "--set",
        "accounts[0].credentials.type=aksk",
    )
    assert result.returncode != 0
    assert "give credentials.existingSecret or credentials.accessKey" in result.stderr


def test_the_chart_readme_documents_every_value() -> None:
    readme = (CHART / "README.md").read_text(encoding="utf-8")
    values = yaml.safe_load((CHART / "values.yaml").read_text(encoding="utf-8"))

    def keys(tree: dict[str, Any], prefix: str = "") -> list[str]:
        out = []
        for key, value in tree.items():
            path = f"{prefix}{key}"
            if (
                isinstance(value, dict)
                and value
                and key not in ("resources", "podSecurityContext", "securityContext")
            ):
                out += keys(value, path + ".")
            else:
                out.append(path)
        return out

    missing = [key for key in keys(values) if f"`{key}`" not in readme]
    assert not missing, missing
