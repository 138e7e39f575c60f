"""Prometheus exporter for Huawei Cloud SMS and OMS migration tasks."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("huaweicloud-migration-exporter")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
