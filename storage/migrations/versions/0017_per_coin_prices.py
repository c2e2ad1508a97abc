"""per-coin prices: stored rows of scaled contracts (1000PEPEUSDT, kPEPE) priced per coin

The venue parsers now store the price of one coin for contracts the venue quotes per 1000 (or
1,000,000) coins, as OKX quotes them. Rows stored before were priced per contract unit: left so,
a PEPE chart would step 1000x at the upgrade, "1h: price" read -99.9 % for an hour, and a
guarded PEPE position's first mark after a restart would be 1000x its entry.

A snapshot row names its symbol beside its asset, so its multiplier is exact: Binance and Bybit
'1000' + asset + 'USDT' (1000) and '1000000' + asset + 'USDT' (1,000,000), Hyperliquid
'k' + asset (1000). Klines are stored per asset, not symbol, and come from Binance only: an
asset's klines are scaled when its Binance snapshots are of a scaled symbol (kept two days, as
the snapshots are kept far longer). OKX lists no scaled contracts. USD amounts (OI, volume,
liquidations) are the same in either unit and stay.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

SNAPSHOT_PRICES = ("mark", "index_price", "last")
KLINE_PRICES = ("open", "high", "low", "close")


def _table(name: str, prices: tuple[str, ...], *keys: str) -> sa.TableClause:
    return sa.table(
        name,
        *(sa.column(key, sa.String) for key in keys),
        *(sa.column(p, sa.Float) for p in prices),
    )


snapshots = _table("market_snapshots", SNAPSHOT_PRICES, "venue", "symbol", "asset")
klines = _table("kline_minutes", KLINE_PRICES, "venue", "asset")
LINEAR = ("binance", "bybit")
# (venues, symbol prefix, symbol suffix, coins per contract unit)
SCALED = (
    (LINEAR, "1000", "USDT", 1000.0),
    (LINEAR, "1000000", "USDT", 1_000_000.0),
    (("hyperliquid",), "k", "", 1000.0),
)

Rescale = Callable[[sa.ColumnElement[float], float], sa.ColumnElement[float]]


def _scaled(venues: tuple[str, ...], prefix: str, suffix: str) -> sa.ColumnElement[bool]:
    symbol = sa.literal(prefix, sa.String) + snapshots.c.asset + sa.literal(suffix, sa.String)
    return sa.and_(snapshots.c.venue.in_(venues), snapshots.c.symbol == symbol)


def _rescale(by: Rescale) -> None:
    def priced(table: sa.TableClause, names: tuple[str, ...], factor: float) -> sa.Update:
        return table.update().values({name: by(table.c[name], factor) for name in names})

    for venues, prefix, suffix, factor in SCALED:
        where = _scaled(venues, prefix, suffix)
        op.execute(priced(snapshots, SNAPSHOT_PRICES, factor).where(where))
        if "binance" not in venues:
            continue
        binance_scaled = (
            sa.select(snapshots.c.asset).where(where, snapshots.c.venue == "binance").distinct()
        )
        op.execute(
            priced(klines, KLINE_PRICES, factor).where(
                klines.c.venue == "binance", klines.c.asset.in_(binance_scaled)
            )
        )


def upgrade() -> None:
    _rescale(lambda price, factor: price / factor)


def downgrade() -> None:
    _rescale(lambda price, factor: price * factor)
