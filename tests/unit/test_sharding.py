"""Sharding: every account is polled by exactly one replica, the same one every time."""

from __future__ import annotations

from exporter.settings import Settings
from exporter.sources import my_accounts, shard_of


def settings(shard: int, total: int, accounts: int) -> Settings:
    return Settings.model_validate(
        {
            "shard": shard,
            "total_shards": total,
            "accounts": [
                {
                    "name": f"account-{i:03d}",
                    "region": "r",
                    "credentials": {"access_key": "a", "secret_key": "s"},
                }
                for i in range(accounts)
            ],
        }
    )


def test_every_account_belongs_to_exactly_one_shard() -> None:
    for total in (1, 2, 3, 5, 8):
        owners: dict[str, list[int]] = {}
        for shard in range(total):
            for account in my_accounts(settings(shard, total, 100)):
                owners.setdefault(account.name, []).append(shard)
        assert len(owners) == 100
        assert all(len(shards) == 1 for shards in owners.values())


def test_shards_are_reasonably_balanced() -> None:
    sizes = [len(my_accounts(settings(shard, 4, 400))) for shard in range(4)]
    assert min(sizes) >= 70 and max(sizes) <= 130


def test_the_assignment_is_stable_across_processes() -> None:
    """sha256 of the name, not Python's salted hash(): pinned values hold on every machine."""
    assert [shard_of(f"account-{i:03d}", 4) for i in range(8)] == [3, 1, 1, 3, 0, 1, 3, 1]
    assert shard_of("prod-ap3", 7) == 6
    assert shard_of("prod-ap3", 1) == 0
