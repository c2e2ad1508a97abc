"""/pos: the position guard in chat. Positions are personal: private chats only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
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

from bot.chat_input import (
    MAX_MONEY,
    MAX_PRICE,
    SizeWord,
    _positive,
    _split_options,
    _usage,
    asset_word,
    join_options,
    parse_id,
    parse_leverage,
    parse_number,
    parse_rate,
    parse_size,
    position_words,
    refuse_scaled_symbol,
)
from bot.i18n import N_, _, ngettext
from bot.i18n.dates import clock_time, zone_label
from bot.positions.model import GUARD_VENUES, PositionClaim
from bot.positions.render import CLAIM_NOTE, levels_text, summary_lines, title
from bot.risk.models import LiqQuote, MarginMode
from bot.usecases.edits import Command
from bot.usecases.positions import (
    ADD_EXAMPLE,
    ADD_USAGE,
    EDIT_EXAMPLE,
    EDIT_USAGE,
    Added,
    PositionService,
)
from handlers.context import BotContext
from handlers.edits import command_of
from handlers.formatting import money, pct_points, plain
from storage.repositories.origins import Made

POS_USAGE = "/pos [add …|close <id>|all|edit <id> levels=5,2,1|snooze <id> 1h|8h|24h]"
SNOOZE_USAGE = "/pos snooze <id> 1h|8h|24h"
PRIVATE_ONLY = N_("Positions are personal: /pos works in a private chat only.")
SNOOZES = {"1h": timedelta(hours=1), "8h": timedelta(hours=8), "24h": timedelta(hours=24)}
MAX_LEVELS = 5
# An edited /pos add whose position was closed since: the edit guards it anew.
CLOSED = N_(
    "Position #{id}, which this message added, was already closed; this edit adds a new one."
)
LIST_PAGE_CHARS = 3500


def _service(context: BotContext) -> PositionService:
    return context.services.positions


def _levels(raw: str, usage: str, example: str) -> tuple[Decimal, ...]:
    values = [parse_number(word.strip().removesuffix("%")) for word in raw.split(",")]
    good = [v for v in values if v is not None and Decimal(0) < v < Decimal(100)]
    if not good or len(good) != len(values) or len(good) > MAX_LEVELS:
        raise _usage(_("levels are up to 5 percentages, like levels=5,2,1."), usage, example)
    return tuple(sorted(set(good), reverse=True))


def _options(
    options: dict[str, str], usage: str, example: str, *, allow_claim: bool, asset: str | None
) -> dict[str, object]:
    """levels=, funding= (and for an edit entry=, size=, lev=) as PositionClaim fields; size
    as typed (a SizeWord: coins, or USD that the entry turns into coins)."""
    out: dict[str, object] = {}
    for key, raw in options.items():
        if key == "levels":
            out["levels"] = _levels(raw, usage, example)
        elif key == "funding":
            rate = parse_rate(raw)
            if rate is None or not Decimal(0) < rate < Decimal("0.05"):
                raise _usage(_("funding is a rate per 8h, like funding=0.05%."), usage, example)
            out["funding_level"] = rate
        elif key == "cost":
            out["settlement_cost"] = _positive(
                parse_number(raw), N_("cost"), usage, example, MAX_MONEY
            )
        elif key == "size":
            out["size"] = parse_size(raw, asset, usage, example)
        elif key in ("balance", "wallet"):
            out["cross_balance"] = _positive(
                parse_number(raw), N_("balance"), usage, example, MAX_MONEY
            )
        elif allow_claim and key == "entry":
            out["entry"] = _positive(parse_number(raw), N_("entry"), usage, example, MAX_PRICE)
        elif allow_claim and key in ("lev", "leverage"):
            out["leverage"] = parse_leverage(raw, usage, example)
        else:
            raise _usage(_("Unknown option '{option}='.", option=key[:20]), usage, example)
    return out


def parse_position(args: list[str]) -> PositionClaim:
    """/pos add's words in any order, as /liq reads them (`position_words`)."""
    u, e = ADD_USAGE, ADD_EXAMPLE
    missing = _("I need the asset, side, entry price and leverage.")
    words, options = position_words(args, 4, missing, u, e)
    typed, leverage = words.entry_and_leverage(u, e, live_mark=False)
    entry = _positive(typed, N_("Entry price"), u, e, MAX_PRICE)
    asset: str | None = None
    asset_typed = ""  # maybe a venue's scaled symbol: 1000pepeusdt
    venue: str | None = None
    mode = MarginMode.ISOLATED
    for word in words.others:
        lower = word.lower()
        if lower in GUARD_VENUES:
            venue = lower
        elif lower in ("cross", "isolated"):
            mode = MarginMode(lower)
        elif asset is None:
            asset_typed, asset = word, word.upper().removesuffix("USDT")
        else:
            raise _usage(_("I don't know what '{word}' means here.", word=word[:20]), u, e)
    if asset is None or not asset_word(asset) or not asset.isalnum():
        raise _usage(_("Name the asset like BTC or ETH."), u, e)
    # The entry and size= typed beside 1000pepeusdt are per 1000 PEPE, the mark per PEPE.
    refuse_scaled_symbol(asset_typed, u, lambda _asset: e)
    fields = _options(options, u, e, allow_claim=False, asset=asset)
    size = fields.get("size")
    if not isinstance(size, SizeWord):
        raise _usage(_("Give the position size in coins: size=0.2."), u, e)
    fields["size"] = size.coins(entry)
    if mode is MarginMode.CROSS and "cross_balance" not in fields:
        raise _usage(_("Cross margin needs your wallet balance: cross balance=5000."), u, e)
    if mode is MarginMode.ISOLATED:
        fields.pop("cross_balance", None)
    return PositionClaim(
        asset=asset,
        side=words.side,
        entry=entry,
        leverage=leverage,
        venue=venue,
        margin_mode=mode,
        **fields,  # type: ignore[arg-type]
    )


