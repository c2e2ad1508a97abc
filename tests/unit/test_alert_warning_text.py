"""Cascade alerts (early, confirmed, escalated, over) in the chat's language: the sentence and
its evidence are written from the warning's numbers when the alert is rendered, with the
locale's decimal signs; English stays the engine's own text."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.alerts.render import chat_alert, warning_key
from bot.alerts.warning_text import evidence_text, summary_text
from bot.i18n import use_language
from bot.i18n.languages import BY_CODE, ENGLISH
from bot.rules.grammar import parse_rule
from bot.rules.matcher import Firing, WatchRule
from bot.signals.events import CascadeTracker
from bot.signals.kinds import Severity, Stage, WarningKind
from bot.signals.series import BAR, Point
from bot.signals.warning import SignalWarning

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
EARLY = SignalWarning(
    WarningKind.LONG_SQUEEZE,
    Severity.MODERATE,
    "BTC",
    "10m",
    T0 + 2 * BAR,
    "BTC likely long squeeze starting: price -3.0\u00a0% in 10 min on 4x volume, OI -1.5\u00a0%, "
    "longs liquidated $12.5M; longs are being forced out",
    {
        "price from onset pct": -3.0,
        "OI (contracts) from onset pct": -1.5,
        "minutes since onset": 10.0,
        "volume x usual": 4.2,
        "longs liquidated USD": 12_500_000.0,
    },
    (1, 2, 3, 5),
    60.0,
    stage=Stage.EARLY,
    event_start=T0,
)


def confirmed(severity: Severity) -> SignalWarning:
    return SignalWarning(
        WarningKind.LONG_SQUEEZE,
        severity,
        "BTC",
        "1h",
        T0 + 4 * BAR,
        "BTC long squeeze in progress: OI -7.5\u00a0% from its peak while price fell 6.0\u00a0%; "
        "longs are being force-closed",
        {
            "OI (contracts) from peak pct": -7.5,
            "price from OI peak pct": -6.0,
            "minutes since OI peak": 20.0,
        },
        (1, 2),
        0.0,
        stage=Stage.CONFIRMED,
        event_start=T0,
    )


def point(i: int, close: float, oi: float, liq_long: float) -> Point:
    return Point(T0 + BAR * i, close, close, close, 10.0, oi, oi * close, liq_long_usd=liq_long)


def event() -> list[SignalWarning]:
    """early, confirmed, escalated to high, over: what the tracker announces."""
    tracker = CascadeTracker()
    told: list[SignalWarning] = []
    told += tracker.update("BTC", [], T0, [point(0, 60_000, 1000, 0)])
    told += tracker.update("BTC", [EARLY], T0 + 2 * BAR, [point(2, 58_200, 985, 5e6)])
    told += tracker.update(
        "BTC",
        [confirmed(Severity.MODERATE)],
        T0 + 4 * BAR,
        [point(4, 56_400, 925, 7.5e6)],
    )
    told += tracker.update(
        "BTC", [confirmed(Severity.HIGH)], T0 + 5 * BAR, [point(5, 56_000, 920, 0)]
    )
    told += tracker.update("BTC", [], T0 + 12 * BAR, [point(12, 57_000, 930, 0)])
    return told


def alerts(code: str) -> list[str]:
    rule = WatchRule(3, 7, parse_rule("BTC squeeze"))
    texts = []
    with use_language(BY_CODE.get(code, ENGLISH)):
        for warning in event():
            firing = Firing(rule, "BTC", None, None, stage=warning.stage)
            texts.append(chat_alert([firing], {warning_key(firing): warning}, {})[0])
    return texts


def test_english_alerts_keep_the_engines_sentences() -> None:
    for text, warning in zip(alerts("en"), event(), strict=True):
        assert warning.summary in text


def test_evidence_numbers_are_never_written_with_an_exponent() -> None:
    """Dollars read as on the sentence's line, a contract count whole with its thousands: the
    evidence said 'longs liquidated USD 1.25e+07' and 'OI contracts change -8e+04'."""
    early, *_, over = alerts("en")
    assert early.split("\n")[1] == (
        "<i>price from onset % -3.00, OI (contracts) from onset % -1.50, minutes since "
        "onset 10, volume x usual 4.2, longs liquidated USD 12.5M; window 10m; checks: "
        "1 price regime, 2 OI contracts vs notional, 3 OI vs volume, 5 liquidations with "
        "falling OI; data 60s old</i> \u00b7 rule #3"
    )
    assert "OI contracts change -70, OI notional change USD -6.99M, longs liquidated USD 12.5M" in (
        over
    )
    eth = replace(EARLY, numbers={"OI contracts change": -80_000.0, "shorts liquidated USD": 0.0})
    assert eth.evidence().startswith("OI contracts change -80,000, shorts liquidated USD 0;")
    with use_language(BY_CODE["es"]):
        assert evidence_text(eth).startswith(
            "cambio de OI en contratos -80.000, shorts liquidados USD 0;"
        )


def test_a_russian_chat_reads_the_whole_event_in_russian() -> None:
    early, confirmed, escalated, over = alerts("ru")
    assert early.split("\n")[0] == (
        "🚨 <b>Раннее</b> · <b>BTC: похоже, начинается лонг-сквиз: цена -3,0\u00a0% за 10 мин на "
        "объёме ×4 к обычному, ОИ -1,5\u00a0%, ликвидировано лонгов на $12,5M; лонгов выбивает "
        "ликвидациями</b>"
    )
    assert early.split("\n")[1] == (
        "<i>цена от начала % -3,00, ОИ (контракты) от начала % -1,50, минут с начала 10, "
        "объём × обычный 4,2, ликвидации лонгов USD 12,5M; окно 10m; проверки: "
        "1 режим цены, 2 ОИ в контрактах и в долларах, 3 ОИ и объём, 5 ликвидации при "
        "падении ОИ; возраст данных 1 мин</i> · правило #3"
    )
    assert confirmed.split("\n")[0] == (
        "🚨 <b>Подтверждено</b> · <b>BTC: идёт лонг-сквиз: открытый интерес -7,5\u00a0% от пика, "
        "цена упала на 6,0\u00a0%; лонги закрывают принудительно</b>"
    )
    assert escalated.split("\n")[0] == (
        "🚨 <b>Усилилось до высокого</b> · <b>BTC: лонг-сквиз усиливается (умеренный → высокий): "
        "открытый интерес -7,5\u00a0% от пика, цена упала на 6,0\u00a0%; принудительно "
        "закрывают всё больше лонгов</b>"
    )
    assert over == (
        "✅ <b>Завершилось</b> · <b>BTC: лонг-сквиз закончился через 60 мин; цена -5,0\u00a0% с "
        "начала; минимум -6,7\u00a0%; открытый интерес -7,0\u00a0% (-70 контрактов, -7,0M USD в "
        "номинале); ликвидации: лонги 12,5M USD, шорты 0,0M USD</b>\n"
        "<i>длительность (мин) 60, цена % -5,00, экстремум цены % -6,67, ОИ (контракты) % "
        "-7,00, изменение ОИ (контракты) -70, изменение ОИ (USD) -6,99M, ликвидации лонгов "
        "USD 12,5M; окно событие; проверки: 1 режим цены, 2 ОИ в контрактах и в долларах, "
        "5 ликвидации при падении ОИ; возраст данных 0 мин</i> · правило #3"
    )


def test_a_spanish_chat_reads_the_whole_event_in_spanish() -> None:
    early, confirmed, escalated, over = alerts("es")
    assert early.split("\n")[0] == (
        "🚨 <b>Temprano</b> · <b>BTC: probable long squeeze en marcha: precio -3,0\u00a0% en "
        "10 min con volumen 4x, OI -1,5\u00a0%, longs liquidados por $12,5M; los longs están "
        "siendo liquidados</b>"
    )
    assert confirmed.split("\n")[0] == (
        "🚨 <b>Confirmado</b> · <b>BTC: long squeeze en curso: interés abierto -7,5\u00a0% "
        "desde su máximo mientras el precio cayó 6,0\u00a0%; los longs se cierran por "
        "liquidación</b>"
    )
    assert escalated.split("\n")[0] == (
        "🚨 <b>Escaló a alto</b> · <b>BTC: el long squeeze se intensifica (moderado → alto): "
        "interés abierto -7,5\u00a0% desde su máximo mientras el precio cayó 6,0\u00a0%; cada "
        "vez más longs se cierran por liquidación</b>"
    )
    assert over.split("\n")[0] == (
        "✅ <b>Terminado</b> · <b>BTC: el long squeeze terminó tras 60 min; precio -5,0\u00a0% "
        "desde el inicio; mínimo -6,7\u00a0%; interés abierto -7,0\u00a0% (-70 contratos, "
        "-7,0M USD nocional); liquidado: longs 12,5M USD, shorts 0,0M USD</b>"
    )


def test_the_next_liquidation_band_follows_the_chats_language() -> None:
    warning = replace(
        EARLY,
        summary=EARLY.summary + "; next long liquidations -0.5% (~$90k, model estimate)",
        next_band=(0.5, 90_000.0),
    )
    with use_language(BY_CODE["ru"]):
        text = summary_text(warning)
    assert text.endswith("; ближайшие ликвидации лонгов −0,5\u00a0% (~$90k, оценка модели)")
    assert summary_text(warning) == warning.summary


def test_other_warnings_take_their_own_numbers() -> None:
    overheating = SignalWarning(
        WarningKind.OVERHEATING_SHORT,
        Severity.MODERATE,
        "ETH",
        "4h",
        T0,
        "ETH overheating: ...",
        {"OI (contracts) pct": 8.04, "price pct": -2.36, "funding 8h pct": -0.0125},
        (1, 2, 4),
        0.0,
    )
    with use_language(BY_CODE["tr"]):
        assert summary_text(overheating) == (
            "ETH aşırı ısınıyor: açık pozisyon 4h içinde +%8,0 ve hızlanıyor, fiyat %2,4 "
            "düşüyor; short’lar yığılıyor, ters yönde sert bir hareket likidasyonları "
            "tetikleyebilir"
        )
    with use_language(BY_CODE["zh"]):
        assert summary_text(replace(overheating, kind=WarningKind.CROWDING_SHORT)) == (
            "ETH 空头拥挤：4 小时持仓量 +8.0%，资金费率每 8 小时 -0.0125%，远离常态；有空头挤压风险"
        )


def test_an_early_reading_that_escalates_tells_its_own_numbers() -> None:
    """Price keeps falling before OI has confirmed: the escalation is the early reading's own
    sentence with the new numbers, not the first message repeated."""
    tracker = CascadeTracker()
    deeper = replace(
        EARLY,
        severity=Severity.HIGH,
        ts=T0 + 3 * BAR,
        numbers=EARLY.numbers
        | {"price from onset pct": -6.2, "OI (contracts) from onset pct": -2.4}
        | {"minutes since onset": 15.0, "volume x usual": 7.6},
    )
    tracker.update("BTC", [EARLY], T0 + 2 * BAR)
    [escalated] = tracker.update("BTC", [deeper], T0 + 3 * BAR)
    assert (escalated.stage, escalated.escalated_from) == (Stage.ESCALATED, Severity.MODERATE)
    assert escalated.summary == (
        "BTC long squeeze intensifying (moderate → high): price -6.2% in 15 min on 8x volume, "
        "OI -2.4%, longs liquidated $12.5M; more longs are being forced out"
    )
    with use_language(BY_CODE["ru"]):
        assert summary_text(escalated) == (
            "BTC: лонг-сквиз усиливается (умеренный → высокий): цена -6,2\u00a0% за 15 мин на "
            "объёме ×8 к обычному, ОИ -2,4\u00a0%, ликвидировано лонгов на $12,5M; "
            "ликвидациями выбивает всё больше лонгов"
        )
