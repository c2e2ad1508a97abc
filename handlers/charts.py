"""/chart, /levels, /score and the chart button on alerts: parse, ask the picture service,
send the photo or the text."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from html import escape
from typing import TypeVar
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction, ParseMode

from bot.charts.service import Levels, PictureService, Scorecard
from bot.charts.theme import CHART_WINDOWS, THEMES
from bot.chat_input import asset_word
from bot.errors import UserError
from bot.i18n import N_, _, ngettext
from bot.i18n.dates import day_time_span
from bot.i18n.numbers import localize_digits, percent
from bot.market.overview_text import compact, signed_percent
from bot.risk.clusters import LEVERAGE_MIX, Cluster
from bot.risk.side import Side
from bot.services import Services
from bot.signals.episodes import EPISODE_GAP
from bot.signals.kinds import WarningKind
from bot.signals.score import EXPECTED_DIRECTION, HORIZONS, MIN_EPISODES, Outcome
from handlers.context import BotContext

CHART_USAGE = "/chart <asset> [4h|24h|7d] [dark|light]"
CHART_EXAMPLE = "/chart BTC 24h"
LEVELS_USAGE = "/levels <asset> [dark|light]"
SCORE_USAGE = "/score <asset>"
T = TypeVar("T")
KIND_NAMES: dict[WarningKind, str] = {
    WarningKind.LONG_SQUEEZE: N_("long squeeze"),
    WarningKind.SHORT_SQUEEZE: N_("short squeeze"),
    WarningKind.OVERHEATING_LONG: N_("overheating long"),
    WarningKind.OVERHEATING_SHORT: N_("overheating short"),
    WarningKind.ACCUMULATION: N_("accumulation"),
    WarningKind.DIVERGENCE_CLOSES: N_("divergence closes"),
    WarningKind.DIVERGENCE_SHORTS: N_("divergence shorts"),
    WarningKind.CROWDING_LONG: N_("crowding long"),
    WarningKind.CROWDING_SHORT: N_("crowding short"),
    WarningKind.BASIS_WIDENING: N_("basis widening"),
}


def parse_chart_args(args: list[str]) -> tuple[str, str, str]:
    """(asset, window, theme) in any order after the asset; defaults 24h, dark."""
    if not args or not asset_word(args[0]):
        raise UserError(_("Which asset?"), CHART_USAGE, CHART_EXAMPLE)
    window, theme = "24h", "dark"
    for word in args[1:]:
        lowered = word.lower()
        if lowered in CHART_WINDOWS:
            window = lowered
        elif lowered in THEMES:
            theme = lowered
        else:
            raise UserError(
                _("Unknown option {word}: windows are 4h, 24h, 7d.", word=word[:12]),
                CHART_USAGE,
                CHART_EXAMPLE,
            )
    return args[0], window, theme


async def _fetch(
    services: Services, word: str, build: Callable[[PictureService, str], Awaitable[T]]
) -> tuple[str, T]:
    """(asset, what `build` made); UnknownAsset or DataUnavailable say why not."""
    asset = services.market.resolve(word)
    return asset, await build(services.pictures, asset)


async def send_chart(
    message: Message, context: BotContext, asset_word: str, window: str, theme: str
) -> None:
    zone = await context.zone(message.chat_id)
    asset, png = await _fetch(
        context.services, asset_word, lambda p, a: p.chart(a, window, theme, zone)
    )
    await message.reply_photo(
        png,
        caption=_(
            "{asset} {window}: price, OI, funding, liquidations. Shaded: engine warnings.",
            asset=asset,
            window=window,
        ),
    )


async def chart_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    asset, window, theme = parse_chart_args(list(context.args or []))
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
    band = (
        N_("{low}–{high} ({near}–{far}% below): ~{usd}")
        if cluster.side == Side.LONG
        else N_("{low}–{high} ({near}–{far}% above): ~{usd}")
    )
    return _(
        band,
        low="$" + localize_digits(f"{cluster.low:,.6g}"),
        high=localize_digits(f"{cluster.high:,.6g}"),
        near=localize_digits(f"{cluster.distance_pct:.1f}"),
        far=localize_digits(f"{far:.1f}"),
        usd="$" + localize_digits(compact(cluster.usd)),
    )


ASSUMPTIONS = N_(
    "Model estimate, not venue data: OI added in each 5-min bar of the last 7 days is placed "
    "at that bar's price, half long, half short, at {mix} (isolated, mmr {mmr}); falling OI "
    "closes all in proportion; levels that price has crossed are dropped."
)
MIX = ", ".join(f"{s.leverage}x {s.share:.0%}" for s in LEVERAGE_MIX)


def assumptions() -> str:
    return _(ASSUMPTIONS, mix=MIX, mmr=f"{LEVERAGE_MIX[0].mmr:.1%}")


def how_button() -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(_("How is this estimated?"), callback_data="levels:how")
    return InlineKeyboardMarkup([[button]])


def levels_text(asset: str, levels: Levels, zone: str = "UTC") -> str:
    model = levels.model
    lines = [
        _(
            "<b>{asset} liquidation levels</b> (model) · price {price}",
            asset=escape(asset),
            price="$" + localize_digits(f"{model.price:,.6g}"),
        ),
        _(
            "OI added {span} · {venues}",
            span=escape(day_time_span(levels.since, levels.until, ZoneInfo(zone))),
            venues=escape(", ".join(levels.venues)),
        ),
    ]
    titles = ((Side.SHORT, N_("Shorts liquidate above")), (Side.LONG, N_("Longs liquidate below")))
    for side, title in titles:
        lines.append(f"<b>{_(title)}</b>")
        lines += [f"• {escape(cluster_line(c, model.bin_pct))}" for c in model.nearest(side)] or [
            "• " + _("none modelled")
        ]
    lines.append(
        _(
            "Within 2%: longs ~{longs}, shorts ~{shorts}",
            longs="$" + localize_digits(compact(model.within(Side.LONG, 2))),
            shorts="$" + localize_digits(compact(model.within(Side.SHORT, 2))),
        )
    )
    return "\n".join(lines)


def _single_asset(args: list[str], usage: str, example: str) -> tuple[str, list[str]]:
    if not args or not asset_word(args[0]):
        raise UserError(_("Which asset?"), usage, example)
    return args[0], args[1:]


async def levels_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    word, rest = _single_asset(list(context.args or []), LEVELS_USAGE, "/levels BTC")
    theme = rest[0].lower() if rest else "dark"
    if len(rest) > 1 or theme not in THEMES:
        problem = _("Only a theme may follow: dark or light.")
        raise UserError(problem, LEVELS_USAGE, "/levels BTC")
    zone = await context.zone(message.chat_id)
    asset, levels = await _fetch(
        context.services, word, lambda p, asset: p.levels(asset, theme, zone)
    )
    caption = _("{asset} liquidation levels (model estimate)", asset=asset)
    await message.reply_photo(levels.png, caption=caption)
    await message.reply_text(
        levels_text(asset, levels, zone), parse_mode=ParseMode.HTML, reply_markup=how_button()
    )


async def levels_button(update: Update, _context: BotContext) -> None:
    """`levels:how` under a /levels answer: the model's assumptions, once, when asked."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.reply_text(assumptions())


