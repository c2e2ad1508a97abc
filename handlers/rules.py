"""/watch, /watches, /unwatch and the rule buttons."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from telegram import (
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError

from bot.alerts.observations import level_already_crossed
from bot.alerts.render import value_text
from bot.chat_input import parse_id
from bot.delivery.channels import fast_path
from bot.delivery.render import TELEGRAM_LIMIT
from bot.errors import UserError
from bot.i18n import N_, _, ngettext
from bot.i18n.catalogs import in_every_language
from bot.i18n.dates import weekday_time
from bot.rules.grammar import EXAMPLE, USAGE
from bot.rules.model import BUILT_IN, Metric, RuleSpec
from bot.usecases.watches import EDIT_EXAMPLE, EDIT_USAGE, StoredRule, WatchService
from handlers.channels import name_lookup
from handlers.context import BotContext
from handlers.edits import command_of
from handlers.groups import REFUSAL, may_manage
from handlers.replies import reply_html
from storage.repositories.origins import Made

UNWATCH_USAGE = "/unwatch <rule id>|all"
MUTES = {"1h": timedelta(hours=1), "24h": timedelta(hours=24)}
LISTING_TITLE = N_("Watch rules")
NO_RULES = N_("No rules here yet. Try <code>{example}</code>")
# An edited /watch whose rule was removed since (/unwatch, 🗑): the edit watches anew.
GONE = N_("Rule #{id}, which this message made, was already removed; this edit adds a new one.")
BUTTON_RULES = 20  # a keyboard of more rows is unwieldy on a phone

log = logging.getLogger(__name__)


def _service(context: BotContext) -> WatchService:
    return context.services.watch


async def target_chat(
    update: Update,
    context: BotContext,
    args: list[str],
    *,
    manage: bool = True,
    refusal: str = REFUSAL,
) -> tuple[int, list[str]] | None:
    """The chat whose rules this command changes, and the arguments left; None when refused
    (the user was told why). `@channel` as first argument, from a private chat, means a linked
    channel: the link is checked, and so is admin status again, since either can lapse."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    assert chat is not None and user is not None and message is not None
    if args and args[0].startswith("@") and chat.type != Chat.PRIVATE:
        # Read as this group's own rule, '@mydesk' was 'not an asset name' and /watches
        # @mydesk listed the group's rules as if they were the channel's.
        await message.reply_text(
            _("Manage {channel} from a private chat with me.", channel=args[0][:33])
        )
        return None
    if args and args[0].startswith("@"):
        channels = context.services.channels
        link = await channels.find(user.id, args[0], name_lookup(context.bot))
        if link is None:
            await message.reply_text(_("Link it first: /channel {channel}", channel=args[0][:33]))
            return None
        if not await context.admins.is_admin(context.bot, link.channel_id, user.id):
            await message.reply_text(
                _("You are no longer an admin of {channel}.", channel=args[0][:33])
            )
            return None
        return link.channel_id, args[1:]
    if not manage or await may_manage(context.bot, context.admins, chat, user.id):
        return chat.id, args
    await message.reply_text(_(refusal))
    return None


# What a new rule sends, by whether it is another chat's (a linked channel) and its metric: a
# built-in warning has no threshold to cross, so it says what it sends instead.
FOLLOW_UP = {
    (True, None): N_(
        "Watching <b>{rule}</b> (rule #{id}). "
        "You'll get one alert when it crosses; {listing} lists its rules."
    ),
    (False, None): N_(
        "Watching <b>{rule}</b> (rule #{id}). "
        "You'll get one alert when it crosses; {listing} lists your rules."
    ),
    (True, Metric.SQUEEZE): N_(
        "Watching <b>{rule}</b> (rule #{id}). You'll get one thread per squeeze: the early "
        "warning rings, its confirmation, escalation and summary reply to it quietly; "
        "{listing} lists its rules."
    ),
    (False, Metric.SQUEEZE): N_(
        "Watching <b>{rule}</b> (rule #{id}). You'll get one thread per squeeze: the early "
        "warning rings, its confirmation, escalation and summary reply to it quietly; "
        "{listing} lists your rules."
    ),
    (True, Metric.OVERHEATING): N_(
        "Watching <b>{rule}</b> (rule #{id}). You'll get an alert when overheating starts or "
        "grows more severe; {listing} lists its rules."
    ),
    (False, Metric.OVERHEATING): N_(
        "Watching <b>{rule}</b> (rule #{id}). You'll get an alert when overheating starts or "
        "grows more severe; {listing} lists your rules."
    ),
}


async def _cooldown(context: BotContext, chat_id: int) -> timedelta:
    """New rules get the chat's cooldown from /settings."""
    repository = context.services.chat_settings
    return timedelta(seconds=(await repository.get(chat_id)).cooldown_s)


