"""/watch, /watches, /unwatch and the rule buttons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode

from bot.delivery.channels import fast_path
from bot.rules.grammar import EXAMPLE, USAGE, RuleSyntaxError
from bot.rules.model import Metric
from bot.watch_service import DEFAULT_COOLDOWN, StoredRule, WatchService
from handlers.context import BotContext
from handlers.formatting import usage_text
from handlers.groups import REFUSAL, may_manage
from handlers.parsing import UsageError
from storage.repositories.rules import RuleCapReached

UNWATCH_USAGE = "/unwatch <rule id>|all"
EDIT_USAGE = "/edit <rule id> [>|<] <new value>"
EDIT_EXAMPLE = "/edit 12 0.08%"
MUTES = {"1h": timedelta(hours=1), "24h": timedelta(hours=24)}


def _service(context: BotContext) -> WatchService:
    service = context.services.watch
    assert service is not None, "watch rules need the database"
    return service


async def target_chat(
    update: Update, context: BotContext, args: list[str], *, manage: bool = True
) -> tuple[int, list[str]] | None:
    """The chat whose rules this command changes, and the arguments left; None when refused
    (the user was told why). `@channel` as first argument, from a private chat, means a linked
    channel: the link is checked, and so is admin status again, since either can lapse."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and user is not None and message is not None
    if args and args[0].startswith("@") and chat.type == Chat.PRIVATE:
        channels = context.services.channels
        link = await channels.find(user.id, args[0]) if channels is not None else None
        if link is None:
            await message.reply_text(f"Link it first: /channel {args[0][:33]}")
            return None
        if not await context.admins.is_admin(context.bot, link.channel_id, user.id):
            await message.reply_text(f"You are no longer an admin of {args[0][:33]}.")
            return None
        return link.channel_id, args[1:]
    if not manage or await may_manage(context.bot, context.admins, chat, user.id):
        return chat.id, args
    await message.reply_text(REFUSAL)
    return None


async def _cooldown(context: BotContext, chat_id: int) -> timedelta:
    """New rules get the chat's cooldown from /settings."""
    repository = context.services.chat_settings
    if repository is None:
        return DEFAULT_COOLDOWN
    return timedelta(seconds=(await repository.get(chat_id)).cooldown_s)


async def watch_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    args = list(context.args or [])
    if not args or (len(args) == 1 and args[0].startswith("@")):
        await message.reply_text(
            usage_text(UsageError("What should I watch?", USAGE, EXAMPLE)),
            parse_mode=ParseMode.HTML,
        )
        return
    target = await target_chat(update, context, args)
    if target is None:
        return
    chat_id, rest = target
    try:
        rule = await _service(context).add(
            chat_id, user.id, " ".join(rest), datetime.now(UTC), await _cooldown(context, chat_id)
        )
    except RuleSyntaxError as error:
        reply = usage_text(UsageError(str(error), USAGE, EXAMPLE))
    except RuleCapReached as error:
        reply = f"This chat has {error.cap} rules, the most allowed. Remove one with /watches."
    else:
        reply = (
            f"Watching <b>{escape(rule.text)}</b> (rule #{rule.id}). "
            "You'll get one alert when it crosses; /watches lists your rules."
        )
        channel = fast_path(context.services.settings.broadcast_channels, rule.spec.asset)
        if channel and rule.spec.metric is Metric.SQUEEZE and chat_id > 0:
            reply += "\n\n" + channel
    await message.reply_text(reply, parse_mode=ParseMode.HTML)


def _rule_line(rule: StoredRule, now: datetime) -> str:
    line = f"#{rule.id} <code>{escape(rule.text)}</code>"
    if rule.paused:
        line += " (paused)"
    elif rule.muted_until is not None and rule.muted_until > now:
        line += f" (muted until {rule.muted_until:%H:%M} UTC)"
    return line


