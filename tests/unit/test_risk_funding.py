"""Funding vectors F1-F13 of docs/reference/risk-math.md §8."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from bot.risk.funding import (
    annualize_compounded,
    annualize_simple,
    cap_funding,
    clamp_funding,
    count_settlements,
    funding_cash_flow,
    per_8h_equivalent,
    quote_funding,
)
from bot.risk.models import FundingRequest, RiskInputError
from bot.risk.side import Side


def test_f1_constant_rate_three_days() -> None:
    quote = quote_funding(FundingRequest(D(10000), D("0.0001"), D(72)))
    assert (quote.intervals, quote.per_interval, quote.total_cost) == (9, D(1), D(9))
    assert (quote.payer, quote.you_pay, quote.signed_total) == (Side.LONG, True, D(-9))
    short = quote_funding(FundingRequest(D(10000), D("0.0001"), D(72), side=Side.SHORT))
    assert (short.you_pay, short.signed_total) == (False, D(9))


@pytest.mark.parametrize(
    ("rate", "hours", "apr"),
    [("0.0001", 8, "0.1095"), ("0.0001", 4, "0.2190"), ("0.0000125", 1, "0.1095")],
)
def test_f2_simple_apr(rate: str, hours: int, apr: str) -> None:
    assert annualize_simple(D(rate), D(hours)) == D(apr)


@pytest.mark.parametrize(
    ("rate", "hours", "apr"), [("0.0001", 8, "0.115714"), ("0.0000125", 1, "0.115719")]
)
def test_f3_compounded_apr(rate: str, hours: int, apr: str) -> None:
    assert annualize_compounded(D(rate), D(hours)).quantize(D("0.000001")) == D(apr)


def test_f4_hyperliquid_hourly_same_economics() -> None:
    quote = quote_funding(FundingRequest(D(10000), D("0.0000125"), D(72), interval_hours=D(1)))
    assert (quote.per_interval, quote.intervals, quote.total_cost) == (D("0.125"), 72, D(9))


def test_f5_normalize_mixed_intervals() -> None:
    assert per_8h_equivalent(D("0.0000125"), D(1)) == D("0.0001")
    assert per_8h_equivalent(D("0.00005"), D(4)) == D("0.0001")
    day_binance = quote_funding(FundingRequest(D(10000), D("0.0001"), D(24))).total_cost
    day_hl = quote_funding(FundingRequest(D(10000), D("0.0000125"), D(24), D(1))).total_cost
    assert day_binance == day_hl == D(3)


@pytest.mark.parametrize(
    ("premium", "expected"),
    [
        ("0.0002", "0.0001"),
        ("0.0007", "0.0002"),
        ("0.0010", "0.0005"),
        ("-0.0003", "0.0001"),
        ("-0.0010", "-0.0005"),
        ("0.0020", "0.0015"),
    ],
)
def test_f6_clamp(premium: str, expected: str) -> None:
    assert clamp_funding(D(premium)) == D(expected)


def test_f7_hyperliquid_docs_example() -> None:
    f_8h = clamp_funding(D("0.01"))
    hourly = f_8h / 8
    assert (f_8h, hourly) == (D("0.0095"), D("0.0011875"))
    assert D(10) * D(10000) * hourly == D("118.75")


def test_f8_okx_cap() -> None:
    assert cap_funding(D("0.005"), D("0.00375")) == D("0.00375")


@pytest.mark.parametrize(
    ("imr", "mmr", "cap"), [("0.008", "0.004", "0.003"), ("0.013", "0.0065", "0.004875")]
)
def test_f9_binance_cap_candidate(imr: str, mmr: str, cap: str) -> None:
    assert D("0.75") * (D(imr) - D(mmr)) == D(cap)


def test_f10_varying_mark_and_rate() -> None:
    flows = [(D(60000), D("0.0001")), (D(62000), D("0.0002")), (D(58000), D("-0.00005"))]
    assert funding_cash_flow(Side.LONG, D("0.2"), flows) == D("-3.10")


def test_f11_negative_rate_short_pays() -> None:
    quote = quote_funding(FundingRequest(D(25000), D("-0.0005"), D(8), side=Side.SHORT))
    assert (quote.payer, quote.you_pay, quote.total_cost) == (Side.SHORT, True, D("12.5"))


def test_f12_real_binance_history() -> None:
    rates = [
        D(r)
        for r in (
            "7.85e-06",
            "3.879e-05",
            "1.013e-05",
            "1e-04",
            "1e-04",
            "4.67e-06",
            "-3.055e-05",
            "2.865e-05",
            "-1.0915e-04",
        )
    ]
    paid = -funding_cash_flow(Side.LONG, D(1), [(D(10000), r) for r in rates])
    assert paid == D("1.5039")
    mean = sum(rates) / len(rates)
    assert annualize_simple(mean, D(8)).quantize(D("0.0001")) == D("0.0183")


@pytest.mark.parametrize(
    ("opened", "closed", "expected"),
    [((7, 30), (8, 30), 1), ((8, 1), (15, 59), 0), ((0, 0), (23, 59), 2), ((0, 0), (24, 0), 3)],
)
def test_f13_settlement_counting(opened, closed, expected) -> None:
    def at(hour: int, minute: int) -> datetime:
        day = 10 + hour // 24
        return datetime(2025, 10, day, hour % 24, minute, tzinfo=UTC)

    assert count_settlements(at(*opened), at(*closed), 8) == expected


def test_funding_moves_an_isolated_liquidation_price() -> None:
    quote = quote_funding(
        FundingRequest(D(10000), D("0.0003"), D(48), leverage=D(20), entry=D(50000))
    )
    assert quote.liq_before is not None
    assert (quote.liq_before.liquidation_price, quote.liq_after) == (D(47750), D(47840))


@pytest.mark.parametrize(
    ("req", "message"),
    [
        (FundingRequest(D(0), D("0.0001"), D(8)), "notional"),
        (FundingRequest(D(100), D("0.5"), D(8)), "within ±5%"),
        (FundingRequest(D(100), D("0.0001"), D(0)), "hold"),
        (FundingRequest(D(100), D("0.0001"), D(9000)), "at most a year"),
        (FundingRequest(D(100), D("0.0001"), D(8), interval_hours=D(3)), "interval"),
    ],
)
def test_bad_funding_requests(req: FundingRequest, message: str) -> None:
    with pytest.raises(RiskInputError, match=message):
        quote_funding(req)
