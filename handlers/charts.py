"""/chart, /levels, /score and the chart button on alerts: parse, ask the picture service,
send the photo or the text."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ParseMode

from bot.charts.clock import between
from bot.charts.service import Levels, PictureService, Scorecard
from bot.charts.theme import CHART_WINDOWS, THEMES
from bot.chat_input import UsageError, asset_word
from bot.market.overview_text import compact
from bot.market_service import MARKET_OFF, DataUnavailable, UnknownAsset
from bot.risk.clusters import LEVERAGE_MIX, Cluster
from bot.signals.episodes import EPISODE_GAP
from bot.signals.score import EXPECTED_DIRECTION, HORIZONS, MIN_EPISODES, Outcome
from handlers.context import BotContext
from handlers.formatting import usage_text
from handlers.market import unknown_sentence

CHART_USAGE = "/chart <asset> [4h|24h|7d] [dark|light]"
CHART_EXAMPLE = "/chart BTC 24h"
LEVELS_USAGE = "/levels <asset> [dark|light]"
SCORE_USAGE = "/score <asset>"
T = TypeVar("T")


def _pictures(context: BotContext) -> PictureService | None:
    return context.services.pictures


def parse_chart_args(args: list[str]) -> tuple[str, str, str]:
    """(asset, window, theme) in any order after the asset; defaults 24h, dark."""
    if not args or not asset_word(args[0]):
        raise UsageError("Which asset?", CHART_USAGE, CHART_EXAMPLE)
    window, theme = "24h", "dark"
    for word in args[1:]:
        lowered = word.lower()
        if lowered in CHART_WINDOWS:
            window = lowered
        elif lowered in THEMES:
            theme = lowered
        else:
            raise UsageError(
                f"Unknown option {word[:12]}: windows are 4h, 24h, 7d.", CHART_USAGE, CHART_EXAMPLE
            )
    return args[0], window, theme


async def _refuse(message: Message, text: str) -> None:
    await message.reply_text(text, parse_mode=ParseMode.HTML)


async def _fetch(
    message: Message,
    pictures: PictureService | None,
    word: str,
    build: Callable[[PictureService, str], Awaitable[T]],
) -> tuple[str, T] | None:
    """(asset, what `build` made), or None once the user has been told why not."""
    if pictures is None:
        await message.reply_text(MARKET_OFF)
        return None
    try:
        asset = pictures.market.resolve(word)
        return asset, await build(pictures, asset)
    except UnknownAsset as error:
        await message.reply_text(unknown_sentence(error))
    except DataUnavailable as error:
        await message.reply_text(str(error))
    return None


async def send_chart(
    message: Message, context: BotContext, asset_word: str, window: str, theme: str
) -> None:
    zone = await context.zone(message.chat_id)
    found = await _fetch(
        message, _pictures(context), asset_word, lambda p, a: p.chart(a, window, theme, zone)
    )
    if found is None:
        return
    asset, png = found
    await message.reply_photo(
        png, caption=f"{asset} {window}: price, OI, funding, liquidations. Shaded: engine warnings."
    )


async def chart_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    try:
        asset, window, theme = parse_chart_args(list(context.args or []))
    except UsageError as error:
        await _refuse(message, usage_text(error))
        return
    await message.reply_chat_action(ChatAction.UPLOAD_PHOTO)
    await send_chart(message, context, asset, window, theme)


async def chart_button(update: Update, context: BotContext) -> None:
    """`chart:<asset>` under an alert: the 24h chart, as a new message below it."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    asset = (query.data or "").split(":", 1)[-1]
    if isinstance(query.message, Message) and asset_word(asset):
        await send_chart(query.message, context, asset, "24h", "dark")


def cluster_line(cluster: Cluster, bin_pct: float) -> str:
    # The band's near and far edge: "0.0–0.5% below" reads as a range, "-0.0%" as "at price".
    far = cluster.distance_pct + bin_pct
    where = "below" if cluster.side == "long" else "above"
    return (
        f"${cluster.low:,.6g}–{cluster.high:,.6g} "
        f"({cluster.distance_pct:.1f}–{far:.1f}% {where}): ~${compact(cluster.usd)}"
    )


ASSUMPTIONS = (
    "Model estimate, not venue data: OI added in each 5-min bar of the last 7 days is placed "
    "at that bar's price, half long, half short, at "
    + ", ".join(f"{s.leverage}x {s.share:.0%}" for s in LEVERAGE_MIX)
    + f" (isolated, mmr {LEVERAGE_MIX[0].mmr:.1%}); falling OI closes all in proportion; "
    "levels that price has crossed are dropped."
)
HOW_BUTTON = InlineKeyboardMarkup(
    [[InlineKeyboardButton("How is this estimated?", callback_data="levels:how")]]
)


