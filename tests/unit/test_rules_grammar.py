from __future__ import annotations

from decimal import Decimal

import pytest

from bot.rules.grammar import RuleSyntaxError, describe, parse_rule, with_new_threshold
from bot.rules.model import Metric, Op, RuleSpec, Threshold


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("BTC oi 1h > 5%", RuleSpec("BTC", Metric.OI, "1h", Op.ABOVE, Threshold(Decimal("0.05")))),
        (
            "btc oi$ 4h>10%",
            RuleSpec("BTC", Metric.OI_USD, "4h", Op.ABOVE, Threshold(Decimal("0.1"))),
        ),
        (
            "ETH funding > 0.05%",
            RuleSpec("ETH", Metric.FUNDING, None, Op.ABOVE, Threshold(Decimal("0.0005"))),
        ),
        (
            "BTC funding < -0.03%",
            RuleSpec("BTC", Metric.FUNDING, None, Op.BELOW, Threshold(Decimal("-0.0003"))),
        ),
        (
            "SOL basis > 0.5%",
            RuleSpec("SOL", Metric.BASIS, None, Op.ABOVE, Threshold(Decimal("0.005"))),
        ),
        (
            "BTC price 1h < -3%",
            RuleSpec("BTC", Metric.PRICE, "1h", Op.BELOW, Threshold(Decimal("-0.03"))),
        ),
        (
            "BTC liq 1h > 50M",
            RuleSpec("BTC", Metric.LIQ, "1h", Op.ABOVE, Threshold(Decimal(50_000_000))),
        ),
        ("BTC overheating", RuleSpec("BTC", Metric.OVERHEATING)),
        ("BTC squeeze", RuleSpec("BTC", Metric.SQUEEZE)),
        ("* squeeze", RuleSpec("*", Metric.SQUEEZE)),
        ("BTC squeeze on bybit", RuleSpec("BTC", Metric.SQUEEZE, venue="bybit")),
        (
            "BTC funding > p95 on bybit",
            RuleSpec("BTC", Metric.FUNDING, None, Op.ABOVE, Threshold(percentile=95), "bybit"),
        ),
    ],
)
def test_rules_parse(text: str, spec: RuleSpec) -> None:
    assert parse_rule(text) == spec


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("btc oi 1h >5%", "BTC oi 1h > 5%"),
        ("BTC liq 1h > 50000000", "BTC liq 1h > 50M"),
        ("ETH funding > 0.050%", "ETH funding > 0.05%"),
        ("* squeeze on okx", "* squeeze on okx"),
    ],
)
def test_describe_gives_back_the_normal_form(text: str, normal: str) -> None:
    assert describe(parse_rule(text)) == normal
    assert parse_rule(describe(parse_rule(text))) == parse_rule(text)


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("btc funding above 0.05%", "BTC funding > 0.05%"),
        ("btc funding over 0.05%", "BTC funding > 0.05%"),
        ("btc funding below -0.03%", "BTC funding < -0.03%"),
        ("btc oi 1h up 5%", "BTC oi 1h > 5%"),
        ("btc price 1h down 3%", "BTC price 1h < -3%"),
        ("btc oi 1h +5%", "BTC oi 1h > 5%"),
        ("btc price 1h -3%", "BTC price 1h < -3%"),
        ("btc oi 4h ≥ 10%", "BTC oi 4h > 10%"),
        ("btc price above 100k", "BTC price > 100K"),
        ("eth price under 3 000 on bybit", "ETH price < 3K on bybit"),
        ("all squeeze", "* squeeze"),
        ("Any overheating", "* overheating"),
    ],
)
def test_comparisons_in_words_and_signed_values_read_as_traders_mean_them(
    text: str, normal: str
) -> None:
    """Before, each of these was 'The comparison is > or <' or 'I don't watch ALL'."""
    assert describe(parse_rule(text)) == normal


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "Say which asset"),
        ("BTC oi 1h up -5%", "The comparison is > or <"),
        ("BTC price -100", "positive USD amount"),
        ("BTC", "Say which asset"),
        ("BTC moon > 5%", "I can't watch 'moon'"),
        ("BTC oi > 5%", "needs a window"),
        ("BTC oi 2h > 5%", "needs a window"),
        ("BTC oi 1h 5%", "comparison and a value"),
        ("BTC oi 1h = 5%", "The comparison is > or <"),
        ("BTC oi 1h > 5", "Give oi as a percentage, like 5%"),
        ("BTC funding > 0.05", "Give funding as a percentage, like 0.05%"),
        ("BTC basis > 1", "Give basis as a percentage, like 0.5%"),
        ("BTC oi 1h > lots%", "not a number"),
        ("BTC funding > 9%", "out of range"),
        ("BTC liq 1h > -5M", "positive USD amount"),
        ("BTC funding > p100", "p1 to p99"),
        ("BTC squeeze > 5%", "takes no threshold"),
        ("BTC squeeze on kraken", "Unknown venue"),
        ("B$C squeeze", "not an asset name"),
        ("BTC oi 1h > 5% " + "x" * 200, "too long"),
    ],
)
def test_bad_rules_say_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(RuleSyntaxError, match=problem):
        parse_rule(text)


