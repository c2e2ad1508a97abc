"""`/watch` text -> RuleSpec, and back to text for /watches.

/watch BTC oi 1h > 5%         /watch ETH funding > 0.05%     /watch SOL basis > 0.5%
/watch BTC price 1h < -3%     /watch BTC liq 1h > 50M        /watch BTC overheating
/watch * squeeze              /watch BTC funding > p95 on bybit
/watch BTC price > 100k       /watch ETH price < 3,000 on bybit

`price` with a window is the % change over it; with none, a USD level (Metric.PRICE_LEVEL)
that the asset's price crosses: 100000, 100k, 100,000, $100k, 1.5M, 0.5.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from bot.chat_input import MAX_PRICE, decimal_point, join_digit_groups
from bot.errors import UserError
from bot.i18n import N_, _
from bot.market.venues.registry import DEFAULT_VENUES
from bot.rules.model import (
    ALL_ASSETS,
    BUILT_IN,
    PERCENT,
    WINDOWED,
    WINDOWS,
    Metric,
    Op,
    RuleSpec,
    Threshold,
)

VENUES = DEFAULT_VENUES  # a rule names one of the venues polled by default
USAGE = (
    "/watch <asset|*> <oi|oi$|funding|basis|price|liq|squeeze|overheating> "
    "[5m|15m|1h|4h|24h] [> or <] [value] [on venue]"
)
# Whatever goes wrong with a `price` rule that has no window, this says what to type.
LEVEL_HELP = N_(
    "A price level is a USD amount, like /watch BTC price > 100k; a % change needs a window: "
    "/watch BTC price 1h < -3%."
)
EXAMPLE = "/watch BTC oi 1h > 5%"
_ASSET = re.compile(r"^[A-Z0-9]{1,15}$")
_AMOUNT = re.compile(r"^([+-]?[0-9]{1,30}(?:\.[0-9]{1,8})?)([KMB])?$")
_DIGITS = re.compile(r"^[+-]?[0-9.]+[KMB]?$")
_PERCENTILE = re.compile(r"^P([0-9]{1,3})$")
MAX_LIQ_USD = Decimal(10) ** 12  # more than any day's liquidations across every venue
_SCALE = {"K": Decimal(1_000), "M": Decimal(1_000_000), "B": Decimal(1_000_000_000)}
# Beyond these a rule can never fire (or always fires): almost surely a typo.
_LIMITS = {
    Metric.OI: Decimal(1),
    Metric.OI_USD: Decimal(1),
    Metric.PRICE: Decimal(1),
    Metric.FUNDING: Decimal("0.05"),
    Metric.BASIS: Decimal("0.5"),
}


# A usual size for each: '5%' is an ordinary OI move and an extreme funding rate.
_PERCENT_EXAMPLES = {
    Metric.OI: "5%",
    Metric.OI_USD: "5%",
    Metric.PRICE: "-3%",
    Metric.FUNDING: "0.05%",
    Metric.BASIS: "0.5%",
}


class RuleSyntaxError(UserError, ValueError):
    """One short sentence; the use case adds USAGE and EXAMPLE."""


def _tokens(text: str) -> list[str]:
    # "oi 1h>5%" and "oi 1h > 5%" mean the same; so do "5%" and "5 %", as Russian, Spanish or
    # Portuguese write a percent (the bot's own replies in those languages too).
    spaced = re.sub(r"([<>]=?)", r" \1 ", re.sub(r"\s+%", "%", text))
    return spaced.split()


def parse_rule(text: str) -> RuleSpec:
    words = _tokens(text)
    if len(words) < 2:
        raise RuleSyntaxError(_("Say which asset and what to watch."))
    if len(text) > 120:
        raise RuleSyntaxError(_("That rule is too long."))
    asset = ALL_ASSETS if words[0].lower() in _EVERY_ASSET else words[0].upper()
    if asset != ALL_ASSETS and not _ASSET.match(asset):
        raise RuleSyntaxError(_("'{word}' is not an asset name like BTC.", word=words[0][:15]))
    try:
        metric = Metric(words[1].lower())
    except ValueError:
        raise RuleSyntaxError(_("I can't watch '{word}'.", word=words[1][:15])) from None
    rest = words[2:]
    venue = None
    if len(rest) >= 2 and rest[-2].lower() == "on":
        venue = rest[-1].lower()
        if venue not in VENUES:
            raise RuleSyntaxError(
                _("Unknown venue '{word}': {venues}.", word=rest[-1][:15], venues=", ".join(VENUES))
            )
        rest = rest[:-2]
    if metric in BUILT_IN:
        if rest:
            raise RuleSyntaxError(
                _("'{metric}' takes no threshold: it is a built-in warning.", metric=metric)
            )
        return RuleSpec(asset=asset, metric=metric, venue=venue)
    window = None
    if metric is Metric.PRICE and (not rest or rest[0].lower() not in WINDOWS):
        return _level(asset, _comparison(join_digit_groups(rest)), venue)
    if metric in WINDOWED:
        if not rest or rest[0].lower() not in WINDOWS:
            windows = ", ".join(WINDOWS)
            raise RuleSyntaxError(
                _("'{metric}' needs a window: {windows}.", metric=metric, windows=windows)
            )
        window, rest = rest[0].lower(), rest[1:]
    rest = _comparison(rest)
    if len(rest) != 2:
        raise RuleSyntaxError(_("Give a comparison and a value, like > 5%."))
    op_word, value_word = rest
    if op_word not in (">", "<", ">=", "<="):
        raise RuleSyntaxError(_("The comparison is > or <."))
    op = Op(op_word[0])
    return RuleSpec(
        asset=asset,
        metric=metric,
        window=window,
        op=op,
        threshold=_threshold(metric, value_word),
        venue=venue,
    )


# 'all' and 'any' as traders say '*'; comparisons in words, and '≥'/'≤' as phones offer them.
_EVERY_ASSET = ("all", "any", "every")
_OP_WORDS = {"above": ">", "over": ">", "≥": ">", "below": "<", "under": "<", "≤": "<"}


def _comparison(rest: list[str]) -> list[str]:
    """The comparison as > or <: 'above 100k', 'under 3000'; 'up 5%' is > 5% and 'down 3%'
    < -3%; a signed value alone says its own side ('+5%' is > 5%, '-3%' < -3%)."""
    if len(rest) == 2 and rest[0].lower() in _OP_WORDS:
        return [_OP_WORDS[rest[0].lower()], rest[1]]
    if len(rest) == 2 and rest[0].lower() in ("up", "down") and rest[1][:1].isdigit():
        return [">", rest[1]] if rest[0].lower() == "up" else ["<", "-" + rest[1]]
    if len(rest) == 1 and rest[0][:1] in ("+", "-") and rest[0][1:2].isdigit():
        return [">" if rest[0][0] == "+" else "<", rest[0].removeprefix("+")]
    return rest


def _level(asset: str, rest: list[str], venue: str | None) -> RuleSpec:
    """`price > 100k`: the price crossing a USD level, for one asset (each has its own)."""
    if len(rest) != 2 or rest[0] not in (">", "<", ">=", "<="):
        raise RuleSyntaxError(_(LEVEL_HELP))
    if asset == ALL_ASSETS:
        raise RuleSyntaxError(
            _("A price level is for one asset, like /watch BTC price > 100k: each has its own.")
        )
    upper = decimal_point(rest[1].upper())
    if upper.endswith("%") or _PERCENTILE.match(upper):
        raise RuleSyntaxError(_(LEVEL_HELP))
    value = _amount(upper)
    if not 0 < value <= MAX_PRICE:  # the most an entry or a mark may be in /liq
        raise RuleSyntaxError(_("A price level is a positive USD amount up to 10M, like 100k."))
    return RuleSpec(
        asset=asset,
        metric=Metric.PRICE_LEVEL,
        op=Op(rest[0][0]),
        threshold=Threshold(value=value),
        venue=venue,
    )


def _threshold(metric: Metric, word: str) -> Threshold:
    upper = decimal_point(word.upper())  # 0,05% typed the European way is 0.05%
    if match := _PERCENTILE.match(upper):
        percentile = int(match.group(1))
        if not 1 <= percentile <= 99:
            raise RuleSyntaxError(_("A percentile is p1 to p99, like p95."))
        return Threshold(percentile=percentile)
    if metric in PERCENT:
        if not upper.endswith("%"):
            raise RuleSyntaxError(
                _(
                    "Give {metric} as a percentage, like {example}.",
                    metric=metric,
                    example=_PERCENT_EXAMPLES[metric],
                )
            )
        value = _amount(upper[:-1]) / 100
        if abs(value) > _LIMITS[metric]:
            problem = _("{word} is out of range for {metric}.", word=word, metric=metric)
            raise RuleSyntaxError(problem)
        return Threshold(value=value)
    if upper.endswith("%"):
        raise RuleSyntaxError(
            _("Liquidation rules take a USD amount, not a percentage: /watch BTC liq 1h > 50M.")
        )
    value = _amount(upper)
    if not 0 < value <= MAX_LIQ_USD:
        raise RuleSyntaxError(_("Liquidations are a positive USD amount up to 1000B, like 50M."))
    return Threshold(value=value)


def _amount(word: str) -> Decimal:
    match = _AMOUNT.match(word)
    if not match:
        if _DIGITS.match(word):
            raise RuleSyntaxError(_("That number has too many digits."))
        raise RuleSyntaxError(_("'{word}' is not a number.", word=word[:15]))
    try:
        value = Decimal(match.group(1))
    except InvalidOperation:
        raise RuleSyntaxError(_("'{word}' is not a number.", word=word[:15])) from None
    return value * _SCALE[match.group(2)] if match.group(2) else value


def describe(spec: RuleSpec) -> str:
    """The rule as the user would type it, normalized: 'BTC oi 1h > 5%'."""
    parts = [spec.asset, spec.metric.word]
    if spec.window:
        parts.append(spec.window)
    if spec.op is not None and spec.threshold is not None:
        parts.append(str(spec.op))
        parts.append(_threshold_text(spec.metric, spec.threshold))
    if spec.venue:
        parts += ["on", spec.venue]
    return " ".join(parts)


def _threshold_text(metric: Metric, threshold: Threshold) -> str:
    if threshold.percentile is not None:
        return f"p{threshold.percentile}"
    assert threshold.value is not None
    if metric in PERCENT:
        return f"{(threshold.value * 100).normalize():f}%"
    for suffix, scale in (("B", _SCALE["B"]), ("M", _SCALE["M"]), ("K", _SCALE["K"])):
        if threshold.value >= scale and threshold.value % (scale / 1000) == 0:
            return f"{(threshold.value / scale).normalize():f}{suffix}"
    return f"{threshold.value.normalize():f}"


def with_new_threshold(spec: RuleSpec, change: str) -> RuleSpec:
    """The rule with another threshold: '0.08%' keeps the comparison, '< -3%' changes it."""
    if spec.metric in BUILT_IN:
        raise RuleSyntaxError(
            _("'{metric}' is a built-in warning: it has no threshold.", metric=spec.metric)
        )
    words = _tokens(change)
    if spec.metric is Metric.PRICE_LEVEL:
        words = join_digit_groups(words)  # '105 000', as Russian groups thousands
    if len(words) == 1 and spec.op is not None:
        words = [str(spec.op), words[0]]
    if len(words) != 2:
        raise RuleSyntaxError(_("Give the new value, like 0.08% or < -3%."))
    parts = [spec.asset, spec.metric.word, *([spec.window] if spec.window else []), *words]
    return parse_rule(" ".join(parts + (["on", spec.venue] if spec.venue else [])))
