"""The image definition, checked statically (no Docker engine here); tests/e2e builds its wheel."""

from __future__ import annotations

import re

from tests.dockerfile import DOCKERFILE, ROOT, instructions


def test_the_base_image_is_pinned_to_a_version() -> None:
    args = {
        rest.split("=", 1)[0]: rest.split("=", 1)[1]
        for kw, rest in instructions()
        if kw == "ARG" and "=" in rest
    }
    bases = [rest.split()[0] for kw, rest in instructions() if kw == "FROM"]
    assert len(bases) == 2, "multi-stage: build, then runtime"
    for base in bases:
        image = args.get(base.strip("${}"), base)
        assert re.fullmatch(r"python:3\.\d+\.\d+-slim(-\w+)?(@sha256:[0-9a-f]{64})?", image), image


def test_it_runs_as_a_numeric_non_root_user() -> None:
    users = [rest for kw, rest in instructions() if kw == "USER"]
    assert users, "no USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) > 0


def test_it_installs_the_wheel_only() -> None:
    runs = " ".join(rest for kw, rest in instructions() if kw == "RUN")
    assert "pip install --no-cache-dir -c /tmp/constraints.txt /tmp/*.whl" in runs
    copies = [rest for kw, rest in instructions() if kw == "COPY"]
    assert copies[-1].startswith("--from=build /dist/*.whl")


def test_it_exposes_the_port_has_a_healthcheck_and_the_console_script() -> None:
    kinds = dict(instructions())
    assert kinds["EXPOSE"] == "9897"
    assert kinds["HEALTHCHECK"].endswith('CMD ["python", "-m", "exporter.healthcheck"]')
    env = next(rest for kw, rest in instructions() if kw == "ENV")
    assert "HWMIG_WEB__LISTEN_ADDRESS=0.0.0.0:9897" in env  # the demo reachable with -p
    assert kinds["ENTRYPOINT"] == '["huaweicloud-migration-exporter"]'


def test_it_holds_no_secret() -> None:
    lowered = DOCKERFILE.lower()
    for word in ("secret_key", "password", "access_key", "token", "cloud_sdk_"):
        assert word not in lowered, word
    assert not re.search(r"[A-Z0-9]{20}", DOCKERFILE.replace("PYTHONDONTWRITEBYTECODE", ""))


def test_the_build_context_is_limited_to_what_the_wheel_needs() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    ignore = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert ignore[0] == "*" and "!exporter/" in ignore
