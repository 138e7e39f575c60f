"""The whole configuration, validated once (the README's Configuration section).

Sources, lowest to highest precedence: defaults, the YAML file, `HWMIG_*` environment
variables (nested with `__`), command-line flags. Secrets are `SecretStr` and may come from
`*_file` paths (Kubernetes Secret mounts). Code below the CLI receives these objects and never
reads the environment itself.
"""

from __future__ import annotations

import ipaddress
import re
import ssl
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)
from yarl import URL

from exporter.huawei.network import trust

SPEED_UNITS = {"mbit": 125_000.0, "mbyte": 1_048_576.0}  # bytes per second per API unit
DEFAULT_IAM_ENDPOINT = "https://iam.myhuaweicloud.com"
_LABEL_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$")


def _label_safe(value: str) -> str:
    if not _LABEL_SAFE.match(value):
        raise ValueError("must be 1-63 letters, digits, '.', '_', ':' or '-'")
    return value


# A name that becomes a label value as it is (an account's, a wave's).
LabelSafe = Annotated[
    str, AfterValidator(_label_safe), Field(json_schema_extra={"pattern": _LABEL_SAFE.pattern})
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _read_secret(path: Path, key: str) -> SecretStr:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ValueError(
            f"{key}: cannot read {path}: {exc.strerror or type(exc).__name__}"
        ) from None
    except UnicodeDecodeError:
        raise ValueError(f"{key}: {path} is not UTF-8 text") from None
    if not text:
        raise ValueError(f"{key}: {path} is empty")
    return SecretStr(text)


Provider = Literal["ecs_metadata", "pod_identity", "oidc_federation", "oidc_sts", "chain"]
METADATA_ENDPOINT = "http://169.254.169.254"
DEFAULT_STS_ENDPOINT = "https://sts.cn-north-4.myhuaweicloud.com"
# The official SDK's environment variables, read when a key of `credentials` is absent.
SDK_ENV = {
    "pod_identity_uri": "HC_CONTAINER_CREDENTIALS_FULL_URI",
    "pod_identity_token_file": "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "provider_urn": "HUAWEICLOUD_OIDC_PROVIDER_URN",
    "agency_urn": "HUAWEICLOUD_OIDC_AGENCY_URN",
    "session_name": "HUAWEICLOUD_OIDC_SESSION_NAME",
    "duration_seconds": "HUAWEICLOUD_OIDC_DURATION_SECONDS",
    "sts_endpoint": "HUAWEICLOUD_SDK_STS_ENDPOINT",
}
FEDERATION_ENV = {
    "idp_id": "HUAWEICLOUD_SDK_IDP_ID",
    "id_token_file": "HUAWEICLOUD_SDK_ID_TOKEN_FILE",
}
OIDC_TOKEN_FILE_ENV = "HUAWEICLOUD_OIDC_TOKEN_FILE"  # noqa: S105  # a variable's name
OIDC_ID_TOKEN_ENV = "HUAWEICLOUD_OIDC_ID_TOKEN"  # noqa: S105  # a variable's name
IAM_ENDPOINT_ENV = "HUAWEICLOUD_SDK_IAM_ENDPOINT"  # the SDK's IamHelper, for federation
SDK_AKSK_ENV = ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK", "HUAWEICLOUD_SDK_SECURITY_TOKEN")
PROFILE_ENV = "HUAWEICLOUD_SDK_CREDENTIALS_FILE"
# Keys naming where temporary credentials come from: part of an account's shape.
PROVIDER_KEYS = (
    "provider",
    "metadata_endpoint",
    "pod_identity_uri",
    "pod_identity_token_file",
    "idp_id",
    "id_token_file",
    "provider_urn",
    "agency_urn",
    "session_name",
    "duration_seconds",
    "sts_endpoint",
)


def _environ() -> dict[str, str]:
    import os

    return {name: value for name, value in os.environ.items() if value}


def _profile(env: dict[str, str]) -> dict[str, str]:
    """The `[basic]` section of the SDK's credentials file, when there is one."""
    import configparser

    path = Path(env.get(PROFILE_ENV) or Path.home() / ".huaweicloud" / "credentials")
    parser = configparser.ConfigParser()
    try:
        if not path.is_file() or not parser.read(path, encoding="utf-8"):
            return {}
    except (OSError, configparser.Error, UnicodeDecodeError):
        return {}
    return dict(parser.items("basic")) if parser.has_section("basic") else {}


class Credentials(_Strict):
    """AK/SK (optionally with a security token), an IAM user's password, or a `provider` of
    temporary credentials (DESIGN.md section 13): `chain` when none of them is given."""

    access_key: SecretStr | None = None
    access_key_file: Path | None = None
    secret_key: SecretStr | None = None
    secret_key_file: Path | None = None
    security_token: SecretStr | None = None
    security_token_file: Path | None = None
    username: str | None = None
    password: SecretStr | None = None
    password_file: Path | None = None
    domain_name: str | None = None
    provider: Provider | None = None
    metadata_endpoint: str = METADATA_ENDPOINT
    pod_identity_uri: str | None = None
    pod_identity_token_file: Path | None = None
    idp_id: str | None = None
    id_token_file: Path | None = None
    provider_urn: str | None = None
    agency_urn: str | None = None
    session_name: str = "oidc-sts-session"
    duration_seconds: int = Field(default=3600, ge=900, le=43200)
    sts_endpoint: str = DEFAULT_STS_ENDPOINT
    # From the SDK's variables only, no key of their own: oidc_sts's inline ID token
    # (HUAWEICLOUD_OIDC_ID_TOKEN, a secret) and oidc_federation's IAM endpoint
    # (HUAWEICLOUD_SDK_IAM_ENDPOINT, or the profile file's iam_endpoint), which the account
    # takes when it configures no iam_endpoint.
    _id_token: SecretStr | None = PrivateAttr(default=None)
    _iam_endpoint: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _resolve(self) -> Self:
        values: dict[str, Any] = {}
        for name in ("access_key", "secret_key", "security_token", "password"):
            path = getattr(self, f"{name}_file")
            if path is not None:
                if getattr(self, name) is not None:
                    raise ValueError(f"give {name} or {name}_file, not both")
                values[name] = _read_secret(path, f"{name}_file")
        for name, value in values.items():
            object.__setattr__(self, name, value)  # frozen model: resolved once, here
        aksk = self.access_key is not None or self.secret_key is not None
        password = self.username is not None or self.password is not None
        if aksk and password:
            raise ValueError("give access_key+secret_key or username+password, not both")
        if (aksk or password) and self.provider is not None:
            raise ValueError("give a provider or static credentials, not both")
        if aksk:
            if self.access_key is None or self.secret_key is None:
                raise ValueError("access_key and secret_key go together")
        elif password:
            if self.username is None or self.password is None or self.domain_name is None:
                raise ValueError("username, password and domain_name go together")
        else:
            self._temporary(_environ())
        for key in ("metadata_endpoint", "pod_identity_uri", "sts_endpoint"):
            _check_url(getattr(self, key))
        return self

    def _set(self, **values: str | None) -> None:
        """Keys absent from the configuration, from the environment (validated as the keys)."""
        for name, value in values.items():
            if value is None or name in self.model_fields_set:
                continue
            converted: Any = value
            if name.endswith("_file"):
                converted = Path(value)
            elif name == "duration_seconds":
                try:
                    converted = int(value)
                except ValueError:
                    raise ValueError("HUAWEICLOUD_OIDC_DURATION_SECONDS: not a number") from None
                if not 900 <= converted <= 43200:
                    raise ValueError("HUAWEICLOUD_OIDC_DURATION_SECONDS: not in 900..43200")
            object.__setattr__(self, name, converted)

    def _temporary(self, env: dict[str, str]) -> None:
        """Fill the provider's absent keys from the SDK's variables; `chain` resolved as the
        SDK orders it: OIDC to STS, the environment (AK/SK or federation), the profile file,
        then at run time the ECS metadata service and CCE pod identity."""
        provider: str = self.provider or "chain"
        self._set(**{key: env.get(var) for key, var in SDK_ENV.items()})
        if provider == "oidc_sts":
            self._oidc_id_token(env)
        if provider == "oidc_federation":
            self._set(**{key: env.get(var) for key, var in FEDERATION_ENV.items()})
            self._sdk_iam_endpoint(env.get(IAM_ENDPOINT_ENV))
        if provider == "chain":
            provider = self._chain(env)
        object.__setattr__(self, "provider", None if provider == "static" else provider)
        if provider == "pod_identity" and not (
            self.pod_identity_uri and self.pod_identity_token_file
        ):
            raise ValueError(
                "pod_identity needs pod_identity_uri and pod_identity_token_file (or "
                "HC_CONTAINER_CREDENTIALS_FULL_URI and HC_CONTAINER_AUTHORIZATION_TOKEN_FILE)"
            )
        if provider == "oidc_federation" and not (self.idp_id and self.id_token_file):
            raise ValueError(
                "oidc_federation needs idp_id and id_token_file (or HUAWEICLOUD_SDK_IDP_ID "
                "and HUAWEICLOUD_SDK_ID_TOKEN_FILE)"
            )
        if provider == "oidc_sts" and not (
            self.provider_urn and self.agency_urn and (self.id_token_file or self._id_token)
        ):
            raise ValueError(
                "oidc_sts needs provider_urn, agency_urn and id_token_file (or the "
                "HUAWEICLOUD_OIDC_* variables: an ID token in HUAWEICLOUD_OIDC_ID_TOKEN or "
                "HUAWEICLOUD_OIDC_TOKEN_FILE)"
            )

    def _oidc_id_token(self, env: dict[str, str]) -> None:
        """oidc_sts's ID token: the configured file, else as the SDK's OidcSts provider looks
        for one, HUAWEICLOUD_OIDC_ID_TOKEN (inline, never re-read) before
        HUAWEICLOUD_OIDC_TOKEN_FILE."""
        if self.id_token_file is None and env.get(OIDC_ID_TOKEN_ENV):
            self._id_token = SecretStr(env[OIDC_ID_TOKEN_ENV])
        else:
            self._set(id_token_file=env.get(OIDC_TOKEN_FILE_ENV))

    def _sdk_iam_endpoint(self, value: str | None) -> None:
        if value:
            try:
                self._iam_endpoint = _check_url(value)
            except ValueError:
                raise ValueError(f"{IAM_ENDPOINT_ENV}: must be an http(s) URL") from None

    def _chain(self, env: dict[str, str]) -> str:
        if (
            self.provider_urn
            and self.agency_urn
            and (self.id_token_file or env.get(OIDC_ID_TOKEN_ENV) or env.get(OIDC_TOKEN_FILE_ENV))
        ):
            self._oidc_id_token(env)
            return "oidc_sts"
        for source in (env, {SDK_ENV_PROFILE.get(k, k): v for k, v in _profile(env).items()}):
            if source.get("HUAWEICLOUD_SDK_IDP_ID") and source.get("HUAWEICLOUD_SDK_ID_TOKEN_FILE"):
                self._set(**{key: source.get(var) for key, var in FEDERATION_ENV.items()})
                # The profile's iam_endpoint first, as the SDK's ProfileCredentialProvider.
                self._sdk_iam_endpoint(source.get(IAM_ENDPOINT_ENV) or env.get(IAM_ENDPOINT_ENV))
                return "oidc_federation"
            ak, sk, token = (source.get(var) for var in SDK_AKSK_ENV)
            if ak and sk:
                object.__setattr__(self, "access_key", SecretStr(ak))
                object.__setattr__(self, "secret_key", SecretStr(sk))
                object.__setattr__(self, "security_token", SecretStr(token) if token else None)
                return "static"
        return "chain"  # at run time: ecs_metadata, then pod_identity when configured

    @property
    def inline_id_token(self) -> SecretStr | None:
        """oidc_sts's ID token from HUAWEICLOUD_OIDC_ID_TOKEN, when no file gives it."""
        return self._id_token

    @property
    def sdk_iam_endpoint(self) -> str | None:
        """oidc_federation's IAM endpoint from the SDK's variable or profile file."""
        return self._iam_endpoint

    @property
    def kind(self) -> Literal["aksk", "password", "temporary"]:
        if self.access_key is not None:
            return "aksk"
        return "password" if self.username is not None else "temporary"

    @property
    def chain(self) -> tuple[str, ...]:
        """The providers tried in turn at run time, for a temporary kind."""
        if self.provider != "chain":
            return (self.provider,) if self.provider else ()
        if self.pod_identity_uri and self.pod_identity_token_file:
            return ("ecs_metadata", "pod_identity")
        return ("ecs_metadata",)


# The profile file's keys, as the environment's variables.
SDK_ENV_PROFILE = {
    "ak": "HUAWEICLOUD_SDK_AK",
    "sk": "HUAWEICLOUD_SDK_SK",
    "security_token": "HUAWEICLOUD_SDK_SECURITY_TOKEN",
    "idp_id": "HUAWEICLOUD_SDK_IDP_ID",
    "id_token_file": "HUAWEICLOUD_SDK_ID_TOKEN_FILE",
    "iam_endpoint": IAM_ENDPOINT_ENV,
}


class SmsSource(_Strict):
    enabled: bool = True
    endpoint: str | None = None
    enterprise_project_id: str | None = None


class OmsSource(_Strict):
    # Unset: OMS is polled when a project_id is given.
    enabled: bool | None = None
    project_id: str | None = None
    endpoint: str | None = None

    @model_validator(mode="after")
    def _needs_project(self) -> Self:
        if self.enabled and not self.project_id:
            raise ValueError("project_id is required when OMS is enabled")
        return self

    @property
    def active(self) -> bool:
        return self.enabled if self.enabled is not None else self.project_id is not None


def _check_url(value: str | None) -> str | None:
    if value is not None and not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"must be an http(s) URL, got {value!r}")
    return value.rstrip("/") if value else value


