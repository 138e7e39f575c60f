"""The payload of `GET /v3/sources/overview` (SMS's own count of the source servers by
lifecycle state), as the official SDK (`huaweicloudsdksms` 3.1.219: `ShowOverviewResponse`)
describes it: one object, no paging."""

from __future__ import annotations

from exporter.huawei.payload import Model, Number

# The overview's fields in the SDK's order, each a count of source servers in that state.
STATES = (
    "waiting",
    "replicate",
    "syncing",
    "stopped",
    "deleting",
    "cutovering",
    "unavailable",  # the environment check failed
    "stopping",
    "skipping",
    "finished",  # the target launched
    "initialize",
    "error",
    "cloning",  # waiting for a clone
    "unconfigured",  # registered, no target configured yet
)


class Overview(Model):
    waiting: Number = None
    replicate: Number = None
    syncing: Number = None
    stopped: Number = None
    deleting: Number = None
    cutovering: Number = None
    unavailable: Number = None
    stopping: Number = None
    skipping: Number = None
    finished: Number = None
    initialize: Number = None
    error: Number = None
    cloning: Number = None
    unconfigured: Number = None

    @property
    def key(self) -> str:
        return OverviewRef.KEY


class OverviewRef(Model):
    """The overview as the one item of its list: an identity of its own, nothing to count."""

    KEY = "overview"

    @property
    def key(self) -> str:
        return self.KEY
