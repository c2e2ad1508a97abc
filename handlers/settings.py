"""/settings: quiet hours with time zone, the cooldown between repeats of one rule, and the
chat's language. The settings use case changes them; this module words the answer."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from telegram import Chat, Update
from telegram.constants import ParseMode

from bot.i18n import LANGUAGES, _, language_for, set_language
from bot.i18n.dates import zone_label
from bot.i18n.languages import reply_language
from bot.usecases.settings import EXAMPLE, Change, ChatPreferences
from handlers.context import BotContext
from handlers.formatting import duration
from handlers.groups import SETTINGS_REFUSAL
from handlers.rules import target_chat


def cooldown_text(seconds: int) -> str:
    return duration(Decimal(seconds) / 3600)


def describe(settings: ChatPreferences) -> str:
    if settings.quiet is not None:
        quiet = _(
            "{hours}: other alerts wait and arrive as one digest after; "
            "squeeze warnings always ring",
            hours=escape(settings.quiet.text()),
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
        zone=escape(zone_label(settings.timezone)),
        cooldown=cooldown_text(settings.cooldown_s),
        language=chosen.name if chosen else _("automatic (Telegram's language, else English)"),
        example=escape(EXAMPLE),
        codes="|".join(language.code for language in LANGUAGES),
    )


def changed_text(change: Change, settings: ChatPreferences) -> str:
    if change is Change.QUIET_OFF:
        return _("Quiet hours are off.")
    if change is Change.QUIET and settings.quiet is not None:
        return _("Quiet hours {hours}.", hours=settings.quiet.text())
    if change is Change.ZONE:
        return _("Time zone {zone}.", zone=zone_label(settings.timezone))
    if change is Change.COOLDOWN:
        return _(
            "Cooldown {cooldown} for every rule here.", cooldown=cooldown_text(settings.cooldown_s)
        )
    chosen = language_for(settings.language)
    if chosen is None:
        return _("Language: automatic.")
    return _("Language: {language}.", language=chosen.name)


async def settings_command(update: Update, context: BotContext) -> None:
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    assert message is not None and chat is not None
    args = list(context.args or [])
    wants_change = bool(args) and not (len(args) == 1 and args[0].startswith("@"))
    target = await target_chat(update, context, args, manage=wants_change, refusal=SETTINGS_REFUSAL)
    if target is None:
        return
    chat_id, rest = target
    answer = await context.services.chat_preferences.change(chat_id, rest)
    settings = answer.preferences
    if answer.change is None:
        await message.reply_text(describe(settings), parse_mode=ParseMode.HTML)
        return
    context.languages.remember(chat_id, settings.language)
    if answer.change is Change.LANGUAGE and chat.id == chat_id:
        # Only this chat's own language changes the reply (a channel's does not): the
        # confirmation speaks the new one.
        telegram_code = user.language_code if user is not None else None
        personal = chat.type == Chat.PRIVATE
        set_language(reply_language(settings.language, telegram_code, personal=personal))
    await message.reply_text(
        f"{escape(changed_text(answer.change, settings))}\n\n{describe(settings)}",
        parse_mode=ParseMode.HTML,
    )
