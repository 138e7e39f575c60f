"""The status page: every source, its state now, and what a support ticket needs."""

from __future__ import annotations

from exporter.telemetry import Telemetry
from exporter.web.status_page import REFRESH_SECONDS, render

NOW = 1_800_000_000.0


def page(demo: bool = False) -> str:
    telemetry = Telemetry()
    ok = telemetry.source("prod", "sms")
    ok.polled, ok.up, ok.last_success, ok.last_poll = True, True, NOW - 5, NOW - 5
    ok.tasks, ok.running, ok.failed = 12, 4, 2
    bad = telemetry.source("prod", "oms")
    bad.polled, bad.last_poll = True, NOW - 1
    bad.last_error = "auth: credentials rejected earlier; account backed off for 280 s more"
    bad.last_api_error = "HTTP 401 APIGW.0301 request 9f8e7d at 2027-01-15 08:00:00 UTC"
    telemetry.source("dr", "sms")  # not polled yet
    return render(telemetry, metrics_path="/metrics", now=NOW, demo=demo)


def test_each_source_shows_its_counts_of_running_and_failed_tasks() -> None:
    text = page()
    assert '<td class="num">12</td><td class="num">4</td><td class="num failed">2</td>' in text
    assert '<td class="up">up</td>' in text and '<td class="pending">pending</td>' in text
    assert "(5 s ago)" in text


def test_the_last_api_error_stays_for_a_support_ticket_after_the_back_off() -> None:
    text = page()
    assert "credentials rejected earlier" in text  # what happens now
    assert "APIGW.0301 request 9f8e7d" in text  # and what the API said when it refused


def test_it_refreshes_itself_and_says_when_it_is_the_demo() -> None:
    assert f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' in page()
    assert "Demo mode" in page(demo=True) and "Demo mode" not in page()