LEVEL_HELP = (
    "A price level is a USD amount, like /watch BTC price > 100k; a % change needs a window: "
    "/watch BTC price 1h < -3%."
)


def _level(op: Op, value: str, venue: str | None = None) -> RuleSpec:
    return RuleSpec("BTC", Metric.PRICE_LEVEL, None, op, Threshold(Decimal(value)), venue)


@pytest.mark.parametrize(
    ("text", "spec", "normal"),
    [
        ("BTC price > 100k", _level(Op.ABOVE, "100000"), "BTC price > 100K"),
        ("btc price>100000", _level(Op.ABOVE, "100000"), "BTC price > 100K"),
        ("BTC price > 100,000", _level(Op.ABOVE, "100000"), "BTC price > 100K"),
        ("BTC price < $100k", _level(Op.BELOW, "100000"), "BTC price < 100K"),
        ("BTC price < 100 000", _level(Op.BELOW, "100000"), "BTC price < 100K"),  # Russian
        ("BTC price > 0.5", _level(Op.ABOVE, "0.5"), "BTC price > 0.5"),
        ("BTC price > 1.5M", _level(Op.ABOVE, "1500000"), "BTC price > 1.5M"),
        ("BTC price < 3000 on bybit", _level(Op.BELOW, "3000", "bybit"), "BTC price < 3K on bybit"),
        ("BTC price > 99,999.5", _level(Op.ABOVE, "99999.5"), "BTC price > 99999.5"),
        (  # with a window, price stays the % change
            "BTC price 1h < -3%",
            RuleSpec("BTC", Metric.PRICE, "1h", Op.BELOW, Threshold(Decimal("-0.03"))),
            "BTC price 1h < -3%",
        ),
    ],
)
def test_price_without_a_window_is_a_usd_level(text: str, spec: RuleSpec, normal: str) -> None:
    assert parse_rule(text) == spec
    assert describe(spec) == normal
    assert parse_rule(normal) == spec


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("BTC price > 5%", LEVEL_HELP),
        ("BTC price > p95", LEVEL_HELP),
        ("BTC price 100k", LEVEL_HELP),
        ("BTC price", LEVEL_HELP),
        ("BTC price = 100k", LEVEL_HELP),
        (
            "* price > 100k",
            "A price level is for one asset, like /watch BTC price > 100k: each has its own.",
        ),
        ("BTC price > -5", "A price level is a positive USD amount up to 10M, like 100k."),
        ("BTC price > 20M", "A price level is a positive USD amount up to 10M, like 100k."),
        ("BTC price > 0", "A price level is a positive USD amount up to 10M, like 100k."),
    ],
)
def test_price_level_mistakes_say_what_to_type(text: str, problem: str) -> None:
    with pytest.raises(RuleSyntaxError) as refused:
        parse_rule(text)
    assert str(refused.value) == problem


def test_editing_a_level_keeps_it_a_level() -> None:
    level = parse_rule("BTC price > 100k on bybit")
    assert describe(with_new_threshold(level, "105k")) == "BTC price > 105K on bybit"
    assert describe(with_new_threshold(level, "< 95 000")) == "BTC price < 95K on bybit"
    with pytest.raises(RuleSyntaxError) as refused:
        with_new_threshold(level, "5%")
    assert str(refused.value) == LEVEL_HELP
    change = parse_rule("BTC price 1h < -3%")
    assert describe(with_new_threshold(change, "-5%")) == "BTC price 1h < -5%"
