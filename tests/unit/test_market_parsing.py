"""Venue payloads -> Snapshot with exact numbers, straight from the recorded fixtures."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from bot.market.history import Funding, Market
from bot.market.http import VenueError
from bot.market.models import Venue
from bot.market.values import BadPayload, optional_decimal, unscale
from bot.market.venues import binance, bybit, hyperliquid, okx
from tests.fakes.exchange import fixture

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def test_binance_oi_is_coin_and_usd_is_coin_times_mark() -> None:
    instruments = binance.parse_instruments(fixture("binance_usdm/exchangeInfo.json"))
    inst = instruments["BTCUSDT"]
    premium = fixture("binance_usdm/premiumIndex_BTCUSDT.json")
    oi = fixture("binance_usdm/openInterest_BTCUSDT.json")
    ticker = fixture("binance_usdm/ticker_24hr_BTCUSDT.json")
    snap = binance.build_snapshot(inst, premium, ticker, oi, 8)
    assert snap.oi_coin == snap.oi_contracts == D("83782.317")
    assert snap.oi_usd == D("83782.317") * D(premium["markPrice"])
    assert snap.funding_rate == D(premium["lastFundingRate"])
    assert snap.asset == "BTC" and snap.funding_interval_hours == 8


def test_binance_funding_info_lists_only_adjusted_symbols() -> None:
    intervals = binance.parse_funding_intervals(fixture("binance_usdm/fundingInfo.json"))
    assert intervals["LPTUSDT"] == 4 and intervals["TRBUSDT"] == 4
    assert "BTCUSDT" not in intervals  # absent means 8 h, applied by the fetcher


def test_binance_error_bodies() -> None:
    with pytest.raises(VenueError) as invalid:
        binance.check_binance(400, fixture("binance_usdm/error_-1121_invalid_symbol.json"))
    assert invalid.value.unknown_symbol


def test_binance_metrics_oi_price_proxy_vector_i1() -> None:
    # Binance OI in coin x price = notional: oi_usd / oi recovers the price (vector I1).
    assert (D("8.5457289e9") / D("91253.336")).quantize(D("0.01")) == D("93648.40")


def test_okx_contracts_times_ct_val_vector_i2() -> None:
    inst = okx.Instrument("BTC-USDT-SWAP", "BTC", D("0.01"), D(1))
    snap = okx.build_snapshot(
        inst, {"oi": "1000000"}, None, {"markPx": "60000", "ts": "1597026383085"}, None, None
    )
    assert (snap.oi_contracts, snap.oi_coin, snap.oi_usd) == (D(1000000), D(10000), D(600000000))


def test_okx_instruments_and_interval_from_funding_times() -> None:
    instruments = okx.parse_instruments(fixture("okx/instruments_SWAP.json"))
    assert all(i.asset and i.ct_val > 0 for i in instruments.values())
    assert "BTC-USD-SWAP" not in instruments  # inverse, coin-settled: left out
    funding = fixture("okx/funding_rate_BTC-USDT-SWAP.json")["data"][0]
    assert okx.funding_interval_hours(funding) == 8  # 1743638400000 - 1743609600000


def test_okx_errors_inside_http_200() -> None:
    with pytest.raises(VenueError) as rate:
        okx.check_okx(200, fixture("okx/error_50011_rate_limit.CONSTRUCTED.json"))
    assert rate.value.retryable
    with pytest.raises(VenueError) as missing:
        okx.check_okx(200, fixture("okx/error_51001_instrument_not_found.CONSTRUCTED.json"))
    assert missing.value.unknown_symbol


def test_bybit_inverse_oi_is_usd_vector_i3() -> None:
    usd, coin = bybit.inverse_oi("462590534", "83822.10")
    assert usd == D(462590534) and coin.quantize(D("0.01")) == D("5518.72")
    row = fixture("bybit/tickers_inverse_BTCUSD.json")["result"]["list"][0]
    usd, coin = bybit.inverse_oi(row["openInterest"], row["markPrice"])
    assert coin.quantize(D("0.01")) == D(row["openInterestValue"])  # the venue's own coin value


def test_binance_coinm_contracts_vector_i4() -> None:
    contracts, face, price = D(1000000), D(100), D(50000)
    assert (contracts * face, contracts * face / price) == (D(100000000), D(2000))


def test_bybit_errors_and_expiring_futures() -> None:
    with pytest.raises(VenueError) as rate:
        bybit.check_bybit(200, fixture("bybit/error_10006_rate_limit.CONSTRUCTED.json"))
    assert rate.value.retryable
    with pytest.raises(VenueError) as missing:
        bybit.check_bybit(200, fixture("bybit/error_10001_not_supported_symbols.CONSTRUCTED.json"))
    assert missing.value.unknown_symbol
    with pytest.raises(VenueError) as blocked:
        bybit.check_bybit(403, None)
    assert blocked.value.cool_off == 600
    row = dict(fixture("bybit/tickers_inverse_BTCUSD.json")["result"]["list"][0], fundingRate="")
    assert bybit.build_snapshot(row, "BTC", 1760371200000) is None  # no funding: not a perp


def test_hyperliquid_zips_universe_with_contexts() -> None:
    snaps = hyperliquid.parse_meta_and_ctxs(fixture("hyperliquid/metaAndAssetCtxs.json"), NOW)
    btc = snaps[0]
    assert (btc.symbol, btc.oi_coin, btc.funding_rate, btc.funding_interval_hours) == (
        "BTC",
        D("688.11"),
        D("0.0000125"),
        1,
    )
    assert btc.oi_usd == D("688.11") * D("14.3161") and btc.index == D("14.32")


def test_scaled_contracts_carry_the_price_of_one_coin_on_every_venue() -> None:
    """Binance and Bybit quote 1000PEPEUSDT and Hyperliquid kPEPE per 1000 PEPE, OKX per PEPE:
    each venue's PEPE row holds the price of one PEPE and the same open interest, in coins and
    in USD (contracts x the price quoted)."""
    at = 1764000000000
    per_1000 = {"mark": "0.0123", "index": "0.01231", "last": "0.01229"}
    binance_pepe = binance.build_snapshot(
        binance.Instrument("1000PEPEUSDT", "PEPE", D(1000)),
        {"markPrice": per_1000["mark"], "indexPrice": per_1000["index"], "time": at},
        {"lastPrice": per_1000["last"], "volume": "2000", "quoteVolume": "24.6"},
        {"openInterest": "1000000"},
        8,
    )
    bybit_pepe = bybit.build_snapshot(
        {
            "symbol": "1000PEPEUSDT",
            "markPrice": per_1000["mark"],
            "indexPrice": per_1000["index"],
            "lastPrice": per_1000["last"],
            "openInterest": "1000000",
            "fundingRate": "0.0001",
            "volume24h": "2000",
            "turnover24h": "24.6",
        },
        "1000PEPE",
        at,
    )
    [hyperliquid_pepe] = hyperliquid.parse_meta_and_ctxs(
        [
            {"universe": [{"name": "kPEPE"}]},
            [
                {
                    "markPx": per_1000["mark"],
                    "oraclePx": per_1000["index"],
                    "midPx": per_1000["last"],
                    "openInterest": "1000000",
                    "dayBaseVlm": "2000",
                }
            ],
        ],
        NOW,
    )
    okx_pepe = okx.build_snapshot(
        okx.Instrument("PEPE-USDT-SWAP", "PEPE", D(10000000), D(1)),
        {"oi": "100"},
        None,
        {"markPx": "0.0000123", "ts": str(at)},
        {"last": "0.00001229", "volCcy24h": "2000000"},
        {"idxPx": "0.00001231"},
    )
    for snap in (binance_pepe, bybit_pepe, hyperliquid_pepe, okx_pepe):
        assert snap is not None
        assert (snap.asset, snap.mark, snap.index, snap.last) == (
            "PEPE",
            D("0.0000123"),
            D("0.00001231"),
            D("0.00001229"),
        ), snap.venue
        # 1,000,000 contracts of 1,000 PEPE (OKX: 100 of 10,000,000) at 0.0123 a contract
        assert (snap.oi_coin, snap.oi_usd, snap.volume_24h_coin) == (
            D(1_000_000_000),
            D(12300),
            D(2_000_000),
        ), snap.venue


def test_scaled_history_bars_carry_the_price_of_one_coin() -> None:
    """Binance's OI history of 1000PEPEUSDT: 1,000,000 contracts worth 12,300 USD."""
    market = Market(Venue.BINANCE, "1000PEPEUSDT", "PEPE", D(1000))
    row = {
        "timestamp": 1764000000000,
        "sumOpenInterest": "1000000",
        "sumOpenInterestValue": "12300",
    }
    [bar] = binance.binance_snapshots(market, [row], Funding.settled([]))
    assert (bar.mark, bar.oi_coin, bar.oi_usd) == (D("0.0000123"), D(1_000_000_000), D(12300))


