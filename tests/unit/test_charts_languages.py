"""Chart pictures in the reader's language: every word, number, tick and key, and in Chinese
every glyph drawn (matplotlib warns "Glyph ... missing from font(s)" when its font has none
and draws an empty box)."""

from __future__ import annotations

import io
import warnings

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from bot.charts.fonts import typeface
from bot.charts.levels_chart import draw_levels, render_levels
from bot.charts.market_chart import draw_market_chart, render_market_chart
from bot.charts.theme import DARK, LIGHT
from bot.i18n import Language, use_language
from bot.i18n.languages import BY_CODE
from bot.signals.series import Point
from tests.unit.test_charts import _levels, chart_of
from tests.unit.test_charts import cascade as cascade_fixture
from tests.unit.test_replay_real import at

cascade = cascade_fixture  # the real 2025-10-10 series, read once per module

NB = "\u00a0"


def _texts(fig: Figure, language: Language) -> set[str]:
    with typeface(language):
        fig.canvas.draw()  # tick labels exist only once drawn
    return {t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()}


def _market(cascade: list[Point], language: Language) -> set[str]:
    chart = chart_of(cascade, "7d", now=at("2025-10-11 15:42"), live_from=at("2025-10-11 00:00"))
    with use_language(language), typeface(language):
        return _texts(draw_market_chart(chart, DARK), language)


WORDS = {
    "ru": {
        "BTC · последние 21 ч из 7d",
        "OI 74,7k BTC ($8,38B) · binance",
        "свечи 1 ч · данные до 11 окт. 15:35 UTC (7 мин назад)",
        "цена, USD",
        "OI, BTC",
        "фандинг, %/8 ч",
        "ликв., USD",
        "расчётная ◂ ┆ ▸ прогноз",
        "Нет данных по ликвидациям",
        "лонг-сквиз",
        "перегрев шортов",
        "11 окт.",
        f"110{NB}000",
        "0,005",
    },
    "zh": {
        "BTC · 7d 中最近 21小时",
        "持仓量 74.7k BTC（$8.38B） · binance",
        "1小时 K线 · 数据截至 10月11日 15:35 UTC（7分钟前）",
        "价格，USD",
        "持仓量，BTC",
        "资金费率 %/8小时",
        "爆仓，USD",
        "已结算 ◂ ┆ ▸ 预测",
        "暂无爆仓数据",
        "多头挤压（多杀多）",
        "空头过热",
        "10月11日",
        "110,000",
    },
}


@pytest.mark.parametrize("code", list(WORDS))
def test_the_market_chart_speaks_the_readers_language(cascade: list[Point], code: str) -> None:
    texts = _market(cascade, BY_CODE[code])
    assert WORDS[code] <= texts, sorted(texts)


def test_the_levels_strip_speaks_the_readers_language(cascade: list[Point]) -> None:
    russian = BY_CODE["ru"]
    with use_language(russian):
        texts = _texts(draw_levels(_levels(cascade), DARK), russian)
    assert {
        "BTC: уровни ликвидаций",
        "ОЦЕНКА МОДЕЛИ, не данные биржи",
        "OI добавлен 10 окт. 20:25 – 11 окт. 15:35 UTC (19 ч)",
        "данные 2 мин назад · binance, okx",
        "ликвидации лонгов ниже",
        "цена ликвидации, USD",
    } <= texts, sorted(texts)


@pytest.mark.parametrize("code", ["zh", "ru", "tr"])
def test_every_glyph_is_drawn_in_chinese_russian_and_turkish(
    cascade: list[Point], code: str
) -> None:
    with use_language(BY_CODE[code]), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        chart = chart_of(cascade, "24h", live_from=at("2025-10-10 23:00"))
        pictures = [render_market_chart(chart, LIGHT), render_levels(_levels(cascade), DARK)]
    assert [str(w.message) for w in caught] == []
    assert all(Image.open(io.BytesIO(p)).size == (1080, 1350) for p in pictures)


def test_without_the_cjk_font_chinese_would_be_missing_glyphs(cascade: list[Point]) -> None:
    """The check above can fail: drawn without the bundled font, Chinese text warns."""
    with use_language(BY_CODE["zh"]), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = draw_market_chart(chart_of(cascade, "4h"), DARK)
        fig.canvas.draw()
    assert any("missing from font" in str(w.message) for w in caught)
