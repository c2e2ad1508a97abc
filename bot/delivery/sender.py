"""Drains the outbox within Telegram's limits and maps every Telegram fault to an outcome.

- 429 RetryAfter: the chat's message is rescheduled after retry_after (nothing else of that
  chat goes before it).
- 403 Forbidden (blocked, kicked): the chat is marked inactive and its rules paused; its queue
  is dropped.
- 400 chat not found: the same.
- 400 migrate_to_chat_id: the chat id is rewritten everywhere and the message sent again.
- Network errors, timeouts, any other failure to send: retried with exponential backoff.
PTB's AIORateLimiter (on the bot) keeps the 30/s, the paid 1,000/s and 20/min-per-group
budgets; per-chat pacing (1 message a second, 3 s in groups) is ours, because the limiter does
not do it. Urgent alerts are claimed first and, while the day's paid budget lasts, sent with
allow_paid_broadcast. A message of a thread replies to the thread's first message in that chat
(allow_sending_without_reply, in case it was deleted, and sent again without the reply if
Telegram refuses it all the same); a silent one has no notification. One sent more than
LATE_AFTER after its evidence was seen leads with a line saying so, in the chat's language and
zone (bot/delivery/late.py).

The database may fail under the sender at any moment (busy at start, connections cut): every
step is retried until it works, and an outcome the database refused is kept and written before
anything else is claimed, so no row is left in `sending` and the sender never stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.alerts.languages import Reader, chat_readers
from bot.delivery.aiohttp_request import CONNECTIONS
from bot.delivery.late import delayed_texts, is_late
from bot.delivery.priority import Priority
from storage.models import OutboxMessage
from storage.repositories.chat_settings import ChatSettingsRepository
from storage.repositories.outbox import LEASE, Accepted, OutboxRepository

log = logging.getLogger(__name__)

PRIVATE_GAP = timedelta(seconds=1)
GROUP_GAP = timedelta(seconds=3)  # 20 a minute
MAX_BACKOFF = timedelta(minutes=5)
MAX_ATTEMPTS = 20
# One for every send: PTB built one per message from disable_web_page_preview, 5 % of the
# sender's CPU at 1,000/s.
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
RELEASE_EVERY = timedelta(seconds=10)  # how often digests whose quiet hours ended are let out
MAX_OUTAGE_WAIT_S = 10.0  # longest pause between tries while the database fails
PAID_BATCH = 500  # urgent alerts claimed at once while paid broadcast lasts (1,000/s)
# Sends under way at once (queued at the limiter or awaiting Telegram): no more than the
# transport's connections, as one left waiting for a connection past the pool timeout fails.
# 128 keep 1,000/s at round trips up to 128 ms; 50 let a slow spell of answers cut the rate.
IN_FLIGHT = CONNECTIONS


@dataclass
class SenderStats:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    chats_deactivated: int = 0
    paid: int = 0  # sent with allow_paid_broadcast


ChatCallback = Callable[[int], Awaitable[object]]
MigrateCallback = Callable[[int, int], Awaitable[None]]
DeliveredCallback = Callable[[Priority, float], None]
Record = Callable[[], Awaitable[None]]  # writes one send's outcome to the database
Readers = dict[int, Reader]  # the chats of a batch's late rows, as they read the delayed line


def _retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@dataclass
class PaidBudget:
    """Messages a day that may go with allow_paid_broadcast (paid in Stars); UTC days."""

    per_day: int
    day: date
    spent: int = 0

    def take(self, wanted: int, now: datetime) -> int:
        if now.date() != self.day:
            self.day, self.spent = now.date(), 0
        granted = max(0, min(wanted, self.per_day - self.spent))
        self.spent += granted
        return granted

    def left(self, now: datetime) -> int:
        return self.per_day - self.spent if now.date() == self.day else self.per_day


def _ignore(_priority: Priority, _seconds: float) -> None:
    return None


@dataclass
class Sender:
    bot: Bot
    outbox: OutboxRepository
    on_chat_gone: ChatCallback  # pause the chat's rules, mark it inactive
    on_chat_migrated: MigrateCallback  # rewrite the chat id in rules and chats
    batch: int = 30
    paid_per_day: int = 0  # urgent alerts a day sent with allow_paid_broadcast; 0 = none
    lease: timedelta = LEASE
    on_delivered: DeliveredCallback = _ignore  # priority, seconds from evidence to accepted
    chat_settings: ChatSettingsRepository | None = None  # late rows' language and zone
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    stats: SenderStats = field(default_factory=SenderStats)
    last_drained: datetime | None = None  # the supervisor's sign of life
    budget: PaidBudget | None = None  # loaded from the outbox on the first drain
    _next_allowed: dict[int, datetime] = field(default_factory=dict)
    _released_at: datetime | None = None
    _unrecorded: list[Record] = field(default_factory=list)
    _stop: asyncio.Event | None = None  # run()'s: a long paid broadcast ends at a batch's end
    _in_flight: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(IN_FLIGHT))

    async def drain_once(self) -> int:
        """Sends what is due now, one message per chat concurrently; returns how many were
        attempted. Urgent alerts go first, paid while the day's budget lasts."""
        await self._flush()
        now = self.clock()
        if self._released_at is None or now - self._released_at >= RELEASE_EVERY:
            await self.outbox.release_held(now)
            self._released_at = now
        if self.budget is None:
            midnight = datetime.combine(now.date(), datetime.min.time(), UTC)
            spent = await self.outbox.paid_since(midnight) if self.paid_per_day else 0
            self.budget = PaidBudget(self.paid_per_day, now.date(), spent)
        paid = await self._drain_paid() if self.budget.left(now) > 0 else 0
        if self._stopping():
            return paid
        now = self.clock()
        free = await self.outbox.claim(
            now, limit=self.batch, skip_chats=self._paced(now), lease=self.lease
        )
        readers = await self._readers(free)
        await self._record(await asyncio.gather(*(self._send(m, readers) for m in free)))
        self.last_drained = self.clock()
        return paid + len(free)

    async def _drain_paid(self) -> int:
        """Urgent alerts with allow_paid_broadcast, while the budget lasts and a whole batch
        keeps coming: each batch is claimed and queued behind the limiter while the one before
        is still sending, so the 1,000/s never waits on a claim or a write (claiming only after
        a batch was sent cost ~0.2 s of silence per 500). Only then a free batch: sharing the
        event loop with a paid burst bunched free sends into 429s at 30/s. The database keeps a
        chat's next message out of a claim while one of its messages is `sending`. A stop ends
        it once the batches under way are sent and written."""
        assert self.budget is not None
        attempted = 0
        sending: asyncio.Future[list[Record | Accepted]] | None = None
        try:
            while not self._stopping():
                now = self.clock()
                batch = await self.outbox.claim(
                    now,
                    limit=min(PAID_BATCH, self.budget.left(now)),
                    skip_chats=self._paced(now),
                    only=Priority.URGENT,
                    lease=self.lease,
                )
                self.budget.take(len(batch), now)
                attempted += len(batch)
                readers = await self._readers(batch)
                sent, sending = (
                    sending,
                    asyncio.gather(*(self._send(m, readers, paid=True) for m in batch)),
                )
                if sent is not None:
                    await self._record(await sent)
                    self.last_drained = self.clock()
                if len(batch) < PAID_BATCH:
                    break
        finally:
            if sending is not None:  # the last batch, or the one in flight when a claim failed
                await self._record(await sending)
        return attempted

    async def _readers(self, batch: list[OutboxMessage]) -> Readers:
        """One look-up a batch, and none while nothing is late. The rows are claimed already:
        with the database failing, the line is written in English and UTC rather than the
        alerts kept back."""
        now = self.clock()
        late = sorted({m.chat_id for m in batch if is_late(m.seen_at, now)})
        try:
            return await chat_readers(self.chat_settings, late)
        except Exception as error:
            log.warning("chat settings unavailable (%s): late lines in English, UTC", error)
            return await chat_readers(None, late)

    def _stopping(self) -> bool:
        return self._stop is not None and self._stop.is_set()

    def _paced(self, now: datetime) -> frozenset[int]:
        """Chats sent to less than their gap ago: not claimed now."""
        self._next_allowed = {chat: at for chat, at in self._next_allowed.items() if at > now}
        return frozenset(self._next_allowed)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event, idle_s: float = 1.0) -> None:
        """Drains until `stop`; `wake` is set by whoever enqueues, so alerts leave at once.
        Database failures (at start too) are retried with backoff, never fatal."""
        recovered = False
        failures = 0
        self._stop = stop
        while not stop.is_set():
            try:
                if not recovered:
                    await self.outbox.recover()
                    recovered = True
                attempted = await self.drain_once()
            except Exception as error:
                failures += 1
                if failures == 1:
                    log.exception("outbox unavailable; retrying until it answers")
                else:
                    log.warning(
                        "outbox still unavailable (%s), try %d", type(error).__name__, failures
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        stop.wait(), min(MAX_OUTAGE_WAIT_S, 0.25 * 2 ** min(failures, 6))
                    )
                continue
            if failures:
                log.info("outbox answers again after %d failed tries", failures)
                failures = 0
            if attempted:
                continue
            wake.clear()
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
            await asyncio.wait(waits, timeout=idle_s, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waits:
                waiter.cancel()

    async def _flush(self) -> None:
        """Outcomes the database refused before: written first, in order; raises while it
        still refuses (the rows stay `sending`, so their chats wait for them)."""
        while self._unrecorded:
            await self._unrecorded[0]()
            self._unrecorded.pop(0)

    async def _send(
        self, message: OutboxMessage, readers: Readers, *, paid: bool = False
    ) -> Record | Accepted:
        try:
            async with self._in_flight:
                outcome = await self._deliver(message, readers.get(message.chat_id), paid)
        except Exception as error:  # whatever it was, the row must not stay `sending`
            log.exception("alert %s: sending failed", message.id)
            outcome = self._backoff(message, f"{type(error).__name__}: {error}")
        if paid and self.budget is not None:
            if isinstance(outcome, Accepted):
                self.stats.paid += 1
            else:
                self.budget.spent -= 1  # not sent, not paid for
        return outcome

    async def _record(self, outcomes: list[Record | Accepted]) -> None:
        """Writes a batch's outcomes, the sent ones in one transaction; what the database
        refuses is kept for `_flush`."""
        accepted = [o for o in outcomes if isinstance(o, Accepted)]
        records = [o for o in outcomes if not isinstance(o, Accepted)]
        if accepted:
            records.insert(0, lambda: self.outbox.mark_accepted(accepted))
        for record in records:
            try:
                await record()
            except Exception:
                log.warning("an outcome is not written yet (database failing); kept")
                self._unrecorded.append(record)

    async def _deliver(
        self, message: OutboxMessage, reader: Reader | None, paid: bool
    ) -> Record | Accepted:
        """Sends one message (`reader` given: it was late when claimed); returns what Telegram
        took, or how to record what went wrong."""
        assert message.id is not None
        row_id = message.id
        markup = (
            InlineKeyboardMarkup.de_json(json.loads(message.reply_markup), self.bot)
            if message.reply_markup
            else None
        )
        root = (
            await self.outbox.thread_root(message.chat_id, message.thread)
            if message.thread
            else None
        )
        reply = ReplyParameters(root, allow_sending_without_reply=True) if root else None
        texts = (
            delayed_texts(message.text, message.seen_at, self.clock(), reader)
            if reader is not None
            else [message.text]
        )
        try:
            try:
                sent = await self._send_texts(message, texts, markup, reply, paid)
            except BadRequest as error:
                if reply is None or "replied not found" not in error.message.lower():
                    raise
                # The thread's first message is gone and the reply was refused all the same:
                # the stage itself matters more than its place in the thread.
                sent = await self._send_texts(message, texts, markup, None, paid)
        except RetryAfter as error:
            wait = _retry_seconds(error)
            self._pace(message.chat_id, wait)
            self.stats.retried += 1
            due = self.clock() + timedelta(seconds=wait)
            return lambda: self.outbox.retry_later(row_id, due, f"429 retry after {wait:g}s")
        except ChatMigrated as error:
            old, new = message.chat_id, error.new_chat_id
            log.info("chat %s migrated to %s", old, new)
            return lambda: self._migrated(old, new)
        except Forbidden as error:
            return self._chat_gone(message.chat_id, f"403 {error.message}")
        except BadRequest as error:
            if "chat not found" in error.message.lower():
                return self._chat_gone(message.chat_id, f"400 {error.message}")
            # Our own fault (markup, length): retrying cannot help.
            reason = f"400 {error.message}"
            log.error("alert %s rejected: %s", message.id, reason)
            self.stats.dead += 1
            return lambda: self.outbox.mark_dead(row_id, reason)
        except NetworkError as error:
            return self._backoff(message, f"network: {error.message}")
        except TelegramError as error:  # e.g. a response that is not the Bot API's JSON
            return self._backoff(message, f"telegram: {error.message}")
        accepted = self.clock()
        self.stats.sent += 1
        self._pace(message.chat_id, None)
        self.on_delivered(
            Priority(message.priority),
            (accepted - (message.seen_at or message.created_at)).total_seconds(),
        )
        return Accepted(row_id, accepted, sent.message_id, paid)

    async def _send_texts(
        self,
        message: OutboxMessage,
        texts: list[str],
        markup: InlineKeyboardMarkup | None,
        reply: ReplyParameters | None,
        paid: bool,
    ) -> Message:
        """The row's message, in parts only when a delayed line took it past the limit: the
        first replies to the thread and is the one later stages reply to; the buttons go under
        the last. A part failing sends them all again (a part repeated, none lost)."""
        first = await self._send_text(
            message, texts[0], markup if len(texts) == 1 else None, reply, paid
        )
        for n, text in enumerate(texts[1:], start=2):
            await self._send_text(message, text, markup if n == len(texts) else None, None, paid)
        return first

    async def _send_text(
        self,
        message: OutboxMessage,
        text: str,
        markup: InlineKeyboardMarkup | None,
        reply: ReplyParameters | None,
        paid: bool,
    ) -> Message:
        return await self.bot.send_message(
            message.chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=NO_PREVIEW,
            disable_notification=message.silent,
            reply_parameters=reply,
            allow_paid_broadcast=True if paid else None,
        )

    def _pace(self, chat_id: int, retry_after: float | None) -> None:
        gap = PRIVATE_GAP if chat_id > 0 else GROUP_GAP
        if retry_after is not None:
            gap = max(gap, timedelta(seconds=retry_after))
        self._next_allowed[chat_id] = self.clock() + gap

    def _backoff(self, message: OutboxMessage, error: str) -> Record:
        assert message.id is not None
        row_id = message.id
        if message.attempts + 1 >= MAX_ATTEMPTS:
            self.stats.dead += 1
            return lambda: self.outbox.mark_dead(row_id, error)
        due = self.clock() + min(MAX_BACKOFF, timedelta(seconds=2**message.attempts))
        self.stats.retried += 1
        return lambda: self.outbox.retry_later(row_id, due, error)

    async def _migrated(self, old_chat_id: int, new_chat_id: int) -> None:
        await self.on_chat_migrated(old_chat_id, new_chat_id)
        await self.outbox.rewrite_chat(old_chat_id, new_chat_id)

    def _chat_gone(self, chat_id: int, error: str) -> Record:
        log.info("chat %s is gone (%s): pausing its rules", chat_id, error)
        self.stats.chats_deactivated += 1

        async def record() -> None:
            await self.on_chat_gone(chat_id)
            self.stats.dead += await self.outbox.drop_chat(chat_id, error)

        return record
