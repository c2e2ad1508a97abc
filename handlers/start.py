"""/start, /help and the command menu: one list of commands, each with a runnable example."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from html import escape

from telegram import BotCommand, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import Application

from handlers.context import BotContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CommandDoc:
    name: str
    summary: str
    examples: tuple[str, ...]


COMMANDS: tuple[CommandDoc, ...] = (
    CommandDoc(
        "liq",
        "Liquidation price, distance, margin and loss",
        (
            "/liq 50000 50x long",
            "/liq 3200 20 short eth",
            "/liq 50000 50x long mmr=0.5%",
            "/liq 50000 100x long binance btcusdt size=2",
            "/liq 50000 20x long binance cross balance=5000",
            "/liq 50000 50x long bybit btcusd inverse",
        ),
    ),
    CommandDoc(
        "funding",
        "Funding cost of holding a position",
        (
            "/funding 10000 0.01% 3d",
            "/funding 10000 0.01% 3d 4h short",
            "/funding 10000 0.03% 2d lev=20 entry=50000",
        ),
    ),
    CommandDoc(
        "oi",
        "Open interest, funding, basis and liquidations per venue (alias /market)",
        ("/oi BTC", "/liq BTC 20x long", "/funding BTC 10000 long 3d"),
    ),
    CommandDoc(
        "watch",
        "Alert me when a rule crosses (then /watches, /unwatch)",
        ("/watch BTC oi 1h > 5%", "/watch ETH funding > 0.05%", "/watch * squeeze"),
    ),
    CommandDoc(
        "pos",
        "Guard your position: alerts before liquidation, private chat only",
        (
            "/pos add BTC long 50000 50x size=0.2 binance",
            "/pos add ETH short 3200 20x size=5 levels=10,5,2",
            "/pos",
        ),
    ),
    CommandDoc(
        "settings",
        "Quiet hours (alerts wait for a digest; squeezes still ring) and cooldown",
        ("/settings", "/settings quiet 23:00-07:00 Europe/Berlin", "/settings cooldown 15m"),
    ),
    CommandDoc("edit", "Change a rule's threshold", ("/edit 12 0.08%", "/edit 12 < -3%")),
    CommandDoc(
        "chart",
        "Price, OI, funding and liquidations as a picture",
        ("/chart BTC", "/chart ETH 4h", "/chart BTC 7d light"),
    ),
    CommandDoc("levels", "Where liquidation clusters probably sit (model)", ("/levels BTC",)),
    CommandDoc("score", "How past warnings played out", ("/score BTC",)),
    CommandDoc("channel", "Link a channel you run, to post its alerts", ("/channel @mydesk",)),
    CommandDoc("help", "Every command with an example", ("/help",)),
)


def help_text(bot_username: str | None) -> str:
    lines = ["<b>oiwatch</b>: exact perp risk math for your phone.", ""]
    for doc in COMMANDS:
        lines.append(f"/{doc.name}: {escape(doc.summary)}")
        lines.extend(f"  <code>{escape(example)}</code>" for example in doc.examples)
    lines.append("")
    if bot_username:
        lines.append(
            f"In any chat type <code>@{escape(bot_username)} 50000 50x long</code> "
            "to share a liquidation answer."
        )
    lines.append("Numbers are for isolated, one-way positions unless you say cross.")
    return "\n".join(lines)


async def help_command(update: Update, context: BotContext) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        help_text(context.bot.username), parse_mode=ParseMode.HTML
    )


async def publish_command_menu(application: Application) -> None:  # type: ignore[type-arg]
    """The menu is a convenience: a failure here is logged and the bot carries on."""
    commands = [BotCommand(doc.name, doc.summary) for doc in COMMANDS]
    try:
        await application.bot.set_my_commands(commands)
    except TelegramError as error:
        log.warning("could not publish the command menu: %s", error)
