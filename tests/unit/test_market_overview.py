"""/oi numbers: OI change in contracts and notional per window, venues joining mid-window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.market.overview import build_overview
from bot.market.overview_text import compact, price_text, rate_text, render

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@dataclass
class P:
    venue: str
    ts: datetime
    mark: float
    oi_coin: float
    funding_rate: float | None = 0.0001
    funding_interval_hours: int | None = 8
    index_price: float | None = None
    volume_24h_usd: float | None = None

    @property
    def oi_usd(self) -> float:
        return self.oi_coin * self.mark


@dataclass
class F:
    venue: str
    long_usd: float
    short_usd: float


def test_changes_in_contracts_and_notional_and_a_late_venue() -> None:
    hour = timedelta(hours=1)
    history = [
        P("binance", NOW - hour, 100.0, 1000.0),
        P("binance", NOW - 4 * hour, 80.0, 800.0),
        P("bybit", NOW - 4 * hour + timedelta(minutes=3), 80.0, 400.0),  # within tolerance
    ]
    latest = [P("binance", NOW, 110.0, 1100.0), P("bybit", NOW, 110.0, 500.0)]
    overview = build_overview("BTC", latest, history, [F("binance", 5e6, 1e6)], NOW)
    binance, bybit = overview.venues
    assert binance.changes["1h"].contracts_pct == pytest.approx(10.0)
    assert binance.changes["1h"].notional_pct == pytest.approx(21.0)  # price rose 10 % too
    assert bybit.changes["1h"].contracts_pct is None  # no point near an hour ago
    # The 1h aggregate compares binance only (bybit has no past point); 4h compares both.
    assert overview.total.changes["1h"].contracts_pct == pytest.approx(10.0)
    assert overview.total.changes["4h"].contracts_pct == pytest.approx((1600 / 1200 - 1) * 100)
    assert overview.total.changes["24h"].contracts_pct is None
    assert (overview.total.liq_long_1h, overview.total.liq_short_1h) == (5e6, 1e6)
    row, price_pct, oi_pct = overview.readings["1h"]
    assert (row.reading, price_pct, oi_pct) == (
        "new longs entering",
        pytest.approx(10.0),
        pytest.approx(10.0),
    )


def test_funding_is_compared_on_an_8h_basis() -> None:
    latest = [
        P("binance", NOW, 100.0, 1000.0, 0.0001, 8),
        P("hyperliquid", NOW, 100.0, 1000.0, 0.0000125, 1),
    ]
    overview = build_overview("BTC", latest, [], [], NOW)
    assert [line.funding_8h for line in overview.venues] == [
        pytest.approx(0.0001),
        pytest.approx(0.0001),
    ]
    assert overview.total.funding_apr == pytest.approx(0.1095)
    text = render(overview, {"okx": "since 11:58 UTC (timed out after 10s)"}, html=False)
    assert "hyperliq +0.00125/1h" in text
    assert text.endswith("\nLeft out: okx since 11:58 UTC (timed out after 10s)")


@pytest.mark.parametrize(
    ("value", "text"),
    [(5.4e9, "5.4B"), (360000, "360k"), (21.6e9, "21.6B"), (999, "999"), (123456789, "123M")],
)
def test_compact_numbers(value: float, text: str) -> None:
    assert compact(value) == text


def test_rate_text_keeps_the_digit_that_matters() -> None:
    assert (rate_text(0.0001), rate_text(0.0000125), rate_text(-0.0003)) == (
        "+0.0100",
        "+0.00125",
        "-0.0300",
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0000123, "0.0000123"),  # PEPE: never 1.23e-05
        (0.00001, "0.00001"),
        (0.5, "0.5"),
        (0.12345, "0.1235"),
        (123.456, "123.5"),
        (999.4, "999.4"),
        (60000, "60,000"),
    ],
)
def test_a_price_reads_with_four_significant_digits_and_no_exponent(
    value: float, text: str
) -> None:
    assert price_text(value) == text