def added_text(added: Added, *, updated: bool = False) -> str:
    p, ev = added.position, added.evaluation
    c = p.claim
    values = {"id": p.id, "title": title(c)}
    cost = (
        _(" or the next settlement costs more than {cost}", cost=money(c.settlement_cost))
        if c.settlement_cost is not None
        else ""
    )
    lines = [
        _("🛡 <b>Updated #{id}: {title}</b>", **values)
        if updated
        else _("🛡 <b>Guarding #{id}: {title}</b>", **values),
        *summary_lines(ev),
        _(
            "Alerts at {levels} from liquidation, each once (again after it recovers), and when "
            "funding against you passes {funding} per 8h{cost}. They ring through quiet hours.",
            levels=levels_text(c.levels),
            funding=pct_points(c.funding_level * 100, 3),
            cost=cost,
        ),
    ]
    if added.crossed:
        inside = ", ".join(f"{plain(level)} %" for level in added.crossed)
        lines.append(
            _("Already inside {levels}: counted as sent, no separate alert.", levels=inside)
        )
    if p.state.funding_sent:
        lines.append(_("Funding is already against you beyond your level: counted as sent."))
    lines.append(f"<i>{_(CLAIM_NOTE)}</i>")
    return "\n".join(lines)


def _buttons(position_id: int) -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            _("✖️ close #{id}", id=position_id), callback_data=f"pos:close:{position_id}"
        ),
        InlineKeyboardButton(_("✏️ edit"), callback_data=f"pos:edit:{position_id}"),
        InlineKeyboardButton("💤 1h", callback_data=f"pos:snooze:1h:{position_id}"),
    ]


