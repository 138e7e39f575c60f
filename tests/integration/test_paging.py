"""Listing every task: page 1 first, the rest at once, each task once, within the API's limits."""

from __future__ import annotations

from exporter.huawei.paging import MAX_BELIEVED_COUNT
from exporter.simulator.cloud import FakeCloud, Fault
from tests.conftest import FAST, Wiring


def _fill(cloud: FakeCloud, sms: int = 0, oms: int = 0) -> None:
    tenant = cloud.tenants[0]
    tenant.sms_tasks = [{"id": f"sms-{i}", "state": "RUNNING"} for i in range(sms)]
    tenant.oms_tasks = [{"id": i, "status": 2} for i in range(oms)]


async def test_no_tasks_is_one_request(wiring: Wiring, cloud: FakeCloud) -> None:
    listing = await wiring.sms().list_items(max_items=10_000)
    assert listing.items == [] and listing.count == 0 and listing.not_fetched == 0
    assert cloud.stats.served("sms") == 1


async def test_sms_pages_of_200_cover_an_exact_multiple(wiring: Wiring, cloud: FakeCloud) -> None:
    _fill(cloud, sms=600)
    listing = await wiring.sms().list_items(max_items=10_000)
    assert [t.key for t in listing.items] == [f"sms-{i}" for i in range(600)]
    assert cloud.stats.served("sms") == 3
    assert cloud.stats.log[0].query == "limit=200&offset=0"
    assert sorted(r.query for r in cloud.stats.log[1:]) == [
        "limit=200&offset=200",
        "limit=200&offset=400",
    ]


async def test_oms_pages_of_100_with_a_short_last_page(wiring: Wiring, cloud: FakeCloud) -> None:
    _fill(cloud, oms=250)
    listing = await wiring.oms().list_items(max_items=10_000)
    assert len(listing.items) == 250
    assert cloud.stats.served("oms") == 3
    assert cloud.stats.log[0].query == "limit=100&offset=0"


async def test_remaining_pages_are_fetched_concurrently(wiring: Wiring, cloud: FakeCloud) -> None:
    pages = FAST.max_in_flight + 8  # more than may be in flight at once
    _fill(cloud, sms=200 * pages)
    cloud.tenants[0].latency = 0.05
    await wiring.sms().list_items(max_items=100_000)
    assert cloud.stats.served("sms") == pages
    assert cloud.stats.max_in_flight == FAST.max_in_flight  # the per-endpoint bound, reached


async def test_count_larger_than_the_pages_hold(wiring: Wiring, cloud: FakeCloud) -> None:
    """The total said 500 but only 300 exist: every page is asked once, 300 tasks result."""
    _fill(cloud, sms=300)
    cloud.tenants[0].count_skew = 200
    listing = await wiring.sms().list_items(max_items=10_000)
    assert len(listing.items) == 300
    assert cloud.stats.served("sms") == 3


async def test_count_smaller_than_the_pages_hold(wiring: Wiring, cloud: FakeCloud) -> None:
    """The total said 150 but 450 exist: full pages keep paging until a short one."""
    _fill(cloud, sms=450)
    cloud.tenants[0].count_skew = -300
    listing = await wiring.sms().list_items(max_items=10_000)
    assert len(listing.items) == 450
    assert listing.count == 450
    assert cloud.stats.served("sms") == 3


async def test_tasks_appearing_between_pages_are_not_counted_twice(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    _fill(cloud, oms=300)
    cloud.tenants[0].add_fault(Fault(service="oms", kind="churn", times=3))
    listing = await wiring.oms().list_items(max_items=10_000)
    ids = [t.key for t in listing.items]
    assert len(ids) == len(set(ids))
    assert {str(i) for i in range(300)} <= set(ids)  # head insertions shift, never hide


async def test_tasks_vanishing_between_pages_leave_no_duplicates(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    _fill(cloud, sms=500)
    cloud.tenants[0].add_fault(Fault(service="sms", kind="vanish", times=2))
    listing = await wiring.sms().list_items(max_items=10_000)
    ids = [t.key for t in listing.items]
    assert len(ids) == len(set(ids))
    assert len(ids) < 500  # the gaps the vanishing tasks left are real, not invented


async def test_sms_stops_at_the_offset_ceiling_and_reports_the_rest(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    _fill(cloud, sms=66_000)
    listing = await wiring.sms().list_items(max_items=100_000)
    # Offsets go up to 65535, and the page there reaches task 65734.
    assert len(listing.items) == 65_735
    assert listing.count == 66_000
    assert listing.not_fetched == 265
    offsets = {int(r.query.split("offset=")[1]) for r in cloud.stats.log}
    assert max(offsets) == 65_535
    assert all(r.status == 200 for r in cloud.stats.log)


async def test_oms_stops_at_its_documented_offset_ceiling(wiring: Wiring, cloud: FakeCloud) -> None:
    _fill(cloud, oms=10_250)
    listing = await wiring.oms().list_items(max_items=100_000)
    # Offsets go up to 10000 (the Chinese reference's cap), and the page there ends at 10099.
    assert len(listing.items) == 10_100
    assert listing.not_fetched == 150
    offsets = {int(r.query.split("offset=")[1]) for r in cloud.stats.log}
    assert max(offsets) == 10_000
    assert all(r.status == 200 for r in cloud.stats.log)


async def test_max_tasks_bounds_what_is_fetched(wiring: Wiring, cloud: FakeCloud) -> None:
    _fill(cloud, sms=1000)
    listing = await wiring.sms().list_items(max_items=450)
    assert len(listing.items) == 450
    assert listing.not_fetched == 550
    assert cloud.stats.served("sms") == 3


async def test_a_lying_count_on_a_short_first_page_is_one_request_and_nothing_left_out(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    """count says 10^12, page 1 holds 3: the list ended there; the other pages it claims
    are never asked for, and nothing is reported as not exported."""
    _fill(cloud, sms=3)
    cloud.tenants[0].count_skew = 10**12 - 3
    listing = await wiring.sms().list_items(max_items=10_000)
    assert len(listing.items) == 3
    assert listing.not_fetched == 0 and listing.count == 3
    assert cloud.stats.served("sms") == 1


async def test_a_lying_count_past_a_short_page_leaves_out_only_what_the_cap_cut(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    _fill(cloud, sms=500)
    cloud.tenants[0].count_skew = 10**12
    listing = await wiring.sms().list_items(max_items=450)
    # Pages at 0, 200 and 400 (short: 100): 500 tasks, the list's end; the cap cut 50.
    assert len(listing.items) == 450
    assert listing.not_fetched == 50 and listing.count == 500


async def test_a_count_past_full_pages_is_believed_only_up_to_a_bound(
    wiring: Wiring, cloud: FakeCloud
) -> None:
    """Stopped by the cap on full pages, more may exist than were seen: `count` says how
    many, but no list holds 10^12 tasks."""
    _fill(cloud, sms=1000)
    cloud.tenants[0].count_skew = 10**12
    listing = await wiring.sms().list_items(max_items=450)
    assert len(listing.items) == 450
    assert listing.count == MAX_BELIEVED_COUNT
    assert listing.not_fetched == MAX_BELIEVED_COUNT - 450
    assert cloud.stats.served("sms") == 3