async def watch_command(update: Update, context: BotContext) -> None:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    args = list(context.args or [])
    if not args or (len(args) == 1 and args[0].startswith("@")):
        raise UserError(_("What should I watch?"), USAGE, EXAMPLE)
    target = await target_chat(update, context, args)
    if target is None:
        return
    chat_id, rest = target
    service, text, now = _service(context), " ".join(rest), datetime.now(UTC)
    known = context.services.feed.known_assets

    async def make() -> tuple[StoredRule, int]:
        cooldown = await _cooldown(context, chat_id)
        rule = await service.add(chat_id, user.id, text, now, cooldown, known_assets=known)
        return rule, rule.id

    outcome = await context.services.origins.make_or_change(
        command_of(update),
        Made.RULE,
        now,
        make=make,
        change=lambda rule_id: service.replace(chat_id, rule_id, text, now, known),
    )
    rule = outcome.made
    if outcome.changed:
        await message.reply_text(await _changed_text(context, rule), parse_mode=ParseMode.HTML)
        return
    linked = len(rest) < len(args)
    metric = rule.spec.metric if rule.spec.metric in BUILT_IN else None
    follow_up = FOLLOW_UP[(linked, metric)]
    listing = "/watches" + (f" {args[0]}" if linked else "")
    reply = _(follow_up, rule=escape(rule.text), id=rule.id, listing=escape(listing))
    channel = fast_path(context.services.settings.broadcast_channels, rule.spec.asset)
    if channel and rule.spec.metric is Metric.SQUEEZE and chat_id > 0:
        reply += "\n\n" + channel
    reply += await _rings_at_once(context, rule.spec)
    if outcome.gone is not None:
        reply = _(GONE, id=outcome.gone) + "\n" + reply
    await message.reply_text(reply, parse_mode=ParseMode.HTML)


async def _rings_at_once(context: BotContext, spec: RuleSpec) -> str:
    """A new or edited rule is judged against the market as it is: a price level already
    crossed rings with the next poll, which the trader should not take for a crossing that
    just happened. (A muted rule says so instead: it will not ring then.)"""
    if spec.metric is not Metric.PRICE_LEVEL:
        return ""
    point = level_already_crossed(spec, (await context.services.feed.current(spec.asset)).rows)
    if point is None:
        return ""
    return "\n" + _(
        "{asset} is already at {price} ({venue}): the first alert comes with the next poll.",
        asset=spec.asset,
        price=value_text(Metric.PRICE_LEVEL, point.mark),
        venue=point.venue,
    )


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """'Tue 02 Dec 04:23 Europe/Berlin': a mute of a day needs the date, in the reader's zone
    and language."""
    return weekday_time(moment, zone)


def _rule_line(rule: StoredRule, now: datetime, zone: ZoneInfo) -> str:
    line = f"#{rule.id} <code>{escape(rule.text)}</code>"
    if rule.paused:
        line += " " + _("(paused)")
    elif rule.muted_until is not None and rule.muted_until > now:
        line += " " + _("(muted until {time})", time=escape(local_time(rule.muted_until, zone)))
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


