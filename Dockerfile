# syntax=docker/dockerfile:1
# Multi-stage: build the wheel, then install only the wheel into a slim runtime.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
# Every pip install here takes only files whose sha256 scripts/lock recorded (--require-hashes).
# The build tools first (build, setuptools: requirements-build.txt), then the wheel is built
# with them: --no-isolation, as an isolated build would fetch setuptools again, unhashed.
COPY requirements-build.txt ./
RUN pip install --no-cache-dir --require-hashes -r requirements-build.txt
COPY pyproject.toml README.md LICENSE ./
COPY exporter ./exporter
RUN python -m build --wheel --no-isolation --outdir /dist

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="huaweicloud-migration-exporter" \
      org.opencontainers.image.description="Prometheus exporter for Huawei Cloud SMS and OMS migration tasks" \
      org.opencontainers.image.licenses="Apache-2.0"
# HWMIG_WEB__LISTEN_ADDRESS: where it listens (the demo too, so `docker run -p 9897:9897 ...
# --demo` reaches it); the HEALTHCHECK asks there. Change the port with this variable.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HWMIG_WEB__LISTEN_ADDRESS=0.0.0.0:9897
RUN groupadd --system --gid 10001 exporter \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin exporter
# The runtime dependencies at the versions CI tested, each file checked against its locked
# hash (requirements-runtime.txt: constraints.txt's runtime part), then the wheel alone: it has
# no hash to check, so it brings nothing (--no-deps, --no-index); pip check proves the lock
# holds everything it needs.
COPY requirements-runtime.txt /tmp/
COPY --from=build /dist/*.whl /tmp/
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements-runtime.txt \
 && pip install --no-cache-dir --no-index --no-deps /tmp/*.whl \
 && pip check \
 && rm -f /tmp/*.whl /tmp/requirements-runtime.txt
# What --version and huaweicloud_migration_exporter_build_info say of this build:
#   docker build --build-arg REVISION="$(git rev-parse HEAD)" \
#                --build-arg BUILD_DATE="$(date -u +%Y%m%d-%H:%M:%S)" .
ARG REVISION=unknown
ARG BUILD_DATE=unknown
LABEL org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${BUILD_DATE}"
RUN python -c 'import json, pathlib, sys, exporter; (pathlib.Path(exporter.__file__).parent / "_build.json").write_text(json.dumps({"revision": sys.argv[1], "build_date": sys.argv[2]}))' "$REVISION" "$BUILD_DATE"
USER 10001:10001
EXPOSE 9897
# No curl in a slim image: the exporter's own module asks /healthz where it listens.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["python", "-m", "exporter.web.healthcheck"]
ENTRYPOINT ["huaweicloud-migration-exporter"]
