"""Tier tables: loaded from a dated data file, validated, and looked up by notional."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from bot.i18n import _
from bot.i18n.numbers import grouped, quantized
from bot.i18n.quantities import coins_of
from bot.risk.formulas import cum_next
from bot.risk.models import RiskInputError, TierInfo

TOLERANCE = Decimal("0.01")  # published maintenance amounts are rounded to the cent


class BadTierTable(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class TierTable:
    venue: str
    symbol: str
    date: str
    source: str
    tiers: tuple[TierInfo, ...]
    # Binance and Bybit tier by USD notional with a maintenance amount keeping MM continuous;
    # OKX tiers by position size (contracts, stored here in coin) and applies the tier's rate
    # to the whole position, so its ladder is not continuous.
    unit: str = "notional"
    continuous: bool = True

    def for_notional(self, notional: Decimal) -> TierInfo:
        """The tier containing `notional` (floor < notional <= cap; the first tier from 0);
        for a coin-denominated table, pass the size in coin."""
        for tier in self.tiers:
            if notional <= tier.cap:
                return tier
        raise RiskInputError(
            _(
                "{venue} {symbol}: a position of {notional} is beyond the largest tier "
                "I have ({cap}, table of {date}); add your rate, e.g. mmr=1%",
                venue=self.venue,
                symbol=self.symbol,
                notional=self._in_unit(notional),
                cap=self._in_unit(self.tiers[-1].cap),
                date=self.date,
            )
        )

    def _in_unit(self, size: Decimal) -> str:
        """'1,500,000 USD', or in coin '1 coin', '5 coins' (ru '1 монета', '5 монет')."""
        whole = quantized(size, 0)
        if self.unit == "notional":
            return f"{grouped(whole, 0)} USD"
        return coins_of(whole, grouped(whole, 0))


def make_table(
    venue: str,
    symbol: str,
    date: str,
    source: str,
    rows: Iterable[Sequence[str | Decimal]],
    *,
    unit: str = "notional",
    continuous: bool = True,
) -> TierTable:
    tiers = tuple(
        TierInfo(
            venue=venue,
            symbol=symbol,
            number=number,
            floor=Decimal(floor),
            cap=Decimal(cap),
            max_leverage=Decimal(max_lev),
            mmr=Decimal(mmr),
            maintenance_amount=Decimal(cum),
            table_date=date,
            source=source,
        )
        for number, (floor, cap, max_lev, mmr, cum) in enumerate(rows, start=1)
    )
    table = TierTable(venue, symbol, date, source, tiers, unit, continuous)
    validate(table)
    return table


def validate(table: TierTable) -> None:
    """Contiguous, increasing, and maintenance margin continuous in notional (the recursion):
    a mistyped row would otherwise give a jump in every answer near its boundary."""
    if not table.tiers:
        raise BadTierTable(f"{table.venue} {table.symbol}: empty table")
    previous: TierInfo | None = None
    for tier in table.tiers:
        numbers = (tier.floor, tier.cap, tier.max_leverage, tier.mmr, tier.maintenance_amount)
        # A live answer can say "NaN" or "-1" as well as a typo can: no rate or leverage from it.
        if not all(n.is_finite() for n in numbers):
            raise BadTierTable(f"{table.venue} {table.symbol} tier {tier.number}: not a number")
        if tier.max_leverage <= 0 or not 0 <= tier.mmr < 1:
            raise BadTierTable(
                f"{table.venue} {table.symbol} tier {tier.number}: leverage "
                f"{tier.max_leverage} or maintenance rate {tier.mmr} out of range"
            )
        if tier.cap <= tier.floor:
            raise BadTierTable(f"{table.venue} {table.symbol} tier {tier.number}: cap <= floor")
        if previous is None:
            if tier.floor != 0 or tier.maintenance_amount != 0:
                raise BadTierTable(f"{table.venue} {table.symbol}: tier 1 must start at 0")
        elif not table.continuous:
            if tier.floor != previous.cap:
                raise BadTierTable(
                    f"{table.venue} {table.symbol} tier {tier.number}: gap after {previous.cap}"
                )
        else:
            if tier.floor != previous.cap:
                raise BadTierTable(
                    f"{table.venue} {table.symbol} tier {tier.number}: gap after {previous.cap}"
                )
            expected = cum_next(tier.floor, tier.mmr, previous.mmr, previous.maintenance_amount)
            if abs(expected - tier.maintenance_amount) > TOLERANCE:
                raise BadTierTable(
                    f"{table.venue} {table.symbol} tier {tier.number}: maintenance amount "
                    f"{tier.maintenance_amount} breaks the recursion (expected {expected})"
                )
        previous = tier


class TierBook:
    def __init__(self, tables: Iterable[TierTable], defaults: set[tuple[str, str, str]]):
        self._tables: dict[tuple[str, str], list[TierTable]] = {}
        for table in tables:
            self._tables.setdefault((table.venue, table.symbol), []).append(table)
        self._defaults = defaults

    def with_live(self, tables: Iterable[TierTable]) -> TierBook:
        """A new book where each live table becomes the default for its venue and symbol
        (bundled tables stay available by date)."""
        book = TierBook([], set(self._defaults))
        book._tables = {key: list(value) for key, value in self._tables.items()}
        for table in tables:
            key = (table.venue, table.symbol)
            book._tables[key] = [t for t in book._tables.get(key, []) if t.date != table.date]
            book._tables[key].insert(0, table)
            book._defaults = {d for d in book._defaults if d[:2] != key}
            book._defaults.add((table.venue, table.symbol, table.date))
        return book

    def get(self, venue: str, symbol: str, date: str | None = None) -> TierTable | None:
        tables = self._tables.get((venue, symbol.upper()), [])
        for table in tables:
            if date is not None and table.date == date:
                return table
            if date is None and (venue, table.symbol, table.date) in self._defaults:
                return table
        return None

    def symbols(self, venue: str) -> list[str]:
        return sorted(symbol for v, symbol in self._tables if v == venue)


@cache
def load_default_tiers() -> TierBook:
    raw = json.loads(resources.files("bot.risk").joinpath("data/tiers.json").read_text())
    tables, defaults = [], set()
    for entry in raw["tables"]:
        tables.append(
            make_table(
                entry["venue"],
                entry["symbol"],
                entry["date"],
                entry["source"],
                entry["rows"],
                unit=entry.get("unit", "notional"),
            )
        )
        if entry.get("default"):
            defaults.add((entry["venue"], entry["symbol"], entry["date"]))
    return TierBook(tables, defaults)


def _rate_scale(row: dict[str, Any]) -> Decimal:
    """1 when rates are fractions (linear: "0.005"), 100 when percent (the inverse example
    answers "0.5" with initialMargin "1" at 100x): the initial rate times the max leverage
    is 1 in fractions, 100 in percent."""
    initial = row.get("initialMargin")
    if initial in (None, ""):
        return Decimal(1)
    product = Decimal(initial) * Decimal(row["maxLeverage"])
    return Decimal(100) if abs(product - 100) < abs(product - 1) else Decimal(1)


def tiers_from_bybit_risk_limit(
    payload: dict[str, Any], symbol: str, date: str, *, name: str | None = None
) -> TierTable:
    """Bybit GET /v5/market/risk-limit?category=linear|inverse&symbol=...: one row per tier with
    its cap (riskLimitValue: USDT for linear, coin for inverse), maintenance rate, max leverage
    and MM deduction ("" on tier 1, derived by the recursion when absent). Raises BadTierTable
    when the ladder does not hold. `name`: the table's symbol when not the venue's own
    (PEPEUSDT for 1000PEPEUSDT)."""
    inverse = payload["result"].get("category") == "inverse"
    rows = sorted(
        (r for r in payload["result"]["list"] if r.get("symbol") == symbol),
        key=lambda r: Decimal(r["riskLimitValue"]),
    )
    if not rows:
        raise BadTierTable(f"bybit {symbol}: no tiers in the answer")
    ladder: list[tuple[Decimal, Decimal, Decimal, Decimal, Decimal]] = []
    floor = prev_mmr = prev_cum = Decimal(0)
    for row in rows:
        cap = Decimal(row["riskLimitValue"])
        mmr = Decimal(row["maintenanceMargin"]) / _rate_scale(row)
        given = row.get("mmDeduction")
        cum = (
            Decimal(given)
            if given not in (None, "")
            else (cum_next(floor, mmr, prev_mmr, prev_cum) if ladder else Decimal(0))
        )
        ladder.append((floor, cap, Decimal(row["maxLeverage"]), mmr, cum))
        floor, prev_mmr, prev_cum = cap, mmr, cum
    return make_table(
        "bybit",
        name or symbol,
        date,
        "Bybit /v5/market/risk-limit (live)",
        ladder,
        unit="coin" if inverse else "notional",
    )


def tiers_from_okx_position_tiers(
    payload: dict[str, Any], symbol: str, ct_val: Decimal, date: str
) -> TierTable:
    """OKX GET /api/v5/public/position-tiers (instType=SWAP, tdMode=isolated): tiers by
    position size in contracts (maxSz), converted to coin with the contract value, each with
    its maintenance rate and max leverage; no maintenance amount."""
    rows = sorted(payload["data"], key=lambda r: int(r["tier"]))
    if not rows:
        raise BadTierTable(f"okx {symbol}: no tiers in the answer")
    ladder = []
    floor = Decimal(0)
    for row in rows:
        cap = Decimal(row["maxSz"]) * ct_val
        ladder.append((floor, cap, Decimal(row["maxLever"]), Decimal(row["mmr"]), Decimal(0)))
        floor = cap
    return make_table(
        "okx",
        symbol,
        date,
        "OKX /api/v5/public/position-tiers (live)",
        ladder,
        unit="coin",
        continuous=False,
    )
