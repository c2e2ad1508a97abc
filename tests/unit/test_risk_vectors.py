"""Every liquidation test vector of docs/reference/risk-math.md §8, to the cent or 1e-9."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from bot.risk import formulas
from bot.risk.models import Formula, LiqRequest, MarginMode, RiskInputError
from bot.risk.quote import quote_liquidation
from bot.risk.side import Side
from bot.risk.tiers import (
    BadTierTable,
    load_default_tiers,
    make_table,
    tiers_from_bybit_risk_limit,
    tiers_from_okx_position_tiers,
)

CENT = D("0.01")
LONG, SHORT = Side.LONG, Side.SHORT


def cents(value: D) -> D:
    return value.quantize(CENT)


def close(value: D, expected: str, rel: str = "1e-9") -> bool:
    return abs(value - D(expected)) <= abs(D(expected)) * D(rel)


# -- Binance USDⓈ-M ------------------------------------------------------------------------


def test_b1_binance_cross_faq_btc() -> None:
    lp = formulas.binance_usdm(
        D("1535443.01"),
        D("109.488"),
        D("32481.98"),
        D("0.025"),
        D(16300),
        1,
        other_maintenance=D("356512.508122"),
        other_upnl=D("-448192.88514"),
    )
    assert cents(lp) == D("26316.89")


def test_b2_binance_cross_faq_eth() -> None:
    lp = formulas.binance_usdm(
        D("1535443.01"),
        D("3683.979"),
        D("1456.84"),
        D("0.10"),
        D(135365),
        1,
        other_maintenance=D("71200.811444"),
        other_upnl=D("-56354.56848"),
    )
    assert cents(lp) == D("1153.26")


@pytest.mark.parametrize(
    ("wallet", "qty", "entry", "mmr", "cum", "side", "expected"),
    [
        ("1535443.01", "3683.979", "1456.84", "0.10", "135365", 1, "1114.78"),  # B3
        ("1535443.01", "109.488", "32481.98", "0.025", "16300", 1, "18778.73"),  # B4
    ],
)
def test_b3_b4_binance_isolated_inputs(wallet, qty, entry, mmr, cum, side, expected) -> None:
    assert cents(formulas.binance_usdm(D(wallet), D(qty), D(entry), D(mmr), D(cum), side)) == D(
        expected
    )


@pytest.mark.parametrize(
    ("wallet", "side", "expected"),
    [
        ("2", -1, "11.891089108910891"),  # B5
        ("3.3333333333333335", -1, "13.211221122112212"),  # B6
        ("2", 1, "8.070707070707071"),  # B7
        ("3.3333333333333335", 1, "6.723905723905723"),  # B8
    ],
)
def test_b5_b8_freqtrade_binance(wallet: str, side: int, expected: str) -> None:
    lp = formulas.binance_usdm(D(wallet), D(1), D(10), D("0.01"), D("0.01"), side)
    assert close(lp, expected)


def test_b9_binance_tier1_50x_long() -> None:
    quote = quote_liquidation(LiqRequest(D(50000), D(50), LONG, venue="binance", symbol="BTCUSDT"))
    assert cents(quote.liquidation_price) == D("49196.79")
    assert quote.distance_pct.quantize(D("0.001")) == D("1.606")
    assert cents(quote.loss_at_liquidation) == D("803.21")
    maintenance_at_lp = quote.liquidation_price * quote.mmr - quote.maintenance_amount
    assert cents(maintenance_at_lp) == D("196.79")  # = margin - loss, the check in B9
    assert (quote.formula, quote.tier.number, quote.margin) == (Formula.BINANCE_USDM, 1, 1000)


@pytest.mark.parametrize(
    ("leverage", "side", "expected"),
    [(50, SHORT, "50796.81"), (25, LONG, "48192.77"), (25, SHORT, "51792.83")],
)
def test_b10_binance_tier1(leverage: int, side: Side, expected: str) -> None:
    req = LiqRequest(D(50000), D(leverage), side, venue="binance", symbol="BTCUSDT")
    assert cents(quote_liquidation(req).liquidation_price) == D(expected)


@pytest.mark.parametrize(
    ("date", "expected", "cum"), [("2024-10-24", "45221.11", 50), ("2025-26", "45195.98", 300)]
)
def test_b11_binance_tier2_by_table_date(date: str, expected: str, cum: int) -> None:
    req = LiqRequest(D(50000), D(10), LONG, venue="binance", symbol="BTCUSDT", size=D(10))
    quote = quote_liquidation(req, tier_date=date)
    assert cents(quote.liquidation_price) == D(expected)
    assert (quote.tier.number, quote.maintenance_amount) == (2, cum)


def test_b12_tier_follows_the_notional_at_the_liquidation_price() -> None:
    # 1.01 BTC at 50,000 is 50,500 (tier 2 of the 2024 table); at the liquidation price it is
    # 49,688 (tier 1), so tier 1 applies.
    tier1 = formulas.binance_usdm(D(1010), D("1.01"), D(50000), D("0.004"), D(0), 1)
    tier2 = formulas.binance_usdm(D(1010), D("1.01"), D(50000), D("0.005"), D(50), 1)
    assert (cents(tier1), cents(tier2)) == (D("49196.79"), D("49196.48"))
    req = LiqRequest(D(50000), D(50), LONG, venue="binance", symbol="BTCUSDT", size=D("1.01"))
    quote = quote_liquidation(req, tier_date="2024-10-24")
    assert (cents(quote.liquidation_price), quote.tier.number) == (D("49196.79"), 1)


def test_b13_coinm_maintenance_amount_recursion() -> None:
    assert formulas.cum_next(D(50), D("0.05"), D("0.025"), D("0.56")) == D("1.81")


@pytest.mark.parametrize(("side", "expected"), [(1, "47809.52"), (-1, "52421.05")])
def test_b14_binance_coinm_isolated(side: int, expected: str) -> None:
    lp = formulas.binance_coinm(D(100), D(100), D(50000), D("0.01"), D("0.004"), D(0), side)
    assert cents(lp) == D(expected)


# -- Bybit ---------------------------------------------------------------------------------


def test_y1_y2_bybit_official_example() -> None:
    long = quote_liquidation(LiqRequest(D(20000), D(50), LONG, venue="bybit", mmr=D("0.005")))
    short = quote_liquidation(LiqRequest(D(20000), D(50), SHORT, venue="bybit", mmr=D("0.005")))
    assert (long.liquidation_price, short.liquidation_price) == (D(19700), D(20300))
    assert long.margin == 400 and long.notional * long.mmr == 100  # IM 400, MM 100


@pytest.mark.parametrize(
    ("leverage", "long_lp", "short_lp"),
    [(1, "0.1", "19.9"), (3, "6.7666667", "13.2333333"), (5, "8.1", "11.9"), (10, "9.1", "10.9")],
)
def test_y3_y4_textbook_freqtrade(leverage: int, long_lp: str, short_lp: str) -> None:
    long = formulas.textbook(D(10), D(leverage), D("0.01"), 1)
    short = formulas.textbook(D(10), D(leverage), D("0.01"), -1)
    assert abs(long - D(long_lp)) < D("1e-7") and abs(short - D(short_lp)) < D("1e-7")


@pytest.mark.parametrize(("side", "expected"), [(1, "45662.10"), (-1, "55248.62")])
def test_y5_bybit_inverse(side: int, expected: str) -> None:
    assert cents(formulas.bybit_inverse(D(60000), D(50000), D(10), D("0.005"), D(0), side)) == D(
        expected
    )


def test_y6_y7_bybit_2026_tiers() -> None:
    y6 = quote_liquidation(LiqRequest(D(50000), D(50), LONG, venue="bybit", symbol="BTCUSDT"))
    assert (y6.liquidation_price, y6.mmr) == (D("49165.0000"), D("0.0033"))
    y7 = quote_liquidation(
        LiqRequest(D(50000), D(10), LONG, venue="bybit", symbol="BTCUSDT", size=D(10))
    )
    assert y7.liquidation_price == D(45199)
    assert y7.notional * y7.mmr - y7.maintenance_amount == D(1990)  # MM


def test_y8_bybit_old_tier1() -> None:
    lp = formulas.bybit_linear(D(10), D(50000), D(10), D("0.005"), D(0), 1)
    assert lp == D(45250)


def test_y9_bybit_deduction_recursion() -> None:
    assert formulas.cum_next(D(2600000), D("0.0063"), D("0.0056"), D(1200)) == D(3020)


# -- OKX and textbook ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "margin", "side", "expected"),
    [
        ("10", "2", 1, "8.085708510208207"),  # O1
        ("10", "3.3333333", 1, "6.738090425173506"),  # O2
        ("10", "3.3333333", -1, "13.193482419684678"),  # O3
        ("10", "2", -1, "11.87413417771621"),  # O4
        ("8", "1.6", -1, "9.499307342172967"),  # O4 at 8
    ],
)
def test_o1_o4_okx(entry: str, margin: str, side: int, expected: str) -> None:
    lp = formulas.okx(D(entry), D(margin), D(1), D("0.01"), D("0.0006"), side)
    assert close(lp, expected, "1e-8")


def test_o5_okx_btc_50x() -> None:
    req = LiqRequest(D(50000), D(50), LONG, venue="okx", mmr=D("0.004"), fee_rate=D("0.0005"))
    quote = quote_liquidation(req)
    assert (cents(quote.liquidation_price), quote.formula) == (D("49221.50"), Formula.OKX)


@pytest.mark.parametrize(
    ("leverage", "side", "mmr", "expected"),
    [
        (50, LONG, "0.005", "49250.00"),
        (50, LONG, "0.004", "49200.00"),  # T1
        (25, LONG, "0.005", "48250.00"),
        (25, LONG, "0.004", "48200.00"),  # T2
        (50, SHORT, "0.005", "50750.00"),  # T3
    ],
)
def test_t1_t3_textbook(leverage: int, side: Side, mmr: str, expected: str) -> None:
    quote = quote_liquidation(LiqRequest(D(50000), D(leverage), side, mmr=D(mmr)))
    assert (cents(quote.liquidation_price), quote.formula) == (D(expected), Formula.TEXTBOOK)


# -- The seed claim ------------------------------------------------------------------------


def test_s1_s2_seed_claim_inverse_mm_at_entry() -> None:
    s1 = quote_liquidation(LiqRequest(D(50000), D(50), LONG, inverse=True))
    assert cents(s1.liquidation_price) == D("49261.08")
    assert s1.distance_pct.quantize(D("0.0001")) == D("1.4778")
    s2 = quote_liquidation(LiqRequest(D(50000), D(25), LONG, inverse=True))
    assert cents(s2.liquidation_price) == D("48309.18")
    assert s2.distance_pct.quantize(D("0.0001")) == D("3.3816")  # not the article's 2.96 %


@pytest.mark.parametrize(
    ("leverage", "expected", "dist"), [(50, "49264.71", "1.4706"), (25, "48317.31", "3.3654")]
)
def test_s3_inverse_mm_at_liquidation_price(leverage: int, expected: str, dist: str) -> None:
    quote = quote_liquidation(
        LiqRequest(D(50000), D(leverage), LONG, inverse=True, venue="binance", mmr=D("0.005"))
    )
    assert cents(quote.liquidation_price) == D(expected)
    assert quote.distance_pct.quantize(D("0.0001")) == D(dist)


def test_s4_implied_mmr_for_49261() -> None:
    # textbook: 49261 = 50000 (1 - 1/50 + mmr)  ->  mmr = 0.522 %
    assert (D(49261) / D(50000) - 1 + D(1) / 50).quantize(D("0.00001")) == D("0.00522")
    # Binance form: 49261 = 50000 (1 - 1/50) / (1 - mmr)  ->  mmr = 0.5298 %
    assert (1 - D(50000) * D("0.98") / D(49261)).quantize(D("0.000001")) == D("0.005298")


# -- Position math -------------------------------------------------------------------------


def test_p1_notional_and_margin() -> None:
    quote = quote_liquidation(LiqRequest(D(64000), D(20), LONG, size=D("0.25")))
    assert (quote.notional, quote.margin) == (D(16000), D(800))


def test_p2_distance_from_mark() -> None:
    req = LiqRequest(D(50000), D(50), LONG, venue="binance", symbol="BTCUSDT", mark=D(49800))
    quote = quote_liquidation(req)
    assert cents(quote.distance_price) == D("603.21")
    assert quote.distance_pct.quantize(D("0.0001")) == D("1.2113")


def test_p3_loss_roe_and_margin_at_risk() -> None:
    quote = quote_liquidation(LiqRequest(D(50000), D(50), LONG, mmr=D("0.005")))
    assert quote.liquidation_price == D(49250)
    assert (quote.loss_at_liquidation, quote.margin_at_risk) == (D(750), D(1000))
    assert quote.loss_at_liquidation / quote.margin == D("0.75")  # ROE -75 %
    assert formulas.bybit_linear(D(1), D(50000), D(50), D(0), D(0), 1) == D(49000)  # bankruptcy


def test_p4_inverse_pnl_in_coin() -> None:
    pnl = D(100) * D(100) * (D(1) / D(50000) - D(1) / D(55000))
    assert pnl.quantize(D("0.0000001")) == D("0.0181818")


# -- Behaviour around the formulas ---------------------------------------------------------


def test_cross_margin_uses_the_whole_balance() -> None:
    req = LiqRequest(
        D(50000),
        D(20),
        LONG,
        venue="binance",
        symbol="BTCUSDT",
        margin_mode=MarginMode.CROSS,
        cross_balance=D(5000),
    )
    quote = quote_liquidation(req)
    # (5000 + 0 - 50000) / (1 x (0.004 - 1)) = 45180.72
    assert cents(quote.liquidation_price) == D("45180.72")
    assert quote.margin_at_risk == D(5000)


@pytest.mark.parametrize(
    ("req", "message"),
    [
        (LiqRequest(D(50000), D(0), LONG), "leverage must be between 1 and 200"),
        (LiqRequest(D(50000), D(1000), LONG), "leverage must be between 1 and 200"),
        (LiqRequest(D(-5), D(10), LONG), "entry price must be a positive number"),
        (LiqRequest(D("NaN"), D(10), LONG), "entry price must be a positive number"),
        (
            LiqRequest(D(50000), D(200), LONG, venue="binance", symbol="BTCUSDT", size=D(10)),
            "allows at most 100x",
        ),
        (
            LiqRequest(D(3000), D(10), LONG, venue="binance", symbol="ETHUSDT"),
            "no binance tier table for ETHUSDT",
        ),
        (LiqRequest(D(3000), D(10), LONG, venue="hyperliquid"), "not supported"),
        (
            LiqRequest(D(50000), D(10), LONG, margin_mode=MarginMode.CROSS, cross_balance=D(10)),
            "below the 5,000.00 initial margin",
        ),
    ],
)
def test_bad_requests_are_refused_with_a_reason(req: LiqRequest, message: str) -> None:
    with pytest.raises(RiskInputError, match=message):
        quote_liquidation(req)


def test_one_x_long_cannot_be_liquidated_to_zero_in_cross() -> None:
    req = LiqRequest(D(100), D(1), LONG, margin_mode=MarginMode.CROSS, cross_balance=D(1000))
    quote = quote_liquidation(req)
    assert quote.liquidation_price == 0
    assert any("reach 0" in note for note in quote.assumptions)


def test_bundled_tables_pass_the_recursion_and_a_broken_one_is_refused() -> None:
    book = load_default_tiers()
    assert book.get("binance", "BTCUSDT").date == "2025-26"
    assert book.get("bybit", "BTCUSDT").tiers[2].maintenance_amount == D(1710)
    with pytest.raises(BadTierTable, match="breaks the recursion"):
        make_table(
            "x",
            "Y",
            "today",
            "test",
            [["0", "100", "10", "0.01", "0"], ["100", "200", "5", "0.02", "2"]],
        )
    with pytest.raises(BadTierTable, match="gap"):
        make_table(
            "x",
            "Y",
            "today",
            "test",
            [["0", "100", "10", "0.01", "0"], ["150", "200", "5", "0.02", "1"]],
        )


def test_bybit_risk_limit_payload_becomes_a_checked_table() -> None:
    payload = {
        "result": {
            "list": [
                {
                    "symbol": "ETHUSDT",
                    "riskLimitValue": "1000000",
                    "maintenanceMargin": "0.01",
                    "maxLeverage": "50",
                    "mmDeduction": "2500",
                },
                {
                    "symbol": "ETHUSDT",
                    "riskLimitValue": "500000",
                    "maintenanceMargin": "0.005",
                    "maxLeverage": "100",
                    "mmDeduction": "",
                },
            ]
        }
    }
    table = tiers_from_bybit_risk_limit(payload, "ETHUSDT", "live 2026-11-24")
    assert [(t.floor, t.cap, t.mmr, t.maintenance_amount) for t in table.tiers] == [
        (0, 500000, D("0.005"), 0),
        (500000, 1000000, D("0.01"), 2500),
    ]
    book = load_default_tiers().with_live([table])
    quote = quote_liquidation(
        LiqRequest(D(3000), D(20), LONG, venue="bybit", symbol="ETHUSDT"), tiers=book
    )
    # Bybit linear: 3000 - (150 - 15) = 2865 (tier 1, 0.5 %)
    assert quote.liquidation_price == D(2865)
    assert quote.tier is not None and quote.tier.table_date == "live 2026-11-24"
    broken = {
        "result": {
            "list": [
                dict(r, mmDeduction="999") if r["mmDeduction"] else r
                for r in payload["result"]["list"]
            ]
        }
    }
    with pytest.raises(BadTierTable, match="breaks the recursion"):
        tiers_from_bybit_risk_limit(broken, "ETHUSDT", "live")


def test_okx_position_tiers_by_size_in_coin() -> None:
    payload = {
        "data": [
            {"tier": "2", "minSz": "501", "maxSz": "1000", "mmr": "0.006", "maxLever": "75"},
            {"tier": "1", "minSz": "0", "maxSz": "500", "mmr": "0.004", "maxLever": "100"},
        ]
    }
    table = tiers_from_okx_position_tiers(payload, "BTCUSDT", D("0.01"), "live 2026-11-24")
    assert [(t.floor, t.cap, t.mmr) for t in table.tiers] == [
        (0, 5, D("0.004")),
        (5, 10, D("0.006")),
    ]
    book = load_default_tiers().with_live([table])
    small = quote_liquidation(
        LiqRequest(D(50000), D(50), LONG, venue="okx", symbol="BTCUSDT", fee_rate=D("0.0005")),
        tiers=book,
    )
    assert cents(small.liquidation_price) == D("49221.50")  # O5: 1 BTC, tier 1 (0.4 %)
    big = quote_liquidation(
        LiqRequest(
            D(50000), D(50), LONG, venue="okx", symbol="BTCUSDT", size=D(6), fee_rate=D("0.0005")
        ),
        tiers=book,
    )
    # 6 BTC is tier 2 (0.6 %): (50000 - 1000) / (1 - 0.006 - 0.0005) = 49320.58
    assert (big.tier.number, cents(big.liquidation_price)) == (2, D("49320.58"))
