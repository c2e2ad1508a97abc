"""/watch, /watches, /unwatch and the rule buttons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode

from bot.rules.grammar import EXAMPLE, USAGE, RuleSyntaxError
from bot.watch_service import StoredRule, WatchService
from handlers.context import BotContext
from handlers.formatting import usage_text
from handlers.groups import REFUSAL, may_manage
from handlers.parsing import UsageError
from storage.repositories.rules import RuleCapReached

UNWATCH_USAGE = "/unwatch <rule id>|all"
MUTES = {"1h": timedelta(hours=1), "24h": timedelta(hours=24)}


def _service(context: BotContext) -> WatchService:
    service = context.services.watch
    assert service is not None, "watch rules need the database"
    return service


async def _allowed(update: Update, context: BotContext) -> bool:
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and user is not None and message is not None
    if await may_manage(context.bot, context.admins, chat, user.id):
        return True
    await message.reply_text(REFUSAL)
    return False


async def watch_command(update: Update, context: BotContext) -> None:
    message, chat, user = update.effective_message, update.effective_chat, update.effective_user
    assert message is not None and chat is not None and user is not None
    text = " ".join(context.args or [])
    if not text:
        await message.reply_text(
            usage_text(UsageError("What should I watch?", USAGE, EXAMPLE)),
            parse_mode=ParseMode.HTML,
        )
        return
    if not await _allowed(update, context):
        return
    try:
        rule = await _service(context).add(chat.id, user.id, text, datetime.now(UTC))
    except RuleSyntaxError as error:
        reply = usage_text(UsageError(str(error), USAGE, EXAMPLE))
    except RuleCapReached as error:
        reply = f"This chat has {error.cap} rules, the most allowed. Remove one with /watches."
    else:
        reply = (
            f"Watching <b>{escape(rule.text)}</b> (rule #{rule.id}). "
            "You'll get one alert when it crosses; /watches lists your rules."
        )
    await message.reply_text(reply, parse_mode=ParseMode.HTML)


def _rule_line(rule: StoredRule, now: datetime) -> str:
    line = f"#{rule.id} <code>{escape(rule.text)}</code>"
    if rule.paused:
        line += " (paused)"
    elif rule.muted_until is not None and rule.muted_until > now:
        line += f" (muted until {rule.muted_until:%H:%M} UTC)"
    return line


def _buttons(rule: StoredRule) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(f"🗑 #{rule.id}", callback_data=f"rule:del:{rule.id}"),
        InlineKeyboardButton("🔕 1h", callback_data=f"rule:mute:1h:{rule.id}"),
        InlineKeyboardButton("🔕 24h", callback_data=f"rule:mute:24h:{rule.id}"),
    ]


async def watches_command(update: Update, context: BotContext) -> None:
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None
    rules = await _service(context).list(chat.id)
    if not rules:
        await message.reply_text(
            f"No rules here yet. Try <code>{escape(EXAMPLE)}</code>", parse_mode=ParseMode.HTML
        )
        return
    now = datetime.now(UTC)
    text = "<b>Watch rules</b>\n" + "\n".join(_rule_line(r, now) for r in rules)
    markup = InlineKeyboardMarkup([_buttons(r) for r in rules[:20]])
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def unwatch_command(update: Update, context: BotContext) -> None:
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None
    args = context.args or []
    target = args[0].lstrip("#").lower() if len(args) == 1 else ""
    if target != "all" and not target.isdigit():
        await message.reply_text(
            usage_text(UsageError("Which rule?", UNWATCH_USAGE, "/unwatch 12")),
            parse_mode=ParseMode.HTML,
        )
        return
    if not await _allowed(update, context):
        return
    removed = await _service(context).remove(chat.id, None if target == "all" else int(target))
    if removed:
        await message.reply_text(f"Removed {removed} rule{'s' if removed > 1 else ''}.")
    else:
        await message.reply_text("No such rule in this chat; /watches lists them.")


async def rule_button(update: Update, context: BotContext) -> None:
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    assert query is not None and chat is not None and user is not None
    parts = (query.data or "").split(":")
    if not await may_manage(context.bot, context.admins, chat, user.id):
        await query.answer(REFUSAL, show_alert=True)
        return
    service = _service(context)
    if parts[1] == "del" and parts[2].isdigit():
        done = await service.remove(chat.id, int(parts[2])) > 0
        await query.answer("Rule removed." if done else "Already gone.")
    elif parts[1] == "mute" and parts[2] in MUTES and parts[3].isdigit():
        until = datetime.now(UTC) + MUTES[parts[2]]
        done = await service.mute(chat.id, int(parts[3]), until)
        await query.answer(f"Muted for {parts[2]}." if done else "Already gone.")
    else:
        await query.answer("That button is out of date; see /watches.")