def _buttons(rule: StoredRule) -> list[InlineKeyboardButton]:
    buttons = [
        InlineKeyboardButton(f"🗑 #{rule.id}", callback_data=f"rule:del:{rule.id}"),
        InlineKeyboardButton("🔕 1h", callback_data=f"rule:mute:1h:{rule.id}"),
        InlineKeyboardButton("🔕 24h", callback_data=f"rule:mute:24h:{rule.id}"),
    ]
    if not rule.spec.built_in:
        buttons.append(InlineKeyboardButton("✏️", callback_data=f"rule:edit:{rule.id}"))
    return buttons


async def watches_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    # Anyone in a chat may read its rules; changing them is for admins.
    target = await target_chat(update, context, list(context.args or []), manage=False)
    if target is None:
        return
    rules = await _service(context).list(target[0])
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
    message = update.effective_message
    assert message is not None
    resolved = await target_chat(update, context, list(context.args or []))
    if resolved is None:
        return
    chat_id, args = resolved
    which = args[0].lstrip("#").lower() if len(args) == 1 else ""
    if which != "all" and not which.isdigit():
        await message.reply_text(
            usage_text(UsageError("Which rule?", UNWATCH_USAGE, "/unwatch 12")),
            parse_mode=ParseMode.HTML,
        )
        return
    removed = await _service(context).remove(chat_id, None if which == "all" else int(which))
    if removed:
        await message.reply_text(f"Removed {removed} rule{'s' if removed > 1 else ''}.")
    else:
        await message.reply_text("No such rule in this chat; /watches lists them.")


async def edit_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    resolved = await target_chat(update, context, list(context.args or []))
    if resolved is None:
        return
    chat_id, args = resolved
    rule_id = args[0].lstrip("#") if args else ""
    if len(args) < 2 or not rule_id.isdigit():
        await message.reply_text(
            usage_text(UsageError("Which rule, and its new threshold?", EDIT_USAGE, EDIT_EXAMPLE)),
            parse_mode=ParseMode.HTML,
        )
        return
    try:
        rule = await _service(context).edit(
            chat_id, int(rule_id), " ".join(args[1:]), datetime.now(UTC)
        )
    except RuleSyntaxError as error:
        reply = usage_text(UsageError(str(error), EDIT_USAGE, EDIT_EXAMPLE))
    else:
        reply = (
            f"Rule #{rule.id} is now <b>{escape(rule.text)}</b>, armed again."
            if rule is not None
            else "No such rule in this chat; /watches lists them."
        )
    await message.reply_text(reply, parse_mode=ParseMode.HTML)


async def rule_button(update: Update, context: BotContext) -> None:
    """Buttons carry the rule id; the rule's own chat decides who may press them (a channel's
    rules are managed from a private chat)."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    parts = (query.data or "").split(":")
    service = _service(context)
    rule_id = int(parts[-1]) if parts[-1].isdigit() else None
    rule = await service.rules.get(rule_id) if rule_id is not None else None
    if rule is None:
        await query.answer("That rule is already gone; see /watches.")
        return
    allowed = rule.chat_id == user.id or await context.admins.is_admin(
        context.bot, rule.chat_id, user.id
    )
    if not allowed:
        await query.answer(REFUSAL, show_alert=True)
        return
    if parts[1] == "del":
        await service.remove(rule.chat_id, rule_id)
        await query.answer("Rule removed.")
    elif parts[1] == "edit" and isinstance(query.message, Message):
        # Stateless: no conversation to remember, just the command to send.
        await query.answer()
        await query.message.reply_text(
            f"New threshold for #{rule_id} <code>{escape(rule.text)}</code>? Send\n"
            f"<code>/edit {rule_id} 0.08%</code> (same comparison) or "
            f"<code>/edit {rule_id} &lt; -3%</code>",
            parse_mode=ParseMode.HTML,
        )
    elif parts[1] == "mute" and parts[2] in MUTES:
        await service.mute(rule.chat_id, rule_id, datetime.now(UTC) + MUTES[parts[2]])
        await query.answer(f"Muted for {parts[2]}.")
    else:
        await query.answer("That button is out of date; see /watches.")