class Account(_Strict):
    name: LabelSafe
    region: str
    iam_endpoint: str | None = None
    credentials: Credentials = Field(default_factory=lambda: Credentials())
    sms: SmsSource = SmsSource()
    oms: OmsSource = OmsSource()

    @field_validator("iam_endpoint")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _check_url(value)

    @model_validator(mode="after")
    def _endpoints(self) -> Self:
        _check_url(self.sms.endpoint)
        _check_url(self.oms.endpoint)
        if self.iam_endpoint is None and self.credentials.sdk_iam_endpoint is not None:
            # oidc_federation, as the SDK's FederalAccessor finds IAM (frozen: set once, here)
            object.__setattr__(self, "iam_endpoint", self.credentials.sdk_iam_endpoint)
        return self

    @property
    def sms_endpoint(self) -> str:
        return (self.sms.endpoint or f"https://sms.{self.region}.myhuaweicloud.com").rstrip("/")

    @property
    def oms_endpoint(self) -> str:
        return (self.oms.endpoint or f"https://oms.{self.region}.myhuaweicloud.com").rstrip("/")

    @property
    def iam_url(self) -> str:
        return (self.iam_endpoint or DEFAULT_IAM_ENDPOINT).rstrip("/")


# Every region Huawei Cloud names: ap-southeast-3, cn-north-4, eu-west-101, my-kualalumpur-1.
REGION_FORM = re.compile(r"^[a-z]{2}-[a-z]+-\d+$")


