"""Broadcast channels: one public channel post reaches every member at no rate cost, where
private alerts queue behind Telegram's 30 messages a second.

`OIWATCH_BROADCAST_CHANNELS=BTC=@oiwatch_btc,*=@oiwatch_all`: BTC's warnings go to
@oiwatch_btc, every asset's to @oiwatch_all. A post is in the channel's language if an admin
set one (/settings lang in the channel), else English."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import TypeVar

from telegram import Bot
from telegram.error import TelegramError

from bot.alerts.warning_text import evidence_text, summary_text
from bot.delivery.priority import Priority
from bot.delivery.render import whole_parts
from bot.i18n import ENGLISH, N_, Language, _, use_language
from bot.rules.model import Metric
from bot.signals.warning import SignalWarning
from storage.repositories.outbox import OutgoingAlert

log = logging.getLogger(__name__)

ALL = "*"
V = TypeVar("V")
FAST_PATH = N_(
    "Fast path: join {channel}: joins are instant; private alerts queue behind Telegram's "
    "30/s limit when many people subscribe. Your private alert stays on."
)


def channels_for(channels: Mapping[str, V], asset: str) -> list[V]:
    """The channels that carry this asset's warnings: its own, then the one for all."""
    return [channels[key] for key in dict.fromkeys((asset, ALL)) if key in channels]


def fast_path(channels: Mapping[str, str], asset: str) -> str | None:
    """The line /watch adds for a squeeze rule when a channel carries those warnings."""
    names = channels_for(channels, asset)
    return _(FAST_PATH, channel=escape(str(names[0]))) if names else None


async def resolve_channels(bot: Bot, channels: Mapping[str, str]) -> dict[str, int]:
    """asset -> the channel's numeric id (the outbox keys chats by id); a channel Telegram
    does not know is left out, loudly."""
    ids: dict[str, int] = {}
    for asset, name in channels.items():
        try:
            ids[asset] = (await bot.get_chat(name)).id
        except TelegramError as error:
            log.error("broadcast channel %s left out: %s", name, error.message)
    return ids


def channel_posts(
    channels: Mapping[str, int],
    warnings: Mapping[tuple[str, Metric, str | None], SignalWarning],
    key: str,
    seen_at: datetime,
    languages: Mapping[int, Language],
) -> list[OutgoingAlert]:
    """This tick's market-wide warnings as one post per channel (several past 4,096
    characters); a squeeze makes the post urgent. `key` makes a repeated tick a no-op."""
    by_channel: dict[int, list[tuple[Metric, SignalWarning]]] = {}
    for (asset, metric, venue), warning in sorted(warnings.items(), key=lambda kv: kv[0][:2]):
        if venue is None:
            for channel in channels_for(channels, asset):
                by_channel.setdefault(channel, []).append((metric, warning))
    posts = []
    for channel, found in by_channel.items():
        # Split in the channel's language too: Russian and Turkish run longer.
        with use_language(languages.get(channel, ENGLISH)):
            parts = [(part, _post_text(part)) for part in whole_parts(found, _post_text)]
        for n, (part, text) in enumerate(parts):
            urgent = any(metric is Metric.SQUEEZE for metric, _w in part)
            posts.append(
                OutgoingAlert(
                    channel,
                    f"channel:{key}:{channel}:{n}",
                    text,
                    priority=Priority.URGENT if urgent else Priority.NORMAL,
                    seen_at=seen_at,
                )
            )
    return posts


def _post_text(part: Sequence[tuple[Metric, SignalWarning]]) -> str:
    return "\n".join(
        f"{'🚨' if warning.urgent else '⚠️'} <b>{escape(summary_text(warning))}</b>\n"
        f"<i>{escape(evidence_text(warning))}</i>"
        for _metric, warning in part
    )
