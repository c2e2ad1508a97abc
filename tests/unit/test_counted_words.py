"""Numbers read as a trader reads them: a counted word in the plural form of the reader's
language (ru '1 монета', '2 монеты', '5 монет', a fraction '0,5 монеты'), and a change that
rounds to zero never signed as a move ('OI -0.0%' read as a fall)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.alerts.warning_text import summary_text
from bot.i18n import use_language
from bot.i18n.languages import BY_CODE
from bot.i18n.numbers import ungrouped
from bot.i18n.quantities import coins_of, contracts_of
from bot.market.overview import build_overview
from bot.market.overview_text import render
from bot.signals.change import signed_change
from bot.signals.events import CascadeTracker
from bot.signals.series import BAR
from bot.signals.warning import SignalWarning, evidence_number
from tests.unit.test_alert_warning_text import EARLY, T0, point
from tests.unit.test_market_overview import NOW, P

AMOUNTS = ["1", "2", "5", "21", "0.5", "1.5", "2.5", "1000000"]
COINS = {
    "en": ["1 coin", "2 coins", "5 coins", "21 coins", "0.5 coins", "1.5 coins", "2.5 coins",
           "1000000 coins"],
    "ru": ["1 монета", "2 монеты", "5 монет", "21 монета", "0,5 монеты", "1,5 монеты",
           "2,5 монеты", "1000000 монет"],
    "es": ["1 moneda", "2 monedas", "5 monedas", "21 monedas", "0,5 monedas", "1,5 monedas",
           "2,5 monedas", "1000000 de monedas"],
    # Portuguese keeps the singular below 2, fractions too (CLDR: i = 0,1).
    "pt": ["1 moeda", "2 moedas", "5 moedas", "21 moedas", "0,5 moeda", "1,5 moeda",
           "2,5 moedas", "1000000 de moedas"],
    "tr": ["1 coin", "2 coin", "5 coin", "21 coin", "0,5 coin", "1,5 coin", "2,5 coin",
           "1000000 coin"],
    "zh": ["1 枚币", "2 枚币", "5 枚币", "21 枚币", "0.5 枚币", "1.5 枚币", "2.5 枚币",
           "1000000 枚币"],
}  # fmt: skip
CONTRACTS = {
    "en": ["1 contract", "2 contracts", "5 contracts", "21 contracts", "0.5 contracts"],
    "ru": ["1 контракт", "2 контракта", "5 контрактов", "21 контракт", "0,5 контракта"],
    "es": ["1 contrato", "2 contratos", "5 contratos", "21 contratos", "0,5 contratos"],
    "pt": ["1 contrato", "2 contratos", "5 contratos", "21 contratos", "0,5 contrato"],
    "tr": ["1 kontrat", "2 kontrat", "5 kontrat", "21 kontrat", "0,5 kontrat"],
    "zh": ["1 张合约", "2 张合约", "5 张合约", "21 张合约", "0.5 张合约"],
}


@pytest.mark.parametrize("code", list(COINS))
def test_a_counted_word_takes_the_form_its_number_wants(code: str) -> None:
    with use_language(BY_CODE[code]):
        coins = [coins_of(Decimal(a), ungrouped(Decimal(a))) for a in AMOUNTS]
        contracts = [contracts_of(Decimal(a), ungrouped(Decimal(a))) for a in AMOUNTS[:5]]
    assert coins == COINS[code]
    assert contracts == CONTRACTS[code]


def test_a_change_that_rounds_to_zero_shows_its_digit_or_reads_flat() -> None:
    assert [signed_change(v) for v in (1.24, -1.25, 0.04, -0.04, -0.004, -0.0)] == [
        "+1.2", "-1.2", "+0.04", "-0.04", "0.0", "0.0",
    ]  # fmt: skip
    assert signed_change(-1234.4, 0, group=True) == "-1,234"
    assert signed_change(-0.3, 0, group=True) == "-0.3"
    assert evidence_number("OI (contracts) pct", -0.001) == "-0.001"
    assert evidence_number("OI (contracts) pct", -0.0001) == "0.00"


def squeeze_over_with_oi_back_where_it_started() -> SignalWarning:
    """A long squeeze whose OI ends 0.04 % below its start: 'OI -0.0%' read as a fall."""
    tracker = CascadeTracker()
    tracker.update("BTC", [], T0, [point(0, 60_000, 10_000, 0)])
    tracker.update("BTC", [EARLY], T0 + 2 * BAR, [point(2, 58_200, 9_996, 0)])
    (over,) = tracker.update("BTC", [], T0 + 12 * BAR, [point(12, 58_800, 9_996, 0)])
    return over


OVER = {
    "en": "BTC long squeeze over after 60 min; price -2.0% since onset; low -3.0%; "
    "OI -0.04% (-4 contracts, -12.2M USD notional); liquidated: longs 0.0M USD, shorts 0.0M USD",
    "ru": "BTC: лонг-сквиз закончился через 60 мин; цена -2,0\u00a0% с начала; минимум "
    "-3,0\u00a0%; открытый интерес -0,04\u00a0% (-4 контракта, -12,2M USD в номинале); "
    "ликвидации: лонги 0,0M USD, шорты 0,0M USD",
}


@pytest.mark.parametrize("code", list(OVER))
def test_an_event_summary_says_a_tiny_oi_change_as_it_is(code: str) -> None:
    over = squeeze_over_with_oi_back_where_it_started()
    with use_language(BY_CODE[code]):
        assert summary_text(over) == OVER[code]


VENUES = {
    "en": ["1 venue", "2 venues", "5 venues", "21 venues"],
    "ru": ["1 биржа", "2 биржи", "5 бирж", "21 биржа"],
    "es": ["1 exchange", "2 exchanges", "5 exchanges", "21 exchanges"],
    "tr": ["1 borsa", "2 borsa", "5 borsa", "21 borsa"],
    "zh": ["1 家交易所", "2 家交易所", "5 家交易所", "21 家交易所"],
}


@pytest.mark.parametrize("code", list(VENUES))
def test_the_oi_title_counts_its_venues(code: str) -> None:
    """/oi's title: '1 venue', not '1 venues'; Russian one/few/many (21 is one again);
    Turkish and Chinese nouns do not change after a number."""
    titles = []
    for count in (1, 2, 5, 21):
        latest = [P(f"venue{i}", NOW, 87412.5, 1100.0) for i in range(count)]
        with use_language(BY_CODE[code]):
            titles.append(render(build_overview("BTC", latest, [], [], NOW), {}).split("\n")[0])
    assert [title.split(" · ")[1] for title in titles] == VENUES[code]