def config_warnings(settings: Settings) -> list[tuple[str, str]]:
    """What a valid configuration probably did not mean, as (key, why): a region of no Huawei
    form, an endpoint in plain http:// to another host (loopback is left alone: a local proxy,
    a sidecar, the simulator; the traffic does not leave the machine)."""
    out = []
    for n, account in enumerate(settings.accounts):
        if not REGION_FORM.match(account.region):
            out.append(
                (
                    f"accounts.{n}.region",
                    f"{account.region[:64]!r} has no Huawei Cloud region's form (like"
                    " ap-southeast-3): the endpoints derived from it may not exist",
                )
            )
        creds = account.credentials
        # The metadata service is plain http:// by nature (link-local, never routed): it is
        # the one endpoint not warned of.
        temporary = (
            [
                ("credentials.pod_identity_uri", creds.pod_identity_uri),
                ("credentials.sts_endpoint", creds.sts_endpoint),
            ]
            if creds.kind == "temporary"
            else []
        )
        for key, url in (
            ("iam_endpoint", account.iam_endpoint),
            ("sms.endpoint", account.sms.endpoint),
            ("oms.endpoint", account.oms.endpoint),
            *temporary,
        ):
            host = _plain_http_host(url)
            if host is not None:
                out.append(
                    (
                        f"accounts.{n}.{key}",
                        f"plain http:// to {host[:128]}: requests, signed or with a token,"
                        " cross the network unencrypted",
                    )
                )
    return out