def test_hyperliquid_length_mismatch_is_refused() -> None:
    meta, ctxs = fixture("hyperliquid/metaAndAssetCtxs.json")
    with pytest.raises(BadPayload, match="differ in length"):
        hyperliquid.parse_meta_and_ctxs([meta, ctxs[:-1]], NOW)


@pytest.mark.parametrize("sentinel", ["", None])
def test_sentinels_are_absent_never_zero(sentinel) -> None:
    assert optional_decimal(sentinel) is None
    assert optional_decimal("0", zero_is_absent=True) is None
    with pytest.raises(BadPayload):
        optional_decimal("NaN")


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("1000PEPE", ("PEPE", D(1000))),
        ("kPEPE", ("PEPE", D(1000))),
        ("BTC", ("BTC", D(1))),
        ("1000000MOG", ("MOG", D(1000000))),
        ("1INCH", ("1INCH", D(1))),
    ],
)
def test_scaled_tickers_map_to_their_asset(base: str, expected) -> None:
    assert unscale(base) == expected


def test_binance_coinm_contracts_are_usd_vector_i4_on_the_fixtures() -> None:
    instruments = binance.parse_instruments(fixture("binance_coinm/exchangeInfo.json"))
    inst = instruments["BTCUSD_PERP"]
    assert (inst.asset, inst.face_usd) == ("BTC", D(100))
    premium = fixture("binance_coinm/premiumIndex_BTCUSD_PERP.json")[0]
    oi = fixture("binance_coinm/openInterest_BTCUSD_PERP.json")
    ticker = fixture("binance_coinm/ticker_24hr_BTCUSD_PERP.json")[0]
    snap = binance.build_snapshot(inst, premium, ticker, oi, 8)
    assert snap.inverse and snap.venue == "binance_coinm"
    assert (snap.oi_contracts, snap.oi_usd) == (D(6784657), D(678465700))
    assert snap.oi_coin.quantize(D("0.01")) == (D(678465700) / D("26780.2")).quantize(D("0.01"))
    assert snap.volume_24h_coin == D("153291.03251537")
    assert snap.volume_24h_usd == D(71996462) * 100


def test_bybit_inverse_ticker_fixture_in_usd_and_coin() -> None:
    body = fixture("bybit/tickers_inverse_BTCUSD.json")
    row = body["result"]["list"][0]
    snap = bybit.build_snapshot(row, "BTC", body["time"], inverse=True)
    assert snap is not None and snap.inverse and snap.venue == "bybit_inverse"
    assert snap.oi_usd == D(240113967)
    assert snap.oi_coin.quantize(D("0.01")) == D(row["openInterestValue"])  # 2,089.79 BTC
    assert (snap.volume_24h_usd, snap.volume_24h_coin) == (D("13713832.0000"), D("115.6907"))
