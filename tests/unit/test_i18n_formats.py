"""Numbers, percents, dates and the /oi table in each reader's locale (CLDR data via Babel)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.charts.service import Scorecard
from bot.i18n import ENGLISH, LANGUAGES, language_for, use_language
from bot.i18n.dates import weekday_time
from bot.i18n.languages import BY_CODE, reply_language
from bot.i18n.numbers import grouped, percent, ungrouped
from bot.market.overview import build_overview
from bot.market.overview_text import render
from bot.signals.kinds import WarningKind
from bot.signals.score import KindScore, Outcome
from handlers.charts import KIND_NAMES, score_text
from handlers.formatting import amount, duration, in_coin
from tests.unit.test_market_overview import NOW, F, P

NB = "\u00a0"


@pytest.mark.parametrize(
    ("code", "money", "rate", "signed", "small", "hold", "muted"),
    [
        ("en", "49,250.00 USDT", "1.61%", "+0.0100%", "0.00012345", "1d 12h", "Wed 2 Dec 04:23"),
        ("ru", f"49{NB}250,00 USDT", f"1,61{NB}%", f"+0,0100{NB}%", "0,00012345", "1 д 12 ч",
         "ср, 2 дек. 04:23"),
        ("es", "49.250,00 USDT", f"1,61{NB}%", f"+0,0100{NB}%", "0,00012345", "1 d 12 h",
         "mié, 2 dic 04:23"),
        ("pt", "49.250,00 USDT", "1,61%", "+0,0100%", "0,00012345", "1 d 12 h",
         "qua., 2 de dez. 04:23"),
        ("tr", "49.250,00 USDT", "%1,61", "+%0,0100", "0,00012345", "1 g 12 sa",
         "2 Ara Çar 04:23"),
        ("zh", "49,250.00 USDT", "1.61%", "+0.0100%", "0.00012345", "1天 12小时",
         "12月2日周三 04:23"),
    ],
)  # fmt: skip
def test_numbers_percents_durations_and_dates_per_locale(
    code: str, money: str, rate: str, signed: str, small: str, hold: str, muted: str
) -> None:
    moment = datetime(2026, 12, 2, 3, 23, tzinfo=UTC)
    with use_language(BY_CODE[code]):
        assert amount(Decimal("49250"), "USDT") == money
        assert percent(Decimal("0.01606")) == rate  # half up, like the rest of the bot
        assert percent(Decimal("0.0001"), 4, signed=True) == signed
        assert in_coin(Decimal("0.000123450"), "BTC") == f"{small} BTC"
        assert duration(Decimal(36)) == hold
        assert weekday_time(moment, ZoneInfo("Europe/Berlin")) == f"{muted} Europe/Berlin"


def test_money_rounds_half_up_in_every_locale() -> None:
    for language in LANGUAGES:
        with use_language(language):
            assert grouped(Decimal("0.125"), 2)[-2:] == "13"


@pytest.mark.parametrize(
    ("chosen", "telegram", "personal", "expected"),
    [
        ("tr", "ru", True, "tr"),  # /settings lang wins
        (None, "pt-br", True, "pt"),
        (None, "zh-hans", True, "zh"),
        (None, "zh-hant", True, "zh"),
        (None, "de", True, "en"),  # a language we do not speak
        (None, None, True, "en"),
        (None, "ru", False, "en"),  # a group: one member's app does not decide
        ("es", "ru", False, "es"),
    ],
)
def test_which_language_answers(
    chosen: str | None, telegram: str | None, personal: bool, expected: str
) -> None:
    assert reply_language(chosen, telegram, personal=personal).code == expected


def test_unknown_codes_are_not_languages() -> None:
    assert language_for("") is None and language_for("xx") is None
    assert language_for("EN_us") is ENGLISH


OI_HEADLINE = {
    "en": (
        "<b>BTC perpetuals · 2 venues · data 0s old</b>",
        "binance     87,412   1.1k  96.2M",
        "All venues: funding +11.0% a year (OI-weighted, 8h basis) · 24h volume $12.3B · "
        "liquidations 1h: longs $5M, shorts $1.25M (feeds undercount)",
    ),
    "ru": (
        "<b>Бессрочные фьючерсы BTC · 2 биржи · данным 0 с</b>",
        f"binance     87{NB}412   1,1k  96,2M",
        f"Все биржи: фандинг +11,0{NB}% годовых (взвешено по OI, база 8 ч) · объём за 24 ч "
        "$12,3B · ликвидации за 1 ч: лонги $5M, шорты $1,25M (фиды показывают не всё)",
    ),
    "es": (
        "<b>Perpetuos de BTC · 2 exchanges · datos de hace 0 s</b>",
        "binance     87.412   1,1k  96,2M",
        f"Todos los exchanges: funding +11,0{NB}% anual (ponderado por OI, base 8 h) · volumen "
        "24 h $12,3B · liquidaciones 1 h: largos $5M, cortos $1,25M (los feeds se quedan cortos)",
    ),
    "pt": (
        "<b>Perpétuos de BTC · 2 exchanges · dados de 0 s atrás</b>",
        "binance     87.412   1,1k  96,2M",
        "Todas as exchanges: funding +11,0% ao ano (ponderado por OI, base 8 h) · volume 24 h "
        "$12,3B · liquidações 1 h: longs $5M, shorts $1,25M (os feeds subestimam)",
    ),
    "tr": (
        "<b>BTC sürekli vadeli · 2 borsa · veri 0 sn önce</b>",
        "binance     87.412   1,1k  96,2M",
        "Tüm borsalar: yıllık fonlama +%11,0 (açık pozisyon ağırlıklı, 8 sa bazında) · 24 sa "
        "hacim $12,3B · 1 sa likidasyonlar: long $5M, short $1,25M (akışlar eksik sayar)",
    ),
    "zh": (
        "<b>BTC 永续合约 · 2 家交易所 · 数据 0秒 前</b>",
        "binance     87,412   1.1k  96.2M",
        "全部交易所：资金费率年化 +11.0%（按持仓量加权，8 小时基准）· 24 小时成交额 $12.3B · "
        "1 小时强平：多头 $5M，空头 $1.25M（数据源会少计）",
    ),
}


@pytest.mark.parametrize("code", list(OI_HEADLINE))
def test_the_oi_overview_in_every_language(code: str) -> None:
    latest = [
        P("binance", NOW, 87412.5, 1100.0, volume_24h_usd=12.3e9),
        P("bybit", NOW, 87400.0, 500.0),
    ]
    overview = build_overview("BTC", latest, [], [F("binance", 5e6, 1.25e6)], NOW)
    with use_language(BY_CODE[code]):
        lines = render(overview, {}).split("\n")
    title, row, totals = OI_HEADLINE[code]
    assert lines[0] == title
    assert row in lines and totals in lines, "\n".join(lines)
    header = lines[1].removeprefix("<pre>")
    assert len(header) <= 32 and header.startswith(
        ("venue", "биржа", "exchange", "borsa", "交易所")
    )


@pytest.mark.parametrize(
    ("code", "row", "line"),
    [
        ("ru", "<b>лонг-сквиз</b>: 6 эпизодов (8 сообщений)",
         f"  1h: цена -1,25{NB}%, OI -3,0{NB}% (n=6): 83{NB}% — как предупреждали"),
        ("es", "<b>long squeeze</b>: 6 episodios (8 mensajes)",
         f"  1h: precio -1,25{NB}%, OI -3,0{NB}% (n=6): 83{NB}% como se avisó"),
        ("tr", "<b>long squeeze</b>: 6 olay (8 mesaj)",
         "  1h: fiyat -%1,25, açık pozisyon -%3,0 (n=6): %83 uyarıldığı gibi"),
        ("zh", "<b>多头挤压（多杀多）</b>：6 个事件（8 条消息）",
         "  1h：价格 -1.25%，持仓量 -3.0%（n=6）：83% 符合预警"),
    ],
)  # fmt: skip
def test_the_scorecard_in_other_languages(code: str, row: str, line: str) -> None:
    outcome = Outcome(6, -1.25, -3.0, 5 / 6)
    card = Scorecard([KindScore("long_squeeze", 6, 8, {"1h": outcome})], NOW, NOW)
    with use_language(BY_CODE[code]):
        lines = score_text("BTC", card).split("\n")
    assert row in lines and line in lines, "\n".join(lines)


def test_the_whole_scorecard_in_russian() -> None:
    """Every line a /score reader sees, heading, rows, outcomes and footnotes, in Russian."""
    rows = [
        KindScore(
            WarningKind.LONG_SQUEEZE,
            6,
            8,
            {"1h": Outcome(6, -1.25, -3.0, 5 / 6), "4h": Outcome(0, None, None, None)},
        ),
        KindScore(WarningKind.ACCUMULATION, 3, 3, {"1h": Outcome(3, 0.5, None, None)}),
    ]
    card = Scorecard(rows, NOW, NOW + timedelta(days=7))
    with use_language(BY_CODE["ru"]):
        text = score_text("BTC", card, "Europe/Moscow")
    assert text.split("\n") == [
        "<b>BTC: как сработали предупреждения</b> · 24 нояб. 15:00 – 1 дек. 15:00 Europe/Moscow",
        "Один эпизод — все сообщения об одном движении (повторы с разницей меньше 60 мин). "
        "Медианное движение через 1h и 4h после первого сообщения эпизода:",
        "<b>лонг-сквиз</b>: 6 эпизодов (8 сообщений)",
        f"  1h: цена -1,25{NB}%, OI -3,0{NB}% (n=6): 83{NB}% — как предупреждали",
        "  4h: результата пока нет (нет данных так долго после эпизода)",
        "<b>накопление</b>: 3 эпизода (3 сообщения)",
        f"  1h: цена +0,50{NB}% (n=3): слишком мало истории для оценки (нужно эпизодов: 5)",
        "<i>«Как предупреждали»: цена пошла туда, куда указывало предупреждение (вниз после "
        "лонг-сквиза, перегрева или скученности лонгов; вверх — после того же у шортов).</i>",
        "<i>По собственной истории бота; прошлые движения не обещают будущих.</i>",
    ]


def test_every_warning_kind_has_a_name_on_the_scorecard() -> None:
    assert set(KIND_NAMES) == set(WarningKind)


def test_money_and_plain_numbers_read_as_babel_writes_them_in_every_locale() -> None:
    """grouped/ungrouped swap the locale's signs into Python's own formatting (a /liq reply
    formats ~15 numbers); what the reader sees must stay Babel's CLDR output, digit for digit."""
    from babel.numbers import format_decimal

    rng = random.Random(14)
    values = [Decimal(v) for v in ("0", "-0.001", "-0.004", "0.005", "999.995", "-1234567.891")]
    values += [
        Decimal(rng.randint(-(10**12), 10**12)).scaleb(-rng.randint(0, 12)) for _ in range(300)
    ]
    for language in LANGUAGES:
        with use_language(language):
            for value in values:
                for places in (0, 2, 4, 8):
                    exact = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
                    if exact == 0:
                        exact = abs(exact)  # Babel writes -0.00; the bot drops that sign
                    pattern = "#,##0" + ("." + "0" * places if places else "")
                    assert grouped(value, places) == format_decimal(
                        exact, pattern, locale=language.locale
                    ), (language.code, value, places)
                digits = len(format(value.normalize(), "f").partition(".")[2])
                plain_pattern = "0" + ("." + "0" * digits if digits else "")
                assert ungrouped(value) == format_decimal(
                    value, plain_pattern, locale=language.locale
                ), (language.code, value)