def _outcome_text(outcome: Outcome) -> str:
    if not outcome.count or outcome.price_pct is None:
        return _("no outcome yet (no data that long after an episode)")
    if outcome.count < MIN_EPISODES:
        judged = _("too little history to judge ({count} episodes needed)", count=MIN_EPISODES)
    elif outcome.hit_rate is not None:
        judged = _("{share} as warned", share=percent(Decimal(str(outcome.hit_rate)), 0))
    else:
        judged = _("no direction to judge")
    price = signed_percent(outcome.price_pct, 2)
    if outcome.oi_pct is None:
        return _("price {price} (n={n}): {judged}", price=price, n=outcome.count, judged=judged)
    return _(
        "price {price}, OI {oi} (n={n}): {judged}",
        price=price,
        oi=signed_percent(outcome.oi_pct, 1),
        n=outcome.count,
        judged=judged,
    )


def score_text(asset: str, card: Scorecard, zone: str = "UTC") -> str:
    span = escape(day_time_span(card.since, card.until, ZoneInfo(zone)))
    if not card.rows:
        return _(
            "No warnings for {asset} in the stored history ({span}).",
            asset=escape(asset),
            span=span,
        )
    gap = int(EPISODE_GAP.total_seconds() // 60)
    lines = [
        _("<b>{asset} warning scorecard</b> · {span}", asset=escape(asset), span=span),
        _(
            "One episode = every message of one move (repeats under {gap} min apart). "
            "Median move {horizons} after each episode's first message:",
            gap=gap,
            horizons=_(" and ").join(HORIZONS),
        ),
    ]
    for row in card.rows:
        lines.append(
            _(
                "<b>{kind}</b>: {episodes} ({messages})",
                kind=escape(_(KIND_NAMES[row.kind])),
                episodes=ngettext("{n} episode", "{n} episodes", row.episodes),
                messages=ngettext("{n} message", "{n} messages", row.messages),
            )
        )
        lines += [
            "  " + _("{horizon}: {outcome}", horizon=label, outcome=escape(_outcome_text(o)))
            for label, o in row.outcomes.items()
        ]
    if any(row.kind in EXPECTED_DIRECTION for row in card.rows):
        lines.append(
            _(
                "<i>As warned: price moved the way the warning pointed (down after a long "
                "squeeze, overheating or crowding of longs; up after the same on the short "
                "side).</i>"
            )
        )
    lines.append(
        _("<i>From this bot's own stored history; past moves do not promise future ones.</i>")
    )
    return "\n".join(lines)


async def score_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    word, rest = _single_asset(list(context.args or []), SCORE_USAGE, "/score BTC")
    if rest:
        raise UserError(_("Just the asset, please."), SCORE_USAGE, "/score BTC")
    asset, card = await _fetch(context.services, word, lambda p, asset: p.scorecard(asset))
    zone = await context.zone(message.chat_id)
    await message.reply_text(score_text(asset, card, zone), parse_mode=ParseMode.HTML)
