"""/settings: quiet hours with time zone, and the cooldown between repeats of one rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import escape

from telegram import Update
from telegram.constants import ParseMode

from bot.alerts.quiet import QuietHours, SettingError, parse_cooldown, parse_quiet, parse_zone
from bot.chat_input import UsageError
from handlers.context import BotContext
from handlers.formatting import duration, usage_text
from handlers.rules import target_chat
from storage.models import ChatSettings

USAGE = (
    "/settings [quiet HH:MM-HH:MM <time zone>|quiet off|tz <time zone>|"
    "cooldown 15m (m = minutes, h = hours, up to 24h)]"
)
EXAMPLE = "/settings quiet 23:00-07:00 Europe/Berlin"


def cooldown_text(seconds: int) -> str:
    return duration(Decimal(seconds) / 3600)


def describe(settings: ChatSettings) -> str:
    if settings.quiet_start is not None and settings.quiet_end is not None:
        hours = QuietHours(settings.quiet_start, settings.quiet_end, settings.timezone)
        quiet = (
            f"{escape(hours.text())}: other alerts wait and arrive as one digest after; "
            "squeeze warnings always ring"
        )
    else:
        quiet = "off"
    cooldown = cooldown_text(settings.cooldown_s)
    return (
        f"<b>Settings</b>\nQuiet hours: {quiet}\n"
        f"Time zone: {escape(settings.timezone)} (quiet hours and mute times)\n"
        f"Cooldown: {cooldown} between repeats of one rule\n\n"
        f"Change: <code>{escape(EXAMPLE)}</code>, <code>/settings quiet off</code>, "
        "<code>/settings tz Asia/Tokyo</code>, <code>/settings cooldown 15m</code>"
    )


def apply(settings: ChatSettings, args: list[str]) -> str | None:
    """Changes `settings` from the words after /settings; returns what changed, or None when
    there was nothing to change (a plain /settings). Raises SettingError."""
    if not args:
        return None
    what = args[0].lower()
    if what == "quiet" and len(args) == 2 and args[1].lower() == "off":
        settings.quiet_start = settings.quiet_end = None
        return "Quiet hours are off."
    if what == "quiet" and len(args) in (2, 3):
        hours = parse_quiet(args[1], args[2] if len(args) == 3 else settings.timezone)
        settings.quiet_start, settings.quiet_end, settings.timezone = (
            hours.start,
            hours.end,
            hours.zone,
        )
        return f"Quiet hours {hours.text()}."
    if what in ("tz", "timezone") and len(args) == 2:
        settings.timezone = parse_zone(args[1])
        return f"Time zone {settings.timezone}."
    if what == "cooldown" and len(args) == 2:
        settings.cooldown_s = parse_cooldown(args[1])
        return f"Cooldown {cooldown_text(settings.cooldown_s)} for every rule here."
    raise SettingError("I don't know that setting.")


async def settings_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    repository, watch = context.services.chat_settings, context.services.watch
    assert repository is not None and watch is not None, "settings need the database"
    args = list(context.args or [])
    wants_change = bool(args) and not (len(args) == 1 and args[0].startswith("@"))
    target = await target_chat(update, context, args, manage=wants_change)
    if target is None:
        return
    chat_id, rest = target
    settings = await repository.get(chat_id)
    cooldown_before = settings.cooldown_s
    try:
        changed = apply(settings, rest)
    except SettingError as error:
        await message.reply_text(
            usage_text(UsageError(str(error), USAGE, EXAMPLE)), parse_mode=ParseMode.HTML
        )
        return
    if changed is None:
        await message.reply_text(describe(settings), parse_mode=ParseMode.HTML)
        return
    await repository.save(settings)
    if settings.cooldown_s != cooldown_before:
        await watch.set_cooldown(chat_id, timedelta(seconds=settings.cooldown_s), datetime.now(UTC))
    await message.reply_text(
        f"{escape(changed)}\n\n{describe(settings)}", parse_mode=ParseMode.HTML
    )
