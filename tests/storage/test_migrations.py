"""Stairway: every revision upgrades, downgrades and upgrades again, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from storage.db import make_engine
from storage.migrate import alembic_config, downgrade_database, upgrade_database


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


async def _tables(engine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_stairway(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        previous = "base"
        for revision in _revisions():
            await upgrade_database(engine, revision)
            after_up = await _tables(engine)
            await downgrade_database(engine, previous)
            await upgrade_database(engine, revision)
            assert await _tables(engine) == after_up
            previous = revision
        assert {"users", "chats"} <= await _tables(engine)
    finally:
        await engine.dispose()


async def test_migrations_match_the_models(engine) -> None:
    """A model change without a migration (or the reverse) shows up here, not in production."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import storage.models  # noqa: F401

    def diff(sync_conn):
        context = MigrationContext.configure(sync_conn, opts={"compare_type": False})
        return compare_metadata(context, SQLModel.metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_replicas_starting_together_migrate_once(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas need PostgreSQL; SQLite is one process")
    engines = [make_engine(database_url) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade_database(engine) for engine in engines))
        assert {"users", "rule_changes"} <= await _tables(engines[0])
    finally:
        for engine in engines:
            await engine.dispose()


@pytest.mark.parametrize("remembered_by", ["the change log", "an alert's buttons"])
async def test_0013_keeps_the_rows_and_never_reuses_a_removed_rules_id(
    database_url: str, remembered_by: str
) -> None:
    """Rule #4 was removed before the upgrade, the newest: its id may still sit under a button
    (the change log or a kept alert says so), so the next rule is #5, not #4 again."""
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from bot.positions.model import GuardState
    from storage.db import make_session_factory
    from storage.models import OutboxMessage, WatchRuleRow
    from storage.repositories.positions import PositionRepository
    from storage.repositories.rules import RuleRepository
    from storage.statements import table_of
    from tests.storage.test_positions import CLAIM

    # The rules and the alert are written as 0012's schema had them: the repositories of today
    # write the columns added since (0016's rule revision).
    rules_then = sa.table(
        "watch_rules",
        *(sa.column(c.name, c.type) for c in table_of(WatchRuleRow).c if c.name != "revision"),
    )

    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    engine = make_engine(database_url)
    try:
        await upgrade_database(engine, "0012")
        sessions = make_session_factory(engine)
        rules, positions = RuleRepository(sessions), PositionRepository(sessions)
        async with sessions() as session:
            for asset in ("BTC", "ETH", "SOL", "XRP"):
                rule = {"text": f"{asset} funding > 0.05%", "cooldown_s": 1800, "created_at": now}
                await session.execute(
                    sa.insert(rules_then).values(
                        chat_id=-100, created_by=7, paused=False, armed=True, **rule
                    )
                )
            alert = {"text": "XRP funding 0.06% crossed", "due_at": now, "created_at": now}
            session.add(OutboxMessage(chat_id=-100, dedup_key="xrp", rules=(4,), **alert))
            await session.commit()
        await rules.mute(-100, 2, now + timedelta(hours=1))
        assert await rules.delete(-100, 4) == [4]
        if remembered_by != "the change log":
            await rules.prune_changes(now + timedelta(days=2))
        for _ in range(2):
            await positions.add(7, 7, CLAIM, GuardState(), now, cap=20)
        await positions.close(7, 2, now)

        await upgrade_database(engine)

        kept = [(r.id, r.text, r.muted_until) for r in await rules.for_chat(-100)]
        assert kept == [
            (1, "BTC funding > 0.05%", None),
            (2, "ETH funding > 0.05%", now + timedelta(hours=1)),
            (3, "SOL funding > 0.05%", None),
        ]
        assert (await rules.add(-100, 7, "ADA funding > 0.05%", now, cap=50)).id == 5
        assert await rules.delete(-100, 5) == [5]
        assert (await rules.add(-100, 7, "DOGE funding > 0.05%", now, cap=50)).id == 6
        assert [(p.id, p.claim) for p in await positions.for_user(7)] == [(1, CLAIM)]
        assert (await positions.add(7, 7, CLAIM, GuardState(), now, cap=20)).id == 3
    finally:
        await engine.dispose()


async def test_0017_prices_stored_scaled_rows_per_coin_and_back(database_url: str) -> None:
    """Rows stored before the parsers priced one coin: Binance's and Bybit's 1000PEPEUSDT,
    Hyperliquid's kPEPE and Binance's 1000000MOGUSDT at the price of a contract unit, OKX's PEPE
    and BTC at the price of one coin. After the upgrade each is priced per coin, its USD as it
    was, and Binance's PEPE klines too; the downgrade gives back what was stored."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from bot.market.klines import KlineMinute
    from bot.market.models import Snapshot, Venue
    from storage.db import make_session_factory
    from storage.repositories.snapshots import SnapshotRepository

    ts = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

    def stored(venue: Venue, symbol: str, asset: str, price: str) -> Snapshot:
        p = Decimal(price)
        return Snapshot(
            venue, symbol, asset, False, ts, p, p, p, Decimal(1), Decimal(1), Decimal(12300),
            None, None, None, None, None,
        )  # fmt: skip

    before = [
        stored(Venue.BINANCE, "1000PEPEUSDT", "PEPE", "0.015625"),  # 1/64 a 1000 PEPE
        stored(Venue.BYBIT, "1000PEPEUSDT", "PEPE", "0.015625"),
        stored(Venue.HYPERLIQUID, "kPEPE", "PEPE", "0.015625"),
        stored(Venue.OKX, "PEPE-USDT-SWAP", "PEPE", "0.000015625"),
        stored(Venue.BINANCE, "1000000MOGUSDT", "MOG", "1.5"),
        stored(Venue.BINANCE, "BTCUSDT", "BTC", "60000"),
        stored(Venue.HYPERLIQUID, "BTC", "BTC", "60000"),
    ]
    kline = KlineMinute("binance", "PEPE", ts, 0.015625, 0.03125, 0.0078125, 0.015625, 5000, 2000)
    btc_kline = KlineMinute("binance", "BTC", ts, 60000, 60100, 59900, 60050, 90, 40)
    engine = make_engine(database_url)
    try:
        await upgrade_database(engine, "0016")
        repository = SnapshotRepository(make_session_factory(engine))
        await repository.save(before)
        await repository.add_klines([kline, btc_kline])

        async def prices() -> dict[tuple[str, str], tuple[float, ...]]:
            rows = [r for asset in ("PEPE", "MOG", "BTC") for r in await repository.latest(asset)]
            bars = [k for asset in ("PEPE", "BTC") for k in await repository.klines(asset, ts)]
            return {
                (r.venue, r.symbol): (r.mark, r.index_price, r.last, r.oi_usd) for r in rows
            } | {(k.venue, k.asset): (k.open, k.high, k.low, k.close, k.volume) for k in bars}

        as_stored = await prices()
        await upgrade_database(engine, "0017")
        pepe = (0.000015625, 0.000015625, 0.000015625, 12300.0)
        btc = (60000.0, 60000.0, 60000.0, 12300.0)
        assert await prices() == {
            ("binance", "1000PEPEUSDT"): pepe,
            ("bybit", "1000PEPEUSDT"): pepe,
            ("hyperliquid", "kPEPE"): pepe,
            ("okx", "PEPE-USDT-SWAP"): pepe,
            ("binance", "1000000MOGUSDT"): (0.0000015, 0.0000015, 0.0000015, 12300.0),
            ("binance", "BTCUSDT"): btc,
            ("hyperliquid", "BTC"): btc,
            ("binance", "PEPE"): (0.000015625, 0.00003125, 0.0000078125, 0.000015625, 5000.0),
            ("binance", "BTC"): (60000.0, 60100.0, 59900.0, 60050.0, 90.0),
        }
        await downgrade_database(engine, "0016")
        assert await prices() == as_stored
    finally:
        await engine.dispose()
