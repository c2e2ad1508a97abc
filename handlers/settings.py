"""/settings: quiet hours with time zone, the cooldown between repeats of one rule, and the
chat's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import escape

from telegram import Chat, Update
from telegram.constants import ParseMode

from bot.alerts.quiet import QuietHours, parse_cooldown, parse_quiet, parse_zone
from bot.errors import UserError, usage_on_error
from bot.i18n import LANGUAGES, _, language_for, set_language
from bot.i18n.languages import reply_language
from handlers.context import BotContext
from handlers.formatting import duration
from handlers.rules import target_chat
from storage.models import ChatSettings

USAGE = (
    "/settings [quiet HH:MM-HH:MM <time zone>|quiet off|tz <time zone>|"
    "cooldown 15m (m = minutes, h = hours, up to 24h)|lang ru (or auto)]"
)
AUTOMATIC = ("auto", "off")
EXAMPLE = "/settings quiet 23:00-07:00 Europe/Berlin"


def cooldown_text(seconds: int) -> str:
    return duration(Decimal(seconds) / 3600)


def describe(settings: ChatSettings) -> str:
    if settings.quiet_start is not None and settings.quiet_end is not None:
        hours = QuietHours(settings.quiet_start, settings.quiet_end, settings.timezone)
        quiet = _(
            "{hours}: other alerts wait and arrive as one digest after; "
            "squeeze warnings always ring",
            hours=escape(hours.text()),
        )
    else:
        quiet = _("off")
    chosen = language_for(settings.language)
    return _(
        "<b>Settings</b>\nQuiet hours: {quiet}\n"
        "Time zone: {zone} (quiet hours and mute times)\n"
        "Cooldown: {cooldown} between repeats of one rule\n"
        "Language: {language}\n\n"
        "Change: <code>{example}</code>, <code>/settings quiet off</code>, "
        "<code>/settings tz Asia/Tokyo</code>, <code>/settings cooldown 15m</code>, "
        "<code>/settings lang {codes}</code>",
        quiet=quiet,
        zone=escape(settings.timezone),
        cooldown=cooldown_text(settings.cooldown_s),
        language=chosen.name if chosen else _("automatic (Telegram's language, else English)"),
        example=escape(EXAMPLE),
        codes="|".join(language.code for language in LANGUAGES),
    )


def apply(
    settings: ChatSettings,
    args: list[str],
    switch_language: Callable[[str | None], None] = lambda _code: None,
) -> str | None:
    """Changes `settings` from the words after /settings; returns what changed, or None when
    there was nothing to change (a plain /settings). Raises UserError. A new language is
    passed to `switch_language` first, so the confirmation can speak it."""
    if not args:
        return None
    what = args[0].lower()
    if what == "quiet" and len(args) == 2 and args[1].lower() == "off":
        settings.quiet_start = settings.quiet_end = None
        return _("Quiet hours are off.")
    if what == "quiet" and len(args) in (2, 3):
        hours = parse_quiet(args[1], args[2] if len(args) == 3 else settings.timezone)
        settings.quiet_start, settings.quiet_end, settings.timezone = (
            hours.start,
            hours.end,
            hours.zone,
        )
        return _("Quiet hours {hours}.", hours=hours.text())
    if what in ("tz", "timezone") and len(args) == 2:
        settings.timezone = parse_zone(args[1])
        return _("Time zone {zone}.", zone=settings.timezone)
    if what == "cooldown" and len(args) == 2:
        settings.cooldown_s = parse_cooldown(args[1])
        return _(
            "Cooldown {cooldown} for every rule here.", cooldown=cooldown_text(settings.cooldown_s)
        )
    if what in ("lang", "language") and len(args) == 2:
        return _set_language(settings, args[1], switch_language)
    raise UserError(_("I don't know that setting."))


def _set_language(
    settings: ChatSettings, word: str, switch_language: Callable[[str | None], None]
) -> str:
    if word.lower() in AUTOMATIC:
        settings.language = None
        switch_language(None)
        return _("Language: automatic.")
    language = language_for(word)
    if language is None:
        codes = ", ".join(language.code for language in LANGUAGES)
        raise UserError(_("I speak {codes}.", codes=codes))
    settings.language = language.code
    switch_language(language.code)
    return _("Language: {language}.", language=language.name)


async def settings_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    repository, watch = context.services.chat_settings, context.services.watch
    args = list(context.args or [])
    wants_change = bool(args) and not (len(args) == 1 and args[0].startswith("@"))
    target = await target_chat(update, context, args, manage=wants_change)
    if target is None:
        return
    chat_id, rest = target
    settings = await repository.get(chat_id)
    cooldown_before = settings.cooldown_s
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None

    def switch_language(code: str | None) -> None:
        """Only when this chat's own language changed: a channel's does not change the reply."""
        if chat.id == chat_id:
            telegram_code = user.language_code if user is not None else None
            personal = chat.type == Chat.PRIVATE
            set_language(reply_language(code, telegram_code, personal=personal))

    with usage_on_error(USAGE, EXAMPLE):
        changed = apply(settings, rest, switch_language)
    if changed is None:
        await message.reply_text(describe(settings), parse_mode=ParseMode.HTML)
        return
    await repository.save(settings)
    context.languages.remember(chat_id, settings.language)
    if settings.cooldown_s != cooldown_before:
        await watch.set_cooldown(chat_id, timedelta(seconds=settings.cooldown_s), datetime.now(UTC))
    await message.reply_text(
        f"{escape(changed)}\n\n{describe(settings)}", parse_mode=ParseMode.HTML
    )
