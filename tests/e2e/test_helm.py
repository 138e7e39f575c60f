"""The Helm chart, rendered by the real helm and validated against the Kubernetes schemas."""

from __future__ import annotations

import base64
import json
import ssl
import subprocess
import typing
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import trustme
import yaml

from exporter.devtools import rules, settings_schema
from exporter.settings import load
from exporter.web.web_config import (
    ClientAuth,
    TlsServerConfig,
    TlsVersion,
    WebConfigFile,
    load_web_config,
)
from tests.binaries import need
from tests.e2e.harness import exporter, wait_for
from tests.promql import DASHBOARDS, RULES

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "huaweicloud-migration-exporter"
ALL_FEATURES = CHART / "ci" / "all-features-values.yaml"
MINIMAL = CHART / "ci" / "minimal-values.yaml"
WEB_CONFIG_SECRET = CHART / "ci" / "web-config-secret-values.yaml"
# Every values file helm lint --strict and the schema validation run with (chart-testing's ci/).
CI_VALUES = sorted(CHART.glob("ci/*.yaml"))
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


@pytest.mark.parametrize("values", [[str(v)] for v in CI_VALUES], ids=[v.stem for v in CI_VALUES])
def test_helm_lint_strict_passes(values: list[str]) -> None:
    args = ["lint", "--strict", str(CHART)]
    for value in values:
        args += ["-f", value]
    result = helm(*args)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("values", [[str(v)] for v in CI_VALUES], ids=[v.stem for v in CI_VALUES])
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
    """Generated by `python -m exporter.devtools.settings_schema`: the chart spells no setting itself."""
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    assert settings_schema.render(settings_schema.rewrite(schema)) == settings_schema.render(
        schema
    ), "values.schema.json drifted: run python -m exporter.devtools.settings_schema " + str(
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


def test_the_prometheus_rule_carries_the_generators_links_for_the_base_urls() -> None:
    runbook, grafana = "https://wiki.example.com/hwmig/runbook.md", "https://grafana.example.com"
    (rule,) = by_kind(
        render(
            str(ALL_FEATURES),
            f"prometheusRule.runbookBaseUrl={runbook}",
            f"prometheusRule.dashboardBaseUrl={grafana}/",
        ),
        "PrometheusRule",
    )
    generated = rules.generate(RULES.read_text(encoding="utf-8"), runbook, grafana)
    ours = 'job="hwmig-huaweicloud-migration-exporter"'
    assert rule["spec"] == yaml.safe_load(
        generated.replace('job=~".*huaweicloud-migration.*"', ours)
    )
    assert "dashboard_url" in json.dumps(rule["spec"])


def test_a_base_url_that_is_no_plain_url_fails_the_install() -> None:
    result = helm(
        "template",
        "hwmig",
        str(CHART),
        "-f",
        str(ALL_FEATURES),
        "--set",
        "prometheusRule.runbookBaseUrl=wiki/runbook.md",
    )
    assert result.returncode != 0 and "runbookBaseUrl" in result.stderr


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


def matches(selector: dict[str, str], labels: dict[str, str] | None) -> bool:
    """A Kubernetes equality selector (matchLabels, or a Service's selector) over labels."""
    return selector.items() <= (labels or {}).items()


def scrape_targets(docs: list[dict[str, Any]]) -> dict[str, int]:
    """What the Prometheus Operator makes of the ServiceMonitor: for each Service it selects,
    one target per pod behind it and per endpoint of the monitor whose port the Service has."""
    (monitor,) = by_kind(docs, "ServiceMonitor")
    assert "namespaceSelector" not in monitor["spec"]  # its own namespace: the release's
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert set(monitor["spec"]["selector"]) == {"matchLabels"}
    workloads = by_kind(docs, "Deployment") + by_kind(docs, "StatefulSet")
    targets = {}
    for service in by_kind(docs, "Service"):
        if not matches(selector, service["metadata"]["labels"]):
            continue
        ports = {port["name"] for port in service["spec"]["ports"]}
        endpoints = [e for e in monitor["spec"]["endpoints"] if e["port"] in ports]
        pods = sum(
            w["spec"]["replicas"]
            for w in workloads
            if matches(service["spec"]["selector"], w["spec"]["template"]["metadata"]["labels"])
        )
        targets[service["metadata"]["name"]] = pods * len(endpoints)
    return targets


def pod_count(docs: list[dict[str, Any]]) -> int:
    workloads = by_kind(docs, "Deployment") + by_kind(docs, "StatefulSet")
    return sum(int(w["spec"]["replicas"]) for w in workloads)


MONITORED = "serviceMonitor.enabled=true"
MODES = {
    "default": [str(MINIMAL), MONITORED],
    "replicas": [str(MINIMAL), MONITORED, "replicaCount=3"],
    "sharded": [str(MINIMAL), MONITORED, "sharding.enabled=true", "sharding.totalShards=4"],
    **{v.stem: [str(v), MONITORED] for v in CI_VALUES},
}


@pytest.mark.parametrize("values", MODES.values(), ids=MODES.keys())
def test_the_service_monitor_scrapes_each_pod_once(values: list[str]) -> None:
    """One Service matches the monitor, sharded or not: the headless Service of sharded mode
    lists the same pods, and selecting it too scraped every shard twice."""
    docs = render(*values)
    targets = scrape_targets(docs)
    assert list(targets) == ["hwmig-huaweicloud-migration-exporter"], targets
    assert sum(targets.values()) == pod_count(docs) > 0
    # The job the operator names after that Service is the one the PrometheusRule expects.
    rule_job = 'job="hwmig-huaweicloud-migration-exporter"'
    for rule in by_kind(render(*values, "prometheusRule.enabled=true"), "PrometheusRule"):
        assert rule_job in json.dumps(rule["spec"]).replace('\\"', '"')


def test_an_annotation_based_scrape_finds_each_pod_once(tmp_path: Path) -> None:
    """service.annotations (prometheus.io/scrape) go on the scraped Service only."""
    values = tmp_path / "annotated.yaml"
    values.write_text(
        yaml.safe_dump({"service": {"annotations": {"prometheus.io/scrape": "true"}}})
    )
    docs = render(str(ALL_FEATURES), str(values))
    annotated = [
        s["metadata"]["name"]
        for s in by_kind(docs, "Service")
        if s["metadata"].get("annotations", {}).get("prometheus.io/scrape") == "true"
    ]
    assert annotated == ["hwmig-huaweicloud-migration-exporter"]
    assert len(by_kind(docs, "Service")) == 2  # and the headless one, which names the shards


def test_the_service_monitor_scrapes_the_metrics_port() -> None:
    (monitor,) = by_kind(render(str(ALL_FEATURES)), "ServiceMonitor")
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["port"] == "metrics" and endpoint["path"] == "/metrics"
    (moved,) = by_kind(
        render(str(ALL_FEATURES), "config.web.telemetry_path=/probe/metrics"), "ServiceMonitor"
    )
    assert moved["spec"]["endpoints"][0]["path"] == "/probe/metrics"


def container_of(docs: list[dict[str, Any]]) -> dict[str, Any]:
    (workload,) = by_kind(docs, "Deployment") + by_kind(docs, "StatefulSet")
    (container,) = workload["spec"]["template"]["spec"]["containers"]
    return dict(container)


def volumes_of(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    (workload,) = by_kind(docs, "Deployment") + by_kind(docs, "StatefulSet")
    return {v["name"]: v for v in workload["spec"]["template"]["spec"]["volumes"]}


def test_without_a_web_config_the_exporter_serves_plain_http_without_auth() -> None:
    docs = render(str(MINIMAL), MONITORED)
    container = container_of(docs)
    assert not any(a.startswith("--web.config.file") for a in container["args"])
    assert {"web-config", "web-tls"}.isdisjoint(volumes_of(docs))
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"].get("scheme", "HTTP") == "HTTP"
    (endpoint,) = by_kind(docs, "ServiceMonitor")[0]["spec"]["endpoints"]
    assert {"scheme", "tlsConfig", "basicAuth"}.isdisjoint(endpoint)
    assert not [s for s in by_kind(docs, "Secret") if s["metadata"]["name"].endswith("-web-config")]


def test_an_inline_web_config_is_a_secret_mounted_and_passed_that_the_exporter_loads(
    tmp_path: Path,
) -> None:
    docs = render(str(ALL_FEATURES))
    container = container_of(docs)
    assert "--web.config.file=/etc/hwmig/web/web-config.yml" in container["args"]
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["web-config"] == {
        "name": "web-config",
        "mountPath": "/etc/hwmig/web",
        "readOnly": True,
    }  # no subPath: a changed Secret reaches the file, which the exporter reloads
    assert mounts["web-tls"]["mountPath"] == "/etc/hwmig/tls" and mounts["web-tls"]["readOnly"]
    volumes = volumes_of(docs)
    assert volumes["web-tls"]["secret"]["secretName"] == "hwmig-tls"
    (secret,) = [
        s
        for s in by_kind(docs, "Secret")
        if s["metadata"]["name"] == volumes["web-config"]["secret"]["secretName"]
    ]
    text = secret["stringData"]["web-config.yml"]
    given = yaml.safe_load(ALL_FEATURES.read_text(encoding="utf-8"))["webConfig"]["content"]
    assert yaml.safe_load(text) == given
    # The exporter takes it, with the TLS Secret's files where the pod has them.
    ca = trustme.CA()
    tls = tmp_path / "tls"
    tls.mkdir()
    cert = ca.issue_cert("hwmig-huaweicloud-migration-exporter.monitoring.svc")
    cert.cert_chain_pems[0].write_to_path(str(tls / "tls.crt"))
    cert.private_key_pem.write_to_path(str(tls / "tls.key"))
    web_config = tmp_path / "web-config.yml"
    web_config.write_text(text.replace("/etc/hwmig/tls", str(tls)))
    loaded = load_web_config(web_config)
    assert loaded.tls is not None and loaded.tls.min_version == "TLS13"
    assert loaded.ssl_context() is not None
    assert set(loaded.config.basic_auth_users or {}) == {"prometheus"}


def test_the_chart_s_web_config_serves_tls_and_basic_auth_but_not_to_the_liveness_probe(
    tmp_path: Path,
) -> None:
    """The real exporter, started with the rendered flag and web config (its paths moved under
    tmp_path), asked as the kubelet asks: HTTPS, no certificate check, no credentials."""
    docs = render(str(ALL_FEATURES))
    container = container_of(docs)
    (flag,) = [a for a in container["args"] if a.startswith("--web.config.file=")]
    mounted = tmp_path / "etc-hwmig"
    secret = next(s for s in by_kind(docs, "Secret") if "web-config.yml" in s["stringData"])
    tls = mounted / "tls"
    tls.mkdir(parents=True)
    cert = trustme.CA().issue_cert("127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(str(tls / "tls.crt"))
    cert.private_key_pem.write_to_path(str(tls / "tls.key"))
    web_config = mounted / Path(flag.split("=", 1)[1]).relative_to("/etc/hwmig")
    web_config.parent.mkdir(parents=True)
    web_config.write_text(
        secret["stringData"]["web-config.yml"].replace("/etc/hwmig", str(mounted))
    )
    kubelet = ssl.create_default_context()
    kubelet.check_hostname = False
    kubelet.verify_mode = ssl.CERT_NONE  # the kubelet checks no probe's certificate

    def get(url: str, headers: dict[str, str] | None = None) -> int:
        request = urllib.request.Request(url, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=5, context=kubelet) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    probe = container["livenessProbe"]["httpGet"]
    with exporter(["--demo", f"--web.config.file={web_config}"], tmp_path) as proc:
        base = f"{probe['scheme'].lower()}://127.0.0.1:{proc.port}"
        assert wait_for(lambda: get(base + probe["path"]) == 200, 30, "the liveness probe")
        assert get(base + "/metrics") == 401
        auth = base64.b64encode(b"prometheus:fake-scrape-password").decode()
        assert get(base + "/metrics", {"Authorization": f"Basic {auth}"}) == 200


def test_an_existing_web_config_secret_is_mounted_not_created() -> None:
    docs = render(str(WEB_CONFIG_SECRET))
    container = container_of(docs)
    assert "--web.config.file=/etc/hwmig/web/web-config.yml" in container["args"]
    assert volumes_of(docs)["web-config"]["secret"]["secretName"] == "hwmig-web-config"
    assert "web-tls" not in volumes_of(docs)  # its TLS files sit beside web-config.yml
    assert "hwmig-web-config" not in {s["metadata"]["name"] for s in by_kind(docs, "Secret")}


WEB_MODES = {
    "inline-tls-and-auth": ([str(ALL_FEATURES)], True, True),
    "secret-tls-and-auth": ([str(WEB_CONFIG_SECRET)], True, True),
    "secret-tls-only": (
        [str(WEB_CONFIG_SECRET), "webConfig.basicAuth=false", "serviceMonitor.basicAuth=null"],
        True,
        False,
    ),
    "inline-auth-only": (
        [
            str(MINIMAL),
            MONITORED,
            "webConfig.content.basic_auth_users.prometheus="
            "$2b$10$Wi0lRPxaEUgEUqwicqpMX.DYo8Evbo7WFLbPfckUXoxdrfYCYhOd.",
            "serviceMonitor.basicAuth.existingSecret=scrape",
        ],
        False,
        True,
    ),
}


@pytest.mark.parametrize(("values", "tls", "auth"), WEB_MODES.values(), ids=WEB_MODES.keys())
def test_probes_ask_the_open_health_paths_over_https_when_tls_is_on(
    values: list[str], tls: bool, auth: bool
) -> None:
    """No credentials in the probes: /healthz and /readyz answer without basic auth."""
    container = container_of(render(*values))
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = container[probe]["httpGet"]
        assert get["path"] == path and get["port"] == "metrics"
        assert get.get("scheme", "HTTP") == ("HTTPS" if tls else "HTTP")
        assert "httpHeaders" not in get


@pytest.mark.parametrize(("values", "tls", "auth"), WEB_MODES.values(), ids=WEB_MODES.keys())
def test_the_service_monitor_scrapes_with_the_web_config_s_scheme_and_credentials(
    values: list[str], tls: bool, auth: bool
) -> None:
    docs = render(*values)
    (endpoint,) = by_kind(docs, "ServiceMonitor")[0]["spec"]["endpoints"]
    chart_values: dict[str, Any] = {}
    for value in values:
        if value.endswith(".yaml"):
            chart_values.update(yaml.safe_load(Path(value).read_text(encoding="utf-8")))
    given = chart_values.get("serviceMonitor", {})
    assert endpoint.get("scheme", "http") == ("https" if tls else "http")
    assert endpoint.get("tlsConfig") == (given.get("tlsConfig") if tls else None)
    if not auth:
        assert "basicAuth" not in endpoint
        return
    secret = endpoint["basicAuth"]["username"]["name"]
    assert secret == endpoint["basicAuth"]["password"]["name"]
    assert secret in ("hwmig-scrape-credentials", "scrape")
    keys = (endpoint["basicAuth"]["username"]["key"], endpoint["basicAuth"]["password"]["key"])
    assert keys == (
        ("user", "pass") if values[0] == str(WEB_CONFIG_SECRET) else ("username", "password")
    )


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (
            ["webConfig.existingSecret=w", "webConfig.content.http_server_config.x=1"],
            "give existingSecret or content, not both",
        ),
        (["webConfig.tls=true"], "without a web config"),
        (
            ["webConfig.existingSecret=w", "webConfig.basicAuth=true", MONITORED],
            "give serviceMonitor.basicAuth.existingSecret",
        ),
        (
            [
                "webConfig.content.tls_server_config.cert_file=/etc/hwmig/tls/tls.crt",
                "webConfig.content.tls_server_config.key_file=/etc/hwmig/tls/tls.key",
                "webConfig.content.tls_server_config.client_auth_type=RequireAndVerifyClientCert",
            ],
            "refuses the kubelet's probes",
        ),
        (
            ["webConfig.content.http_server_config.x=1", "webConfig.tls=true"],
            "webConfig.content has no tls_server_config",
        ),
    ],
)
def test_a_web_config_its_probes_or_prometheus_could_not_pass_fails_at_render(
    sets: list[str], message: str
) -> None:
    args = ["template", "hwmig", str(CHART), "-f", str(MINIMAL)]
    for value in sets:
        args += ["--set", value]
    result = helm(*args)
    assert result.returncode != 0
    assert message in result.stderr


def test_the_web_config_schema_is_the_exporter_s_web_config_file() -> None:
    """Kept by hand (settings_schema generates only `config` and `accounts`): the same keys
    and choices as exporter/web/web_config.py, so what the schema passes the exporter can read."""
    schema = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
    content = schema["properties"]["webConfig"]["properties"]["content"]
    assert content["additionalProperties"] is False
    assert set(content["properties"]) == set(WebConfigFile.model_fields)
    (tls,) = [
        branch
        for branch in content["properties"]["tls_server_config"]["anyOf"]
        if branch.get("type") == "object"
    ]
    assert set(tls["properties"]) == set(TlsServerConfig.model_fields)
    assert set(tls["required"]) == {
        name for name, field in TlsServerConfig.model_fields.items() if field.is_required()
    }
    assert tls["properties"]["client_auth_type"]["enum"] == list(typing.get_args(ClientAuth))
    assert tls["properties"]["min_version"]["enum"] == list(typing.get_args(TlsVersion))


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
        "webConfig.content.basic_auth_users.prometheus=not-a-bcrypt-hash",
        "webConfig.content.tls_server_config.cert_file=/c",
        "webConfig.content.tls_config.cert_file=/c",
        "serviceMonitor.basicAuth.secret=s",
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


TEMPORARY = CHART / "ci" / "temporary-credentials-values.yaml"


def test_accounts_on_temporary_credentials_need_no_secret_and_get_a_projected_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = render(str(TEMPORARY))
    assert by_kind(docs, "Secret") == []
    (deployment,) = by_kind(docs, "Deployment")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == by_kind(docs, "ServiceAccount")[0]["metadata"]["name"]
    volumes = volumes_of(docs)
    assert not [name for name in volumes if name.startswith("credentials-")]
    (source,) = volumes["oidc-token"]["projected"]["sources"]
    assert source["serviceAccountToken"] == {
        "path": "token",
        "audience": "my-idp-client-id",
        "expirationSeconds": 3600,
    }
    mounts = {m["name"]: m["mountPath"] for m in container_of(docs)["volumeMounts"]}
    assert mounts["oidc-token"] == "/var/run/secrets/hwmig/oidc"
    # The config the exporter gets: the token where the chart mounts it, accepted as it is
    # (pod identity's variables as CCE injects them).
    config_map = next(d for d in by_kind(docs, "ConfigMap") if "config.yaml" in d["data"])
    text = config_map["data"]["config.yaml"]
    token = tmp_path / "token"
    token.write_text("id-token")
    config = tmp_path / "config.yaml"
    config.write_text(text.replace("/var/run/secrets/hwmig/oidc/token", str(token)))
    monkeypatch.setenv("HC_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.2/v1/credential")
    monkeypatch.setenv("HC_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(token))
    settings = load(config)
    assert [a.credentials.provider for a in settings.accounts] == [
        "pod_identity",
        "oidc_federation",
        "oidc_sts",
    ]
    assert settings.accounts[1].credentials.idp_id == "my-idp"
    assert settings.accounts[2].credentials.agency_urn == "iam::1:agency:hwmig"


def test_an_oidc_account_without_a_token_audience_fails_at_render() -> None:
    result = helm(
        "template",
        "hwmig",
        str(CHART),
        "--set",
        "accounts[0].name=x,accounts[0].region=r,accounts[0].credentials.provider=oidc_sts",
    )
    assert result.returncode != 0
    assert "serviceAccount.token.audience" in result.stderr
