"""Since when the oldest tonne of a stock has been on hand, remembered per version of its balance.

The FIFO age (`StockBalanceQuerySet.with_oldest_on_hand`) reads a stock's whole history of inflows: the
costliest query of an enterprise page (bench/RESULTS.md, B5). Its answer only changes when the stock
does, and the stock only changes through its balance: every ledger entry saves its balance in the same
transaction (services.record_ledger_entry and the reversals). A balance's version is its `sync_version`,
new with every transaction that writes it (wasteparks/sync.py), with its `updated_at`, new with every
save within one (Timestamped.save). So the answer for one version of a balance is fixed forever and is
kept in the cache under that version; a balance written since is a new key, read afresh. Nothing is
ever shown stale, and nothing needs forgetting.
"""

from datetime import datetime

from django.core.cache import cache

from .models import StockBalance

# Versions are never reused, so this only bounds the memory an unread answer holds.
REMEMBERED_SECONDS = 24 * 3600


def _key(pk: int, sync_version: int, updated_at: datetime) -> str:
    return f"stock-oldest:{pk}:{sync_version}:{updated_at.timestamp()}"


def with_oldest_on_hand(balances: list[StockBalance]) -> None:
    """Set each of `balances`' `oldest_on_hand_at` as `with_oldest_on_hand()` reads it: from the cache for
    the versions read before, and in one query for the others."""
    keys = {balance.pk: _key(balance.pk, balance.sync_version, balance.updated_at) for balance in balances}
    remembered = cache.get_many(list(keys.values())) if keys else {}
    unseen = [balance.pk for balance in balances if keys[balance.pk] not in remembered]
    read: dict[int, object] = {}
    if unseen:
        rows = list(
            StockBalance.objects.filter(pk__in=unseen)
            .with_oldest_on_hand()
            .values_list("pk", "sync_version", "updated_at", "oldest_on_hand_at")
        )
        # Kept under the version the answer was read at, which a write since may have moved on from.
        cache.set_many({_key(pk, version, at): oldest for pk, version, at, oldest in rows}, REMEMBERED_SECONDS)
        read = {pk: oldest for pk, _version, _at, oldest in rows}
    for balance in balances:
        oldest = read[balance.pk] if balance.pk in read else remembered.get(keys[balance.pk])
        balance.oldest_on_hand_at = oldest  # type: ignore[attr-defined]
