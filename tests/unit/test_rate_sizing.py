"""The rate limit fits the polls: the burst holds a whole cold poll of the account, and a
configuration whose polls cannot fit in its rate is refused, naming the keys to change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from exporter.huawei.gate import Gates
from exporter.huawei.network import Network
from exporter.huawei.paging import pages_of
from exporter.settings import ConfigError, Settings, load
from exporter.sources import account_clients, poll_pages, request_policy
from tests.conftest import SECRET_KEY
from tests.payloads import NO_WAVES

# The lists of a wave's objects: each capped at 1,000 items, so 10 pages at worst (one at
# realistic sizes), whatever max_tasks_per_source allows; the overview is one request.
WAVES = {"sms_projects": 10, "sms_overview": 1, "oms_groups": 10, "oms_sync": 10}


def config(**top: Any) -> dict[str, Any]:
    account = {
        "name": "big",
        "region": "ap-southeast-3",
        "credentials": {"access_key": "AKTESTACCESSKEY00001", "secret_key": SECRET_KEY},
        "oms": {"project_id": "a" * 32},
    }
    return {"accounts": [account], **top}


def test_pages_of_counts_what_paging_requests_up_to_the_offset_ceiling() -> None:
    assert pages_of(200, 65535, 10_000) == 50
    assert pages_of(200, 65535, 10_001) == 51
    # 200..65400 every 200, then one page at the ceiling itself (65535..65734): 329 requests.
    assert pages_of(200, 65535, 100_000) == pages_of(200, 65535, 10**6) == 329
    assert pages_of(100, 10_000, 10_000) == 100
    assert pages_of(100, 10_000, 10**6) == 101
    assert pages_of(200, 65535, 1) == 1


def test_a_poll_of_an_account_is_the_pages_of_its_enabled_lists() -> None:
    settings = Settings.model_validate(config())
    pages = poll_pages(settings, settings.accounts[0])
    assert pages == {"sms": 50, "sms_sources": 50, "oms": 100, **WAVES}
    assert sum(pages.values()) == 200 + sum(WAVES.values())
    lean = Settings.model_validate(config(collect={"source_servers": False, **NO_WAVES}))
    assert poll_pages(lean, lean.accounts[0]) == {"sms": 50, "oms": 100}
    largest = Settings.model_validate(
        config(max_tasks_per_source=100_000, api={"requests_per_second": 80})
    )
    pages = poll_pages(largest, largest.accounts[0])
    assert pages == {"sms": 329, "sms_sources": 329, "oms": 101, **WAVES}
    assert sum(pages.values()) == 759 + sum(WAVES.values())


@pytest.mark.parametrize(
    ("top", "burst"),
    [
        ({}, 200 + sum(WAVES.values())),  # 10,000 items per task list
        (
            {"max_tasks_per_source": 100_000, "api": {"requests_per_second": 80}},
            759 + sum(WAVES.values()),
        ),
        ({"max_tasks_per_source": 100_000, "api": {"requests_per_second": 80, "burst": 40}}, 40),
    ],
)
async def test_the_burst_holds_a_whole_cold_poll_of_the_account_unless_set(
    top: dict[str, Any], burst: int
) -> None:
    settings = Settings.model_validate(config(**top))
    async with aiohttp.ClientSession() as session:
        clients = account_clients(
            settings, settings.accounts[0], session, Network(), request_policy(settings), Gates()
        )
    assert clients.guard.bucket.burst == burst


def test_an_account_whose_polls_cannot_fit_its_rate_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config(poll_interval_seconds=10, max_tasks_per_source=100_000)))
    with pytest.raises(ConfigError) as refused:
        load(path)
    message = str(refused.value)
    pages = 759 + sum(WAVES.values())
    assert f"accounts.0 (big): a poll may list {pages} pages" in message
    assert "sms 329 + sms_sources 329 + oms 101 + " in message
    assert "api.requests_per_second 50 x poll_interval_seconds 10 allow 500" in message
    assert f"api.requests_per_second to at least {pages / 10:g}" in message
    assert f"poll_interval_seconds to at least {pages / 50:g}" in message
    assert "max_tasks_per_source" in message
    assert SECRET_KEY not in message


@pytest.mark.parametrize(
    "top",
    [
        {
            "poll_interval_seconds": 10,
            "max_tasks_per_source": 100_000,
            "api": {"requests_per_second": 80},
        },
        {"poll_interval_seconds": 16, "max_tasks_per_source": 100_000},
        {"poll_interval_seconds": 10},  # the defaults: a few hundred pages, 500 requests a poll
        {"poll_interval_seconds": 30, "api": {"requests_per_second": 20}},  # the chart's CI
    ],
)
def test_an_account_whose_polls_fit_is_accepted(top: dict[str, Any]) -> None:
    Settings.model_validate(config(**top))
