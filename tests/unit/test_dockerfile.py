"""The image definition, checked statically (no Docker engine here); tests/e2e builds its wheel."""

from __future__ import annotations

import re
from pathlib import Path

from tests.dockerfile import DOCKERFILE, ROOT, instructions, pins, pip_installs


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
    assert "pip install --no-cache-dir --no-index --no-deps /tmp/*.whl" in runs
    copies = [rest for kw, rest in instructions() if kw == "COPY"]
    assert copies[-1].startswith("--from=build /dist/*.whl")


def test_every_pip_install_takes_only_hashed_files_but_the_wheel_it_built() -> None:
    """pip's --require-hashes: a file whose sha256 is not the one scripts/lock recorded fails
    the build. The wheel has no hash to check, so its install may fetch nothing at all."""
    installs = pip_installs()
    assert len(installs) == 3  # the build tools, the runtime dependencies, the wheel
    copied = {
        Path(source).name: dest
        for kw, rest in instructions()
        if kw == "COPY" and not rest.startswith("--from")
        for *sources, dest in [rest.split()]
        for source in sources
    }
    # The wheel the build stage made, where the runtime stage copied it.
    _, source, dest = next(r for k, r in instructions() if k == "COPY" and "--from" in r).split()
    built_wheel = dest + Path(source).name
    locks = []
    for words in installs:
        options = [w for w in words if w.startswith("-")]
        if "-r" in words:
            assert "--require-hashes" in options, words
            lock = Path(words[words.index("-r") + 1]).name
            assert lock in copied, f"{lock} is not copied into the image"
            assert all(count > 0 for _, count in pins(ROOT / lock).values()), lock
            locks.append(lock)
        else:
            assert {"--no-index", "--no-deps"} <= set(options), words
            assert [w for w in words if not w.startswith("-")] == [built_wheel], words
        assert not {"-c", "--constraint", "--no-binary"} & set(words), words
    assert locks == ["requirements-build.txt", "requirements-runtime.txt"]


def test_the_wheel_is_built_by_the_locked_tools_without_fetching_more() -> None:
    runs = [rest for kw, rest in instructions() if kw == "RUN"]
    (build,) = [run for run in runs if "python -m build" in run]
    assert "--no-isolation" in build.split()  # an isolated build would fetch setuptools unhashed
    assert {"build", "setuptools"} <= set(pins(ROOT / "requirements-build.txt"))
    assert "pip check" in " ".join(runs)  # the runtime lock holds every dependency of the wheel


def test_it_exposes_the_port_has_a_healthcheck_and_the_console_script() -> None:
    kinds = dict(instructions())
    assert kinds["EXPOSE"] == "9897"
    assert kinds["HEALTHCHECK"].endswith('CMD ["python", "-m", "exporter.web.healthcheck"]')
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
    # The lock files the image installs from are in the context, and nothing else of the kind.
    assert [line for line in ignore if line.endswith(".txt")] == [
        "!requirements-build.txt",
        "!requirements-runtime.txt",
    ]