async def rules_listing(
    context: BotContext, chat_id: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The /watches text and its buttons (None: no rules)."""
    rules = await _service(context).list(chat_id)
    if not rules:
        return _(NO_RULES, example=escape(EXAMPLE)), None
    now, zone = datetime.now(UTC), ZoneInfo(await context.zone(chat_id))
    lines = [f"<b>{_(LISTING_TITLE)}</b>", *(_rule_line(r, now, zone) for r in rules)]
    if len(rules) > BUTTON_RULES:
        lines.append(
            _(
                "Buttons below are for the first {count} rules; for the others use "
                "<code>/unwatch {id}</code> or <code>/edit {id} 0.08%</code>.",
                count=BUTTON_RULES,
                id=rules[BUTTON_RULES].id,
            )
        )
    return "\n".join(lines), InlineKeyboardMarkup([_buttons(r) for r in rules[:BUTTON_RULES]])


async def watches_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    # Anyone in a chat may read its rules; changing them is for admins.
    target = await target_chat(update, context, list(context.args or []), manage=False)
    if target is None:
        return
    text, markup = await rules_listing(context, target[0])
    continued = _("<b>{title}</b>, continued", title=_(LISTING_TITLE))
    await reply_html(message, text, markup, continued=continued)


async def unwatch_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    resolved = await target_chat(update, context, list(context.args or []))
    if resolved is None:
        return
    chat_id, args = resolved
    everything = len(args) == 1 and args[0].lower() == "all"
    rule_id = parse_id(args[0]) if len(args) == 1 else None
    if not everything and rule_id is None:
        raise UserError(
            _("Which rule? Give its number from /watches."), UNWATCH_USAGE, "/unwatch 12"
        )
    service = _service(context)
    if everything:
        removed = await service.remove(chat_id, None)
        reply = (
            ngettext("Removed {n} rule.", "Removed {n} rules.", removed)
            if removed
            else _(NO_RULES, example=escape(EXAMPLE))
        )
        await message.reply_text(reply, parse_mode=ParseMode.HTML)
        return
    assert rule_id is not None
    # A number typed from memory may now be another rule than the one meant: the reply names
    # the rule that went.
    rule = await service.rules.get(rule_id)
    if rule is None or rule.chat_id != chat_id or not await service.remove(chat_id, rule_id):
        await message.reply_text(_("No such rule in this chat; /watches lists them."))
        return
    await message.reply_text(
        _("Removed rule #{id} <code>{rule}</code>.", id=rule_id, rule=escape(rule.text)),
        parse_mode=ParseMode.HTML,
    )


async def edit_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    resolved = await target_chat(update, context, list(context.args or []))
    if resolved is None:
        return
    chat_id, args = resolved
    rule_id = parse_id(args[0]) if args else None
    if len(args) < 2 or rule_id is None:
        raise UserError(_("Which rule, and its new threshold?"), EDIT_USAGE, EDIT_EXAMPLE)
    rule = await _service(context).edit(chat_id, rule_id, " ".join(args[1:]), datetime.now(UTC))
    reply = (
        await _changed_text(context, rule)
        if rule is not None
        else _("No such rule in this chat; /watches lists them.")
    )
    await message.reply_text(reply, parse_mode=ParseMode.HTML)


async def _changed_text(context: BotContext, rule: StoredRule) -> str:
    """/edit's answer, and an edited /watch's: the rule keeps its number, and a mute (a change
    of threshold is no reason to end it; "armed again" alone read as if it would ring now)."""
    text = _("Rule #{id} is now <b>{rule}</b>, armed again.", id=rule.id, rule=escape(rule.text))
    now = datetime.now(UTC)
    if rule.muted_until is not None and rule.muted_until > now:
        zone = ZoneInfo(await context.zone(rule.chat_id))
        until = escape(local_time(rule.muted_until, zone))
        return text + " " + _("It stays muted until {time}.", time=until)
    return text + await _rings_at_once(context, rule.spec)


async def _refresh_listing(query: CallbackQuery, context: BotContext, chat_id: int) -> None:
    """The /watches message the button sat under (every part of a long one starts with the
    title) shows the rules as they are now; a list too long for one message keeps its text
    and gets the new buttons."""
    message = query.message
    titles = in_every_language(LISTING_TITLE)
    if not isinstance(message, Message) or not (message.text or "").startswith(titles):
        return  # an alert's buttons: the alert stays as it was
    text, markup = await rules_listing(context, chat_id)
    try:
        if len(text) <= TELEGRAM_LIMIT:
            await message.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        else:
            await message.edit_reply_markup(reply_markup=markup)
    except BadRequest as error:
        # "message is not modified" and a message too old to edit: the answer said enough.
        log.info("rule list not refreshed: %s", error.message)


async def _rule_target(context: BotContext, rule_chat: int, pressed_in: Message) -> str:
    """'@mydesk ' for a linked channel's rule pressed in a private chat (a bare id there
    names the private chat's own rule); '' for the chat's own."""
    if rule_chat == pressed_in.chat_id:
        return ""
    try:
        username = (await context.bot.get_chat(rule_chat)).username
    except TelegramError as error:
        log.info("channel name not found for the edit hint: %s", error.message)
        return ""
    return f"@{username} " if username else ""


async def rule_button(update: Update, context: BotContext) -> None:
    """Buttons carry the rule id; the rule's own chat decides who may press them (a channel's
    rules are managed from a private chat)."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    parts = (query.data or "").split(":")
    service = _service(context)
    rule_id = parse_id(parts[-1])
    rule = await service.rules.get(rule_id) if rule_id is not None else None
    if rule is None or rule_id is None:
        await query.answer(_("That rule is already gone; see /watches."))
        return
    allowed = rule.chat_id == user.id or await context.admins.is_admin(
        context.bot, rule.chat_id, user.id
    )
    if not allowed:
        await query.answer(_(REFUSAL), show_alert=True)
        return
    action = parts[1] if len(parts) > 2 else ""
    if action == "del" and len(parts) == 3:
        await service.remove(rule.chat_id, rule_id)
        await query.answer(_("Rule removed."))
        await _refresh_listing(query, context, rule.chat_id)
    elif action == "edit" and len(parts) == 3 and isinstance(query.message, Message):
        # Stateless: no conversation to remember, just the command to send.
        await query.answer()
        edit = f"/edit {await _rule_target(context, rule.chat_id, query.message)}{rule_id}"
        await query.message.reply_text(
            _(
                "New threshold for #{id} <code>{rule}</code>? Send\n"
                "<code>{edit} 0.08%</code> (same comparison) or "
                "<code>{edit} &lt; -3%</code>",
                id=rule_id,
                rule=escape(rule.text),
                edit=escape(edit),
            ),
            parse_mode=ParseMode.HTML,
        )
    elif action == "mute" and len(parts) == 4 and parts[2] in MUTES:
        until = datetime.now(UTC) + MUTES[parts[2]]
        await service.mute(rule.chat_id, rule_id, until)
        zone = ZoneInfo(await context.zone(rule.chat_id))
        await query.answer(_("Muted until {time}.", time=local_time(until, zone)))
        await _refresh_listing(query, context, rule.chat_id)
    else:
        await query.answer(_("That button is out of date; see /watches."))
