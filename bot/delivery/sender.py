"""Drains the outbox within Telegram's limits and maps every Telegram fault to an outcome.

- 429 RetryAfter: the chat's message is rescheduled after retry_after (nothing else of that
  chat goes before it).
- 403 Forbidden (blocked, kicked): the chat is marked inactive and its rules paused; its queue
  is dropped.
- 400 chat not found: the same.
- 400 migrate_to_chat_id: the chat id is rewritten everywhere and the message sent again.
- Network errors and timeouts: retried with exponential backoff.
PTB's AIORateLimiter (on the bot) keeps the 30/s and 20/min-per-group budgets; per-chat pacing
(1 message a second, 3 s in groups) is ours, because the limiter does not do it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from storage.models import OutboxMessage
from storage.repositories.outbox import OutboxRepository

log = logging.getLogger(__name__)

PRIVATE_GAP = timedelta(seconds=1)
GROUP_GAP = timedelta(seconds=3)  # 20 a minute
MAX_BACKOFF = timedelta(minutes=5)
MAX_ATTEMPTS = 20
RELEASE_EVERY = timedelta(seconds=10)  # how often digests whose quiet hours ended are let out
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass
class SenderStats:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    chats_deactivated: int = 0


ChatCallback = Callable[[int], Awaitable[None]]
MigrateCallback = Callable[[int, int], Awaitable[None]]


def _retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@dataclass
class Sender:
    bot: Bot
    outbox: OutboxRepository
    on_chat_gone: ChatCallback  # pause the chat's rules, mark it inactive
    on_chat_migrated: MigrateCallback  # rewrite the chat id in rules and chats
    batch: int = 30
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    stats: SenderStats = field(default_factory=SenderStats)
    last_drained: datetime | None = None  # the supervisor's sign of life
    _next_allowed: dict[int, datetime] = field(default_factory=dict)
    _released_at: datetime | None = None

    async def drain_once(self) -> int:
        """Sends what is due now, one message per chat concurrently; returns how many were
        attempted."""
        now = self.clock()
        if self._released_at is None or now - self._released_at >= RELEASE_EVERY:
            self._released_at = now
            await self.outbox.release_held(now)
        paced = frozenset(chat for chat, at in self._next_allowed.items() if at > now)
        messages = await self.outbox.claim(now, limit=self.batch, skip_chats=paced)
        await asyncio.gather(*(self._send(message) for message in messages))
        self.last_drained = self.clock()
        return len(messages)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event, idle_s: float = 1.0) -> None:
        """Drains until `stop`; `wake` is set by whoever enqueues, so alerts leave at once."""
        await self.outbox.recover()
        while not stop.is_set():
            try:
                attempted = await self.drain_once()
            except Exception:
                log.exception("outbox drain failed; retrying")
                attempted = 0
            if attempted:
                continue
            wake.clear()
            waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
            await asyncio.wait(waits, timeout=idle_s, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waits:
                waiter.cancel()

    async def _send(self, message: OutboxMessage) -> None:
        assert message.id is not None
        markup = (
            InlineKeyboardMarkup.de_json(json.loads(message.reply_markup), self.bot)
            if message.reply_markup
            else None
        )
        try:
            await self.bot.send_message(
                message.chat_id,
                message.text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                disable_web_page_preview=True,
            )
        except RetryAfter as error:
            wait = _retry_seconds(error)
            self._pace(message.chat_id, wait)
            self.stats.retried += 1
            await self.outbox.retry_later(
                message.id, self.clock() + timedelta(seconds=wait), f"429 retry after {wait:g}s"
            )
        except ChatMigrated as error:
            log.info("chat %s migrated to %s", message.chat_id, error.new_chat_id)
            await self.on_chat_migrated(message.chat_id, error.new_chat_id)
            await self.outbox.rewrite_chat(message.chat_id, error.new_chat_id)
        except Forbidden as error:
            await self._chat_gone(message.chat_id, f"403 {error.message}")
        except BadRequest as error:
            if "chat not found" in error.message.lower():
                await self._chat_gone(message.chat_id, f"400 {error.message}")
            else:
                # Our own fault (markup, length): retrying cannot help.
                log.error("alert %s rejected: %s", message.id, error.message)
                self.stats.dead += 1
                await self.outbox.mark_dead(message.id, f"400 {error.message}")
        except NetworkError as error:
            await self._backoff(message, f"network: {error.message}")
        else:
            self.stats.sent += 1
            self._pace(message.chat_id, None)
            await self.outbox.mark_sent(message.id, self.clock())

    def _pace(self, chat_id: int, retry_after: float | None) -> None:
        gap = PRIVATE_GAP if chat_id > 0 else GROUP_GAP
        if retry_after is not None:
            gap = max(gap, timedelta(seconds=retry_after))
        self._next_allowed[chat_id] = self.clock() + gap

    async def _backoff(self, message: OutboxMessage, error: str) -> None:
        assert message.id is not None
        if message.attempts + 1 >= MAX_ATTEMPTS:
            self.stats.dead += 1
            await self.outbox.mark_dead(message.id, error)
            return
        delay = min(MAX_BACKOFF, timedelta(seconds=2**message.attempts))
        self.stats.retried += 1
        await self.outbox.retry_later(message.id, self.clock() + delay, error)

    async def _chat_gone(self, chat_id: int, error: str) -> None:
        log.info("chat %s is gone (%s): pausing its rules", chat_id, error)
        self.stats.chats_deactivated += 1
        await self.on_chat_gone(chat_id)
        self.stats.dead += await self.outbox.drop_chat(chat_id, error)