def levels_text(asset: str, levels: Levels, zone: str = "UTC") -> str:
    model = levels.model
    lines = [
        f"<b>{escape(asset)} liquidation levels</b> (model) · price ${model.price:,.6g}",
        f"OI added {escape(between(levels.since, levels.until, zone))}"
        f" · {escape(', '.join(levels.venues))}",
    ]
    for side, title in (("short", "Shorts liquidate above"), ("long", "Longs liquidate below")):
        lines.append(f"<b>{title}</b>")
        lines += [f"• {escape(cluster_line(c, model.bin_pct))}" for c in model.nearest(side)] or [
            "• none modelled"
        ]
    lines.append(
        f"Within 2%: longs ~${compact(model.within('long', 2))}, "
        f"shorts ~${compact(model.within('short', 2))}"
    )
    return "\n".join(lines)


def _single_asset(args: list[str], usage: str, example: str) -> tuple[str, list[str]]:
    if not args or not asset_word(args[0]):
        raise UsageError("Which asset?", usage, example)
    return args[0], args[1:]


async def levels_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    pictures = _pictures(context)
    try:
        word, rest = _single_asset(list(context.args or []), LEVELS_USAGE, "/levels BTC")
        theme = rest[0].lower() if rest else "dark"
        if len(rest) > 1 or theme not in THEMES:
            raise UsageError("Only a theme may follow: dark or light.", LEVELS_USAGE, "/levels BTC")
    except UsageError as error:
        await _refuse(message, usage_text(error))
        return
    zone = await context.zone(message.chat_id)
    found = await _fetch(message, pictures, word, lambda p, asset: p.levels(asset, theme, zone))
    if found is None:
        return
    asset, levels = found
    await message.reply_photo(levels.png, caption=f"{asset} liquidation levels (model estimate)")
    await message.reply_text(
        levels_text(asset, levels, zone), parse_mode=ParseMode.HTML, reply_markup=HOW_BUTTON
    )


async def levels_button(update: Update, _context: BotContext) -> None:
    """`levels:how` under a /levels answer: the model's assumptions, once, when asked."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.reply_text(ASSUMPTIONS)


def _outcome_text(outcome: Outcome) -> str:
    if not outcome.count or outcome.price_pct is None:
        return "no outcome yet (no data that long after an episode)"
    oi = f", OI {outcome.oi_pct:+.1f}%" if outcome.oi_pct is not None else ""
    if outcome.count < MIN_EPISODES:
        judged = f"too little history to judge ({MIN_EPISODES} episodes needed)"
    elif outcome.hit_rate is not None:
        judged = f"{outcome.hit_rate:.0%} as warned"
    else:
        judged = "no direction to judge"
    return f"price {outcome.price_pct:+.2f}%{oi} (n={outcome.count}): {judged}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def score_text(asset: str, card: Scorecard, zone: str = "UTC") -> str:
    span = escape(between(card.since, card.until, zone))
    if not card.rows:
        return f"No warnings for {escape(asset)} in the stored history ({span})."
    gap = int(EPISODE_GAP.total_seconds() // 60)
    lines = [
        f"<b>{escape(asset)} warning scorecard</b> · {span}",
        f"One episode = every message of one move (repeats under {gap} min apart). "
        f"Median move {' and '.join(HORIZONS)} after each episode's first message:",
    ]
    for row in card.rows:
        lines.append(
            f"<b>{escape(row.kind.replace('_', ' '))}</b>: {_plural(row.episodes, 'episode')}"
            f" ({_plural(row.messages, 'message')})"
        )
        lines += [f"  {label}: {escape(_outcome_text(o))}" for label, o in row.outcomes.items()]
    if any(row.kind in EXPECTED_DIRECTION for row in card.rows):
        lines.append(
            "<i>As warned: price moved the way the warning pointed (down after a long squeeze, "
            "overheating or crowding of longs; up after the same on the short side).</i>"
        )
    lines.append(
        "<i>From this bot's own stored history; past moves do not promise future ones.</i>"
    )
    return "\n".join(lines)


async def score_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    pictures = _pictures(context)
    try:
        word, rest = _single_asset(list(context.args or []), SCORE_USAGE, "/score BTC")
        if rest:
            raise UsageError("Just the asset, please.", SCORE_USAGE, "/score BTC")
    except UsageError as error:
        await _refuse(message, usage_text(error))
        return
    found = await _fetch(message, pictures, word, lambda p, asset: p.scorecard(asset))
    if found is None:
        return
    asset, card = found
    zone = await context.zone(message.chat_id)
    await message.reply_text(score_text(asset, card, zone), parse_mode=ParseMode.HTML)
