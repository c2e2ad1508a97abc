"""The position guard's pure core: liquidation and distance exactly as /liq (risk-math §8),
levels once each with hysteresis at exact prices, funding and the vectorised book."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import numpy as np

from bot.i18n import use_language
from bot.i18n.languages import BY_CODE
from bot.positions.book import PositionBook, Thresholds
from bot.positions.evaluate import MarketPoint, evaluate, hourly_atr, quote
from bot.positions.levels import step
from bot.positions.model import DEFAULT_LEVELS, GuardedPosition, PositionClaim
from bot.positions.render import level_alert, squeeze_alert, summary_lines
from bot.risk.funding import funding_cash_flow
from bot.risk.models import LiqRequest
from bot.risk.quote import quote_liquidation
from bot.risk.side import Side
from bot.signals.kinds import Stage
from bot.usecases.positions import Added
from handlers.positions import added_text

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
CENT = D("0.01")


def claim(side: Side = Side.LONG, lev: str = "50", venue: str | None = "binance", **kw: object):
    values: dict[str, object] = {"entry": D(50000), "size": D(1), **kw}
    return PositionClaim("BTC", side, leverage=D(lev), venue=venue, **values)  # type: ignore[arg-type]


def at(mark: str, venue: str = "binance", **kw: object) -> MarketPoint:
    return MarketPoint(venue, D(mark), NOW - timedelta(seconds=3), **kw)  # type: ignore[arg-type]


def test_b9_and_p2_binance_50x_long_liquidation_and_distance_from_the_mark() -> None:
    c = claim()
    ev = evaluate(c, quote(c, mark=D(49800)), at("49800"), NOW)
    assert ev.liquidation_price.quantize(CENT) == D("49196.79")  # B9
    assert ev.distance_pct.quantize(D("0.0001")) == D("1.2113")  # P2
    assert (ev.mark - ev.liquidation_price).quantize(CENT) == D("603.21")
    assert ev.pnl == D(-200) and ev.roe_pct == D(-20)
    assert ev.data_age_s == 3.0


def test_the_guard_uses_the_same_quote_as_liq() -> None:
    c = claim(side=Side.SHORT, venue="bybit")
    same = quote_liquidation(
        LiqRequest(D(50000), D(50), Side.SHORT, venue="bybit", symbol="BTCUSDT", size=D(1))
    )
    assert quote(c) == same


def test_b10_short_and_25x_and_t1_generic_for_hyperliquid() -> None:
    assert quote(claim(Side.SHORT)).liquidation_price.quantize(CENT) == D("50796.81")
    assert quote(claim(lev="25")).liquidation_price.quantize(CENT) == D("48192.77")
    # Hyperliquid has no formula in bot.risk: textbook with the default mmr (T1).
    assert quote(claim(venue="hyperliquid")).liquidation_price == D("49250.000")


def test_f10_funding_paid_moves_the_isolated_liquidation_price() -> None:
    c = claim(lev="10", size=D("0.2"))
    paid = funding_cash_flow(
        Side.LONG,
        D("0.2"),
        [(D(60000), D("0.0001")), (D(62000), D("0.0002")), (D(58000), D("-0.00005"))],
    )
    assert paid == D("-3.10")
    base = quote(c)
    ev = evaluate(
        c,
        base,
        at("50000", funding_rate=D("0.0001"), funding_interval_hours=8),
        NOW,
        funding_paid=paid,
    )
    # 3.10 out of the margin of 0.2 BTC moves the liquidation 15.50 up.
    assert ev.liquidation_price - base.liquidation_price == D("15.5")
    assert ev.funding_per_day == D("-3.0")  # 0.2 × 50,000 × 0.01 % × 3 settlements


def test_levels_alert_once_each_in_order_and_rearm_past_the_next_level() -> None:
    # Binance 10x long 0.2 @ 60,000: liquidation (1,200 - 12,000) / (0.2 × 0.004 - 0.2).
    c = claim(lev="10", size=D("0.2"), entry=D(60000))
    base = quote(c)
    assert base.liquidation_price.quantize(CENT) == D("54216.87")
    sent, told = 0, []
    # 5 % is crossed below 57,070.39, 2 % below 55,323.33, 1 % below 54,764.51.
    for mark in ("57071", "57070", "56000", "55324", "55323", "55000", "54765", "54764", "54500"):
        ev = evaluate(c, base, at(mark), NOW)
        sent, level = step(c.levels, sent, ev.distance_pct)
        if level is not None:
            told.append((mark, level))
    assert told == [("57070", D(5)), ("55323", D(2)), ("54764", D(1))]
    # Back to 55,000 (1.42 %): 1 % stays spent until the distance passes 2 % (55,323.33).
    for mark, expected_sent in (("55000", 3), ("55323", 3), ("55324", 2), ("54764", 3)):
        sent, level = step(c.levels, sent, evaluate(c, base, at(mark), NOW).distance_pct)
        assert sent == expected_sent
    assert level == D(1)  # re-armed, so the second dip below 1 % alerts again


def test_a_jump_past_several_levels_alerts_the_tightest_once() -> None:
    assert step(DEFAULT_LEVELS, 0, D("1.5")) == (2, D(2))
    assert step(DEFAULT_LEVELS, 2, D("1.9")) == (2, None)
    assert step(DEFAULT_LEVELS, 3, D("7.6")) == (0, None)  # above 5 % × 1.5: all re-armed
    assert step(DEFAULT_LEVELS, 1, D("7.5")) == (1, None)


def test_hourly_atr_uses_highs_lows_and_the_previous_close() -> None:
    marks = [
        (NOW + timedelta(minutes=m), p)
        for m, p in ((0, 100.0), (30, 104.0), (61, 101.0), (90, 99.0), (125, 103.0))
    ]
    # bars: (104, 100, 104), (101, 99, 99), (103, 103, 103) -> ranges 5, 4 -> 4.5
    assert hourly_atr(marks) == D("4.5")
    c = claim(lev="10", size=D("0.2"), entry=D(60000))
    ev = evaluate(c, quote(c), at("57000"), NOW, atr=D("500"))
    assert ev.distance_atr is not None and ev.distance_atr.quantize(CENT) == D("5.57")


def test_the_book_selects_only_positions_whose_trigger_crossed() -> None:
    book = PositionBook(capacity=2)
    for pid, mark_level in ((1, 5.0), (2, 2.0), (3, 5.0)):
        book.put(pid, ("BTC", "binance"), 1, Thresholds(95.0, mark_level, None, 0.0005, False))
    book.put(4, ("ETH", ""), -1, Thresholds(105.0, 5.0, None, 0.0005, False))
    marks = np.array([99.0, np.nan])  # BTC at 4.04 % from 95; ETH has no data this tick
    pays = np.array([0.001, 0.0])
    levels, funding = book.scan(marks, pays)
    assert levels == [1, 3] and funding == [1, 2, 3]
    book.remove(3)
    assert book.scan(marks, pays)[0] == [1]
    assert len(book) == 3


def test_a_cascade_alert_says_its_stage_and_names_the_position() -> None:
    c = claim(lev="10", size=D("0.2"), entry=D(60000))
    ev = evaluate(c, quote(c), at("57000"), NOW)
    position = GuardedPosition(7, 1001, 1001, c, NOW)
    early = squeeze_alert(position, ev, "long_squeeze", Stage.EARLY, "price -2.1% in 15m")
    assert early.startswith(
        "🚨 <b>long squeeze starting on BTC: your long is 4.88% from liquidation</b>\n"
        "price -2.1% in 15m\nLiquidation 54,216.87"
    )
    assert early.endswith("#7 BTC long 10x, 0.2 @ 60000 on binance")
    escalated = squeeze_alert(position, ev, "long_squeeze", Stage.ESCALATED, "")
    assert escalated.startswith("🚨 <b>long squeeze escalated on BTC: your long is 4.88%")


def test_a_russian_owner_reads_the_add_reply_and_a_level_alert_in_russian() -> None:
    c = claim(lev="10", size=D("0.2"), entry=D(60000))
    ev = evaluate(c, quote(c), at("57000"), NOW)
    position = GuardedPosition(7, 1001, 1001, c, NOW)
    with use_language(BY_CODE["ru"]):
        reply = added_text(Added(position, ev, (D(5),)))
        alert = level_alert(position, ev, D(5))
    nb = "\u00a0"
    body = [
        f"Ликвидация 54{nb}216,87: до неё <b>4,88{nb}%</b>",
        f"Марк-цена 57{nb}000,00 на binance · PnL -600,00 (-50,0{nb}% от маржи) · возраст "
        "данных 3 с",
    ]
    assert reply.split("\n") == [
        "🛡 <b>Охраняю #7: BTC long 10x, 0,2 @ 60000 на binance</b>",
        *body,
        "Оповещу на 5/2/1 % до ликвидации, по разу (снова — после восстановления), и когда "
        f"фандинг против вас превысит 0,050{nb}% за 8 ч. Оповещения приходят и в тихие часы.",
        "Уже внутри 5 %: считается отправленным, отдельного оповещения не будет.",
        "<i>Это ваши данные, а не данные биржи: у меня нет API-ключей и я не вижу ваш счёт. "
        "Оповещения приходят только в этот личный чат.</i>",
    ]
    assert alert.split("\n") == [
        f"🚨 <b>BTC long: 4,88{nb}% до ликвидации</b> (ниже вашего уровня 5 %)",
        *body,
        "#7 BTC long 10x, 0,2 @ 60000 на binance · /pos — список ваших позиций",
    ]


def test_a_short_at_its_entry_reads_no_loss() -> None:
    """A short's PnL at its entry is -1 × size × 0: it reads 0.00, not -0.00 (nor -0.0 %)."""
    c = claim(Side.SHORT)
    ev = evaluate(c, quote(c), at("50000"), NOW)
    mark_line = summary_lines(ev)[1]
    assert mark_line.startswith("Mark 50,000.00 on binance · PnL 0.00 (0.0% of margin) · data")
    with use_language(BY_CODE["ru"]):
        assert "PnL 0,00 (0,0\xa0% от маржи)" in summary_lines(ev)[1]