def _plain_http_host(url: str | None) -> str | None:
    """The host of an http:// URL that is not loopback; None otherwise."""
    if url is None or not url.lower().startswith("http://"):
        return None
    host = (URL(url).host or "").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        if ipaddress.ip_address(host.strip("[]")).is_loopback:
            return None
    except ValueError:  # a name, not an address
        pass
    return host


class Collect(_Strict):
    subtasks: bool = True
    network_check: bool = True
    source_servers: bool = True  # GET /v3/sources where SMS is polled
    # The objects a wave is made of (DESIGN.md section 12), each one list service:
    migration_projects: bool = True  # GET /v3/migprojects where SMS is polled
    source_server_overview: bool = True  # GET /v3/sources/overview where SMS is polled
    task_groups: bool = True  # GET /v2/{project_id}/taskgroups where OMS is polled
    sync_tasks: bool = True  # GET /v2/{project_id}/sync-tasks where OMS is polled
    # False: a task in a final state (SMS MIGRATE_SUCCESS, ABORT; OMS succeeded) exports only
    # its _info, its state or status, and its byte totals.
    finished_task_details: bool = True
    # False: a stateset (SMS task state, OMS task status, source server migration cycle)
    # exports the current state's series only, not a 0 for every other state: a third of an
    # SMS task's series. Every shipped alert, rule and panel asks `{state=...} == 1`.
    inactive_states: bool = True


