"""The password-check throttle: its bound on checks under way, its growing penalty per address
and its bounded memory, on a clock the test moves."""

from __future__ import annotations

from exporter.web.throttle import Throttle, client_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def fail(throttle: Throttle, address: str, times: int = 1) -> None:
    """`times` checks of `address` that failed (let through, whatever the throttle said)."""
    for _ in range(times):
        throttle.started()
        throttle.finished(address, ok=False)


def test_the_first_failures_are_free_then_the_penalty_doubles_up_to_its_cap() -> None:
    assert [Throttle().penalty(n) for n in range(1, 12)] == [
        0.0,
        0.0,
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        32.0,
        60.0,
        60.0,
        60.0,
    ]
    assert Throttle().penalty(10**6) == 60.0  # no overflow however many failures


def test_an_address_waits_its_penalty_from_its_last_failure_then_is_checked_again() -> None:
    clock = Clock()
    throttle = Throttle(clock=clock)
    fail(throttle, "10.0.0.1", times=4)  # the fourth failure: 2 s
    assert throttle.wait("10.0.0.1") == 2.0
    clock.now += 1.5
    assert throttle.wait("10.0.0.1") == 0.5
    assert throttle.wait("10.0.0.2") == 0.0  # other addresses are not its business
    clock.now += 0.5
    assert throttle.wait("10.0.0.1") == 0.0
    assert throttle.refused == 2


def test_the_right_password_clears_an_addresss_failures() -> None:
    throttle = Throttle(clock=Clock())
    fail(throttle, "10.0.0.1", times=2)
    throttle.started()
    throttle.finished("10.0.0.1", ok=True)
    fail(throttle, "10.0.0.1", times=2)  # free again
    assert throttle.wait("10.0.0.1") == 0.0


def test_checks_under_way_are_bounded_whoever_sends_them() -> None:
    throttle = Throttle(max_pending=3, clock=Clock())
    for n in range(3):
        assert throttle.wait(f"10.0.0.{n}") == 0.0
        throttle.started()
    assert throttle.wait("10.0.0.9") > 0  # refused unchecked, though it never failed
    throttle.finished("10.0.0.0", ok=False)
    assert throttle.wait("10.0.0.9") == 0.0
    assert throttle.pending == 2


def test_an_unheard_answer_frees_its_slot_and_counts_nothing() -> None:
    throttle = Throttle(clock=Clock())
    throttle.started()
    throttle.finished(None, ok=False)
    assert (throttle.pending, throttle.addresses) == (0, 0)


def test_the_table_of_failing_addresses_is_bounded_oldest_first() -> None:
    clock = Clock()
    throttle = Throttle(max_addresses=100, clock=clock)
    fail(throttle, "old", times=5)
    for n in range(100):
        clock.now += 0.001
        fail(throttle, f"10.1.{n // 256}.{n % 256}")
    assert throttle.addresses == 100
    assert throttle.wait("old") == 0.0  # forgotten: the least recently failed left first


def test_clients_count_by_address_an_ipv6_one_by_its_64() -> None:
    assert client_key("192.0.2.7") == "192.0.2.7"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9")
    assert client_key("2001:db8:1:2:aaaa::1") != client_key("2001:db8:1:3::1")
    assert client_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert client_key(None) == client_key("") == ""
    assert client_key("x" * 500) == "x" * 64