async def _reply(message: Message, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def add_position(
    message: Message,
    context: BotContext,
    user_id: int,
    claim: PositionClaim,
    command: Command | None = None,
) -> None:
    """`command`: the /pos add message, whose edit changes the position it added (None: the
    🛡 button under a /liq answer)."""
    service, now = _service(context), datetime.now(UTC)

    async def make() -> tuple[Added, int]:
        added = await service.add(user_id, claim, now)
        return added, added.position.id

    outcome = await context.services.origins.make_or_change(
        command,
        Made.POSITION,
        now,
        make=make,
        change=lambda position_id: service.replace_claim(user_id, position_id, claim, now),
    )
    added = outcome.made
    text = added_text(added, updated=outcome.changed)
    if outcome.gone is not None:
        text = _(CLOSED, id=outcome.gone) + "\n" + text
    await _reply(message, text, InlineKeyboardMarkup([_buttons(added.position.id)]))


# The words traders use for the same acts: 'remove 2', 'delete 2', 'open BTC long ...'.
VERBS = {
    "remove": "close",
    "delete": "close",
    "rm": "close",
    "del": "close",
    "stop": "close",
    "open": "add",
    "new": "add",
    "show": "list",
    "ls": "list",
}


async def pos_command(update: Update, context: BotContext) -> None:
    message, user, chat = update.effective_message, update.effective_user, update.effective_chat
    assert message is not None and user is not None and chat is not None
    if chat.type != Chat.PRIVATE:
        await message.reply_text(_(PRIVATE_ONLY))
        return
    args = list(context.args or [])
    verb = args[0].lower() if args else "list"
    verb = VERBS.get(verb, verb)
    if verb == "add":
        await add_position(message, context, user.id, parse_position(args[1:]), command_of(update))
    elif verb == "list":
        await _list(message, context, user.id)
    elif verb == "close":
        await _close(message, context, user.id, " ".join(args[1:]))
    elif verb == "edit":
        await _edit(message, context, user.id, " ".join(args[1:2]), args[2:])
    elif verb == "snooze":
        await _snooze(message, context, user.id, args[1:])
    else:
        raise _usage(_("What should I do with your positions?"), POS_USAGE, ADD_EXAMPLE)


def _position_id(word: str) -> int:
    position_id = parse_id(word)
    if position_id is None:
        raise _usage(_("Which position? Give its number from /pos."), POS_USAGE, "/pos close 3")
    return position_id


async def _list(message: Message, context: BotContext, user_id: int) -> None:
    rows = await _service(context).list(user_id, datetime.now(UTC))
    if not rows:
        await _reply(
            message,
            _("No guarded positions. Add one: <code>{example}</code>", example=escape(ADD_EXAMPLE))
            + f"\n<i>{_(CLAIM_NOTE)}</i>",
        )
        return
    now = datetime.now(UTC)
    zone = ZoneInfo(await context.zone(message.chat_id))
    pages: list[tuple[list[str], list[int]]] = [([], [])]
    for position, ev in rows:
        head = f"<b>#{position.id} {title(position.claim)}</b>"
        until = position.state.snoozed_until
        if position.snoozed(now) and until is not None:
            head += _(
                " (snoozed until {time} {zone})",
                time=clock_time(until, zone),
                zone=zone_label(zone.key),
            )
        body = (
            summary_lines(ev)
            if not isinstance(ev, str)
            else [_("No live data: {reason}", reason=escape(ev))]
        )
        block = "\n".join([head, *body])
        blocks, ids = pages[-1]
        if blocks and sum(len(b) + 2 for b in blocks) + len(block) > LIST_PAGE_CHARS:
            pages.append(([], []))
            blocks, ids = pages[-1]
        blocks.append(block)
        ids.append(position.id)
    pages[-1][0].append(f"<i>{_(CLAIM_NOTE)}</i>")
    # Telegram takes 4,096 characters a message: a long list comes as several, each with the
    # buttons of its own positions.
    for blocks, ids in pages:
        markup = InlineKeyboardMarkup([_buttons(pid) for pid in ids])
        await _reply(message, "\n\n".join(blocks), markup)


async def _close(message: Message, context: BotContext, user_id: int, which: str) -> None:
    everything = which.lower() == "all"
    pid = None if everything else _position_id(which)
    closed = await _service(context).repository.close(user_id, pid, datetime.now(UTC))
    if closed:
        await _reply(
            message,
            ngettext("Stopped guarding {n} position.", "Stopped guarding {n} positions.", closed),
        )
    else:
        await _reply(message, _("No such position; /pos lists yours."))


async def _edit(
    message: Message, context: BotContext, user_id: int, which: str, words: list[str]
) -> None:
    pid = _position_id(which)
    plain_words, options = _split_options(join_options(words))
    if plain_words or not options:
        raise _usage(_("Change it with options, like levels=10,5,2."), EDIT_USAGE, EDIT_EXAMPLE)
    change = _options(options, EDIT_USAGE, EDIT_EXAMPLE, allow_claim=True, asset=None)
    edited = await _service(context).edit(user_id, pid, change, datetime.now(UTC))
    if edited is None:
        await _reply(message, _("No such position; /pos lists yours."))
    else:
        await _reply(message, added_text(edited, updated=True))


async def _snooze(message: Message, context: BotContext, user_id: int, words: list[str]) -> None:
    if len(words) != 2 or words[1].lower() not in SNOOZES:
        raise _usage(_("Snooze for 1h, 8h or 24h."), SNOOZE_USAGE, "/pos snooze 3 8h")
    pid, span = _position_id(words[0]), words[1].lower()
    until = datetime.now(UTC) + SNOOZES[span]
    if await _service(context).repository.snooze(user_id, pid, until, datetime.now(UTC)):
        zone = ZoneInfo(await context.zone(message.chat_id))
        text = _(
            "#{id} snoozed for {span}: no alerts until {time} {zone}.",
            id=pid,
            span=span,
            time=clock_time(until, zone),
            zone=zone_label(zone.key),
        )
        await _reply(message, text)
    else:
        await _reply(message, _("No such position; /pos lists yours."))


def guard_button(quote: LiqQuote) -> InlineKeyboardMarkup | None:
    """ "Guard this position" under a /liq answer that names an asset (isolated only: a cross
    balance does not fit in a button)."""
    req = quote.request
    if req.symbol is None or req.inverse or req.margin_mode is not MarginMode.ISOLATED:
        return None
    asset = req.symbol.removesuffix("USDT")
    fields = (req.side.value, plain(req.entry), plain(req.leverage), req.venue or "")
    data = ":".join(("pos:add", asset, *fields, plain(quote.size)))
    if len(data.encode()) > 64 or not asset.isalnum():
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("🛡 Guard this position"), callback_data=data)]]
    )