OWN_PREFIX = "huaweicloud_migration_"  # the exporter's own families: always exported


class Metrics(_Strict):
    """Which families to export, the kube-state-metrics way: regular expressions matched
    against whole family names. A family left out is neither mapped nor rendered."""

    allowlist: list[str] = Field(default_factory=list)  # non-empty: only these
    denylist: list[str] = Field(default_factory=list)

    @field_validator("allowlist", "denylist")
    @classmethod
    def _regexes(cls, patterns: list[str]) -> list[str]:
        for n, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"entry {n} is not a regular expression: {exc.msg}") from None
        return patterns

    @model_validator(mode="after")
    def _one_list(self) -> Self:
        if self.allowlist and self.denylist:
            raise ValueError("give allowlist or denylist, not both")
        return self

    def keeps(self, family: str) -> bool:
        if family.startswith(OWN_PREFIX):
            return True
        if self.allowlist:
            return any(re.fullmatch(p, family) for p in self.allowlist)
        return not any(re.fullmatch(p, family) for p in self.denylist)


MIB = 1024 * 1024
POLL_BYTES_PER_TASK = 12 * 1024  # default poll cap per max_tasks_per_source; a task is ~2.6 KB


class Api(_Strict):
    """How hard one exporter may press the Huawei APIs, and how far it trusts their answers."""

    # Concurrent page requests per endpoint: 32 puts a 10,000-task list (50 SMS pages, 100 OMS
    # pages) in two or four round trips; at 8 a poll at 100 ms latency took 1.4x its time at 0.
    max_in_flight: int = Field(default=32, ge=1, le=64)
    requests_per_second: float = Field(default=50.0, gt=0)  # per account, all services
    # Unset: one whole poll of the account, the pages of each of its lists at
    # max_tasks_per_source items (200 at 10,000: 50 + 50 + 100; 759 past the offset ceilings),
    # so that the rate limit spreads polls, not the pages of one poll.
    burst: int | None = Field(default=None, ge=1)
    timeout_seconds: float = Field(default=30.0, gt=0)  # one request, connect to last byte
    # After a rejected AK/SK signature or password: send nothing for this long. Huawei locks
    # an AK for 5 minutes after 5 failed signatures; keep this at 300 outside tests.
    auth_backoff_seconds: float = Field(default=300.0, ge=1)
    # Caps on what the network may make us hold, counted after decompression. A real page
    # measures ~0.5 MB (200 SMS tasks with 10 sub-tasks each); 10,000 SMS tasks ~26 MB.
    max_response_bytes: int = Field(default=16 * MIB, ge=64 * 1024)
    max_poll_bytes: int | None = Field(default=None, ge=MIB)  # None: 12 KiB x max_tasks
    proxy_url: str | None = Field(default=None, repr=False)  # may carry user:password@
    ca_file: Path | None = None  # PEM; added to the system trust, never replacing it

    @field_validator("proxy_url")
    @classmethod
    def _proxy(cls, value: str | None) -> str | None:
        if value is None:
            return None
        # The message never repeats the value: it may hold the proxy's password.
        if not re.match(r"^https?://[^/\s]+/?$", value):
            raise ValueError("must be http://[user:password@]host:port (or https://)")
        return value.rstrip("/")

    @field_validator("ca_file")
    @classmethod
    def _loadable(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        try:
            trust(value)
        except ssl.SSLError:  # before OSError, its base class
            reason = "no PEM certificate in it"
            raise ValueError(f"cannot load {value} as CA certificates: {reason}") from None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise ValueError(f"cannot load {value} as CA certificates: {reason}") from None
        return value

    @field_serializer("proxy_url")
    def _masked(self, value: str | None) -> str | None:
        """As --check-config shows it: the host, and the password masked."""
        if value is None:
            return None
        url = URL(value)
        return str(url.with_password("**********")) if url.password is not None else value


RESERVED_PATHS = ("/", "/healthz", "/readyz", "/-/healthy", "/-/ready", "/-/reload")


class Web(_Strict):
    listen_address: str = "0.0.0.0:9897"
    telemetry_path: str = "/metrics"
    config_file: Path | None = None
    # Against clients that hold connections without finishing a request (slowloris).
    max_connections: int = Field(default=512, ge=1, le=65536)
    header_timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    keepalive_timeout_seconds: float = Field(default=75.0, gt=0, le=3600)
    # A scrape not sent within this is cut: a reader that stops reading holds nothing for long.
    write_timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    enable_lifecycle: bool = False  # POST /-/reload, as Prometheus' --web.enable-lifecycle

    @field_validator("listen_address")
    @classmethod
    def _host_port(cls, value: str) -> str:
        _host, sep, port = value.rpartition(":")
        if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"must be HOST:PORT, got {value!r}")
        return value

    @field_validator("telemetry_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or value in RESERVED_PATHS:
            raise ValueError(f"must start with '/' and not be one of {', '.join(RESERVED_PATHS)}")
        return value

    @property
    def host(self) -> str:
        return self.listen_address.rpartition(":")[0].strip("[]") or "0.0.0.0"

    @property
    def port(self) -> int:
        return int(self.listen_address.rpartition(":")[2])


class Log(_Strict):
    """Prometheus' spellings (`warn`; `logfmt`, `json`), and ours (`warning`; `auto`, `console`)."""

    level: Literal["debug", "info", "warn", "warning", "error"] = "info"
    # auto: console on a terminal, JSON otherwise
    format: Literal["auto", "logfmt", "json", "console"] = "auto"


# Waves (DESIGN.md section 12) ------------------------------------------------------------
# RFC 3339: a full date and time with a UTC offset (`Z` or +hh:mm), nothing looser.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc.msg}") from None
    return value


class WaveMatch(_Strict):
    """Regexes over whole values; a task is in the wave when every key given matches."""

    account: str | None = None
    task_name: str | None = None  # an SMS or OMS task's name
    migration_project: str | None = None  # the SMS migration project's name
    task_group: str | None = None  # the OMS task group's group_id

    @field_validator("account", "task_name", "migration_project", "task_group")
    @classmethod
    def _regexes(cls, value: str | None) -> str | None:
        return _regex(value)


class Wave(_Strict):
    """A wave of the configuration: `origin="config"`."""

    name: LabelSafe
    cutover: str | None = Field(default=None, json_schema_extra={"pattern": RFC3339.pattern})
    match: WaveMatch = WaveMatch()

    @field_validator("cutover", mode="before")
    @classmethod
    def _rfc3339(cls, value: Any) -> Any:
        # YAML reads an unquoted timestamp as a datetime (a date alone as a date).
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("must carry a UTC offset (RFC 3339), like +08:00 or Z")
            return value.isoformat()
        if isinstance(value, date):
            raise ValueError("must be a date and a time with a UTC offset (RFC 3339)")
        if isinstance(value, str) and not RFC3339.match(value):
            raise ValueError(
                "must be RFC 3339: a date and a time with a UTC offset, like"
                " 2027-01-15T22:00:00+08:00"
            )
        if isinstance(value, str):
            datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # 2027-02-30: refused
        return value

    @property
    def cutover_timestamp(self) -> float | None:
        """The deadline in Unix seconds; None when the wave has none."""
        if self.cutover is None:
            return None
        return datetime.fromisoformat(self.cutover.upper().replace("Z", "+00:00")).timestamp()

    def matches(
        self,
        *,
        account: str,
        task_name: str,
        migration_project: str | None = None,
        task_group: str | None = None,
    ) -> bool:
        """Whether a task with these values is in the wave: every key given matches its whole
        value; a key given for a value the task has not (an OMS task's migration project)
        does not match."""
        wanted = self.match
        for pattern, value in (
            (wanted.account, account),
            (wanted.task_name, task_name),
            (wanted.migration_project, migration_project),
            (wanted.task_group, task_group),
        ):
            if pattern is not None and (value is None or re.fullmatch(pattern, value) is None):
                return False
        return True


class Waves(_Strict):
    from_migration_projects: bool = True  # every SMS migration project is a wave
    from_task_groups: bool = True  # every OMS task group is a wave
    defined: list[Wave] = Field(default_factory=list)
    # A task whose last incremental sync ended longer ago is blocked (`sync_stale`).
    cutover_ready_max_sync_age_seconds: float = Field(default=3600.0, gt=0)

    @field_validator("defined")
    @classmethod
    def _unique(cls, waves: list[Wave]) -> list[Wave]:
        names = [wave.name for wave in waves]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"wave names must be unique: {', '.join(twice)} given twice")
        return waves


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HWMIG_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        case_sensitive=False,
    )

    poll_interval_seconds: float = Field(60.0, ge=10)
    stale_after_seconds: float | None = Field(None, gt=0)
    sms_speed_unit: Literal["mbit", "mbyte"] = "mbit"
    max_tasks_per_source: int = Field(10_000, ge=1, le=1_000_000)
    label_value_max_length: int = Field(128, ge=16, le=4096)
    collect: Collect = Collect()
    metrics: Metrics = Metrics()
    api: Api = Api()
    web: Web = Web()
    log: Log = Log()
    waves: Waves = Waves()
    accounts: list[Account] = Field(default_factory=list)
    shard: int = Field(0, ge=0)
    total_shards: int = Field(1, ge=1)

    # Single-account shortcut from the environment (and Huawei's own sample variable names).
    access_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("HWMIG_ACCESS_KEY", "CLOUD_SDK_AK"), exclude=True
    )
    secret_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("HWMIG_SECRET_KEY", "CLOUD_SDK_SK"), exclude=True
    )
    region: str | None = Field(None, validation_alias="HWMIG_REGION", exclude=True)
    project_id: str | None = Field(None, validation_alias="HWMIG_PROJECT_ID", exclude=True)
    # The proxy variables every HTTP client honours (either case); api.proxy_url beats them.
    https_proxy: str | None = Field(None, validation_alias="HTTPS_PROXY", exclude=True, repr=False)
    http_proxy: str | None = Field(None, validation_alias="HTTP_PROXY", exclude=True, repr=False)
    no_proxy: str | None = Field(None, validation_alias="NO_PROXY", exclude=True)

    @field_validator("shard", mode="before")
    @classmethod
    def _shard_from_pod_name(cls, value: Any) -> Any:
        """`exporter-3` (a StatefulSet pod's name, via the downward API) means shard 3."""
        if isinstance(value, str) and not value.strip().isdigit():
            match = re.search(r"-(\d+)$", value.strip())
            if match is None:
                raise ValueError("must be a number or a StatefulSet pod name ending in -N")
            return int(match.group(1))
        return value

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self.stale_after_seconds is None:
            object.__setattr__(self, "stale_after_seconds", 3 * self.poll_interval_seconds)
        if not self.accounts and (self.access_key or self.secret_key):
            object.__setattr__(self, "accounts", [self._shortcut_account()])
        names = [account.name for account in self.accounts]
        if len(names) != len(set(names)):
            raise ValueError("accounts: names must be unique")
        if self.shard >= self.total_shards:
            raise ValueError("shard must be less than total_shards")
        self._check_rate()
        return self

    def _check_rate(self) -> None:
        """Every poll of an account must fit in its rate limit: otherwise polls run over their
        interval (their deadline) one after the other, failing as timeouts."""
        from exporter.sources import poll_pages  # services build on settings, not the reverse

        rate, interval = self.api.requests_per_second, self.poll_interval_seconds
        for n, account in enumerate(self.accounts):
            pages = poll_pages(self, account)
            needed = sum(pages.values())
            if needed > rate * interval:
                each = " + ".join(f"{name} {count}" for name, count in pages.items())
                raise ValueError(
                    f"accounts.{n} ({account.name}): a poll may list {needed} pages ({each} "
                    f"at max_tasks_per_source {self.max_tasks_per_source}), but "
                    f"api.requests_per_second {rate:g} x poll_interval_seconds {interval:g} "
                    f"allow {rate * interval:g} requests a poll, so polls would overrun: "
                    f"raise api.requests_per_second to at least {needed / interval:g} or "
                    f"poll_interval_seconds to at least {needed / rate:g}, or lower "
                    "max_tasks_per_source"
                )

    def _shortcut_account(self) -> Account:
        if not self.region:
            raise ValueError("HWMIG_REGION is required with HWMIG_ACCESS_KEY/HWMIG_SECRET_KEY")
        return Account(
            name="default",
            region=self.region,
            credentials=Credentials(access_key=self.access_key, secret_key=self.secret_key),
            oms=OmsSource(project_id=self.project_id),
        )

    @property
    def stale_after(self) -> float:
        assert self.stale_after_seconds is not None  # set by the validator
        return self.stale_after_seconds

    @property
    def max_poll_bytes(self) -> int:
        return self.api.max_poll_bytes or max(
            64 * MIB, POLL_BYTES_PER_TASK * self.max_tasks_per_source
        )

    @property
    def speed_factor(self) -> float:
        return SPEED_UNITS[self.sms_speed_unit]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Flags (init) beat the environment, which beats the YAML file.
        return (init_settings, env_settings, YamlConfigSettingsSource(settings_cls))


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the key and holds no secret."""


def load(config_file: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Build the settings from a YAML file, the environment and flag overrides."""
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"--config.file: {config_file} is not a readable file")
        _check_yaml(config_file)
    source_file = config_file

    class _FromFile(Settings):
        model_config = SettingsConfigDict(yaml_file=source_file, yaml_file_encoding="utf-8")

    try:
        return _FromFile(**(overrides or {}))
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None


def _check_yaml(path: Path) -> None:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--config.file: cannot read {path}: {type(exc).__name__}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"--config.file: {path} is not valid YAML{where}") from None
    except RecursionError:  # PyYAML composes recursively: a file nested thousands deep
        raise ConfigError(
            f"--config.file: {path} is nested too deep to be a configuration"
        ) from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"--config.file: {path} must hold a mapping at the top level")


def describe(exc: ValidationError) -> str:
    """One line per problem, naming the key (`accounts.0.credentials`), never the value."""
    lines = []
    for error in exc.errors(include_input=False, include_url=False):
        key = ".".join(str(part) for part in error["loc"]) or "(top level)"
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{key}: {message}")
    return "invalid configuration: " + "; ".join(lines)
