"""/start, /help and the command menu: one list of commands, each with a runnable example."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from html import escape

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application

from bot.chat_input import CHANNEL_USAGE, FUNDING_USAGE, LIQ_USAGE
from bot.i18n import ENGLISH, LANGUAGES, N_, _, use_language
from bot.rules.grammar import USAGE as WATCH_USAGE
from bot.usecases.positions import ADD_USAGE
from bot.usecases.settings import USAGE as SETTINGS_USAGE
from bot.usecases.watches import EDIT_USAGE
from handlers.charts import CHART_USAGE, LEVELS_USAGE, SCORE_USAGE
from handlers.context import BotContext
from handlers.market import USAGE as MARKET_USAGE
from handlers.rules import UNWATCH_USAGE

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandDoc:
    name: str
    summary: str
    examples: tuple[str, ...]
    usage: str = ""
    limits: str = ""


COMMANDS: tuple[CommandDoc, ...] = (
    CommandDoc(
        "liq",
        N_("Liquidation price, distance, margin and loss"),
        (
            "/liq 50000 50x long",
            "/liq 3200 20 short eth",
            "/liq 50000 50x long mmr=0.5%",
            "/liq 50000 100x long binance btcusdt size=2",
            "/liq 50000 20x long binance cross balance=5000",
            "/liq 50000 50x long bybit btcusd inverse",
            "/liq BTC 20x long binance",
            "/liq BTC long 60000 10x",
        ),
        LIQ_USAGE,
        N_(
            "entry and mark up to 10,000,000; size (coin, or contracts for inverse) up to "
            "1,000,000,000; balance up to 1,000,000,000,000; leverage 1-200x and below 1/mmr; "
            "mmr 0-50%; fee 0-1%. Tier tables: Binance BTCUSDT, Bybit BTCUSDT and BTCUSD "
            "(inverse), OKX and other Bybit symbols when refreshed live; elsewhere give mmr=."
        ),
    ),
    CommandDoc(
        "funding",
        N_("Funding cost of holding a position"),
        (
            "/funding 10000 0.01% 3d",
            "/funding 10000 0.01% 3d 4h short",
            "/funding 10000 0.03% 2d lev=20 entry=50000",
            "/funding BTC 10000 long 3d",
            "/funding 3d 10000 0.01% short",
            "/funding long 10000 3d BTC",
        ),
        FUNDING_USAGE,
        N_(
            "notional up to 1,000,000,000,000 USDT; rate up to ±5% per interval; hold up to 365d "
            "(m = minutes, h, d, w); intervals 1h, 2h, 4h, 6h, 8h."
        ),
    ),
    CommandDoc(
        "oi",
        N_("Open interest, funding, basis and liquidations per venue (alias /market)"),
        ("/oi BTC",),
        MARKET_USAGE,
    ),
    CommandDoc(
        "watch",
        N_("Alert me when a rule crosses"),
        (
            "/watch BTC oi 1h > 5%",
            "/watch BTC price > 100k",
            "/watch ETH funding > 0.05%",
            "/watch * squeeze",
            "/watch BTC liq 1h > 50M",
        ),
        WATCH_USAGE,
        N_(
            "assets: the ones this bot polls, or * for all; oi, oi$ and price up to ±100%, funding "
            "up to ±5%, basis up to ±50%, liq a USD amount up to 1000B; percentiles p1-p99; "
            "price with no window is a USD level up to 10M, for one asset."
        ),
    ),
    CommandDoc(
        "chart",
        N_("Price, OI, funding and liquidations as a picture"),
        ("/chart BTC", "/chart ETH 4h", "/chart BTC 7d light"),
        CHART_USAGE,
    ),
    CommandDoc(
        "watches", N_("This chat's rules, with delete, mute and edit buttons"), ("/watches",)
    ),
    CommandDoc(
        "edit", N_("Change a rule's threshold"), ("/edit 12 0.08%", "/edit 12 < -3%"), EDIT_USAGE
    ),
    CommandDoc(
        "unwatch", N_("Remove a rule, or all"), ("/unwatch 12", "/unwatch all"), UNWATCH_USAGE
    ),
    CommandDoc(
        "settings",
        N_("Quiet hours (alerts wait for a digest; squeezes still ring), time zone, cooldown"),
        ("/settings", "/settings quiet 23:00-07:00 Europe/Berlin", "/settings cooldown 15m"),
        SETTINGS_USAGE,
        N_("time zones are IANA names like Europe/Berlin; cooldown up to 24h (m = minutes)."),
    ),
    CommandDoc(
        "pos",
        N_("Guard your position: alerts before liquidation, private chat only"),
        (
            "/pos add BTC long 50000 50x size=0.2 binance",
            "/pos add ETH short 3200 20x size=5 levels=10,5,2",
            "/pos",
        ),
        ADD_USAGE,
        N_(
            "private chats only; levels up to 5 percentages; funding= a rate per 8h; cost= USD a "
            "settlement; then /pos close|edit|snooze <id>. Your claim: no API keys."
        ),
    ),
    CommandDoc(
        "levels",
        N_("Where liquidation clusters probably sit (model)"),
        ("/levels BTC", "/levels ETH light"),
        LEVELS_USAGE,
    ),
    CommandDoc("score", N_("How past warnings played out"), ("/score BTC",), SCORE_USAGE),
    CommandDoc(
        "channel",
        N_("Link a channel you run, to post its alerts; off unlinks it"),
        ("/channel @mydesk", "/channel @mydesk off"),
        CHANNEL_USAGE,
        N_(
            "your channels only, from a private chat, by their current name; unlinking removes "
            "the channel's rules and their unsent alerts, unless other admins linked it too."
        ),
    ),
    CommandDoc(
        "help", N_("This list; /help liq shows one command in full"), ("/help", "/help liq")
    ),
)
BY_NAME = {doc.name: doc for doc in COMMANDS}
ALIASES = {"market": "oi"}  # '/help market' is /oi's page, as /market is /oi
# The first screen: what people use most. The rest are grouped below it by name only.
MOST_USED = ("liq", "funding", "oi", "watch", "chart")
GROUPS = (
    (N_("Risk math"), ("liq", "funding")),
    (N_("Market"), ("oi", "chart", "levels", "score")),
    (N_("Alerts"), ("watch", "watches", "edit", "unwatch", "settings", "channel")),
    (N_("Your positions"), ("pos",)),
)


def help_text(bot_username: str | None, command: str | None = None) -> str:
    name = (command or "").lower().lstrip("/")
    doc = BY_NAME.get(ALIASES.get(name, name))
    if doc is not None:
        return command_help(doc)
    lines = [_("<b>oiwatch</b>: exact perp risk math for your phone."), ""]
    for name in MOST_USED:
        used = BY_NAME[name]
        summary = _(used.summary)
        summary = summary[0].lower() + summary[1:]
        lines.append(f"<code>{escape(used.examples[0])}</code> – {escape(summary)}")
    lines.append("")
    for title, names in GROUPS:
        lines.append(f"<b>{_(title)}</b>: " + ", ".join(f"/{name}" for name in names))
    lines.append(_("<code>/help liq</code> (or any command): every example, the usage and limits."))
    lines.append("")
    if bot_username:
        lines.append(
            _(
                "In any chat type <code>@{bot} 50000 50x long</code> to share a liquidation "
                "answer.",
                bot=escape(bot_username),
            )
        )
    lines.append(_("Numbers are for isolated, one-way positions unless you say cross."))
    return "\n".join(lines)


def command_help(doc: CommandDoc) -> str:
    lines = [f"<b>/{doc.name}</b>: {escape(_(doc.summary))}"]
    if doc.usage:
        lines.append(_("Usage: <code>{usage}</code>", usage=escape(doc.usage)))
    lines.extend(f"<code>{escape(example)}</code>" for example in doc.examples)
    if doc.limits:
        lines.append(_("Limits: {limits}", limits=escape(_(doc.limits))))
    return "\n".join(lines)


async def help_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    args = context.args or []
    await update.effective_message.reply_text(
        help_text(context.bot.username, args[0] if args else None), parse_mode=ParseMode.HTML
    )


async def publish_command_menu(application: Application) -> None:  # type: ignore[type-arg]
    """English is the default menu; each other language gets its own for the users whose
    Telegram speaks it. The menu is a convenience: a failure is logged and the bot carries on."""
    for language in LANGUAGES:
        with use_language(language):
            commands = [BotCommand(doc.name, _(doc.summary)) for doc in COMMANDS]
        code = None if language is ENGLISH else language.code
        try:
            await application.bot.set_my_commands(commands, language_code=code)
        except TelegramError as error:
            log.warning("could not publish the %s command menu: %s", language.code, error)