async def pos_button(update: Update, context: BotContext) -> None:
    """Buttons carry the position id; only its owner's presses count."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    await _on_button(query, context, user.id)


async def _on_button(query: CallbackQuery, context: BotContext, user_id: int) -> None:
    parts = (query.data or "").split(":")
    message = query.message if isinstance(query.message, Message) else None
    if parts[1] == "add":
        if message is None or message.chat.type != Chat.PRIVATE:
            await query.answer(_(PRIVATE_ONLY), show_alert=True)
            return
        if len(parts) != 8:
            await query.answer(_("That button is out of date; use /pos add."))
            return
        await query.answer()
        asset, side, entry, leverage, venue, size = parts[2:]
        words = [asset, side, entry, f"{leverage}x", f"size={size}"] + ([venue] if venue else [])
        await add_position(message, context, user_id, parse_position(words))
        return
    service = _service(context)
    pid = parse_id(parts[-1])
    position = await service.repository.get(user_id, pid) if pid is not None else None
    if position is None or pid is None:
        await query.answer(_("That position is no longer guarded; see /pos."))
        return
    now = datetime.now(UTC)
    if parts[1] == "close":
        await service.repository.close(user_id, pid, now)
        await query.answer(_("Stopped guarding #{id}.", id=pid))
    elif parts[1] == "snooze" and len(parts) == 4 and parts[2] in SNOOZES:
        await service.repository.snooze(user_id, pid, now + SNOOZES[parts[2]], now)
        await query.answer(_("#{id} snoozed for {span}.", id=pid, span=parts[2]))
    elif parts[1] == "edit" and message is not None:
        await query.answer()
        await _reply(
            message,
            _(
                "Change #{id} {title} with options, e.g.\n<code>{levels}</code> or "
                "<code>{claim}</code>",
                id=pid,
                title=title(position.claim),
                levels=f"/pos edit {pid} levels=10,5,2",
                claim=f"/pos edit {pid} size=0.3 entry={plain(position.claim.entry)}",
            ),
        )
    else:
        await query.answer(_("That button is out of date; see /pos."))
