"""Linked channels as a use case: a user who proved they run a channel links it, to manage its
rules from their private chat. The rules are the channel's, shared by every admin who linked
it, so they go with the last link, and so does every alert they still have queued."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.usecases.watches import WatchService
from storage.repositories.channels import ChannelRepository

UNLINKED = "channel unlinked"  # why its queued alerts were dropped (the outbox's last_error)


@dataclass(frozen=True, slots=True)
class LinkedChannel:
    channel_id: int
    username: str | None


@dataclass(frozen=True, slots=True)
class ChatName:
    """What Telegram calls a chat now."""

    chat_id: int
    username: str | None
    title: str | None


# Asks Telegram which chat is called @name now; None if it shows the bot none.
NameLookup = Callable[[str], Awaitable[ChatName | None]]


@dataclass(frozen=True, slots=True)
class Unlinked:
    rules_removed: int
    shared: bool  # other admins still have it linked: its rules and alerts stay theirs


@dataclass(frozen=True)
class ChannelService:
    links: ChannelRepository
    watch: WatchService

    async def link(
        self, user_id: int, channel_id: int, username: str | None, title: str | None, now: datetime
    ) -> None:
        await self.links.link(user_id, channel_id, username, title, now)

    async def find(self, user_id: int, name: str, lookup: NameLookup) -> LinkedChannel | None:
        """The user's linked channel called @name, if any: by the name its links have, else
        (renamed since) by the chat `lookup` says is called @name now, whose links then take
        the new name. Telegram is asked only when the links know no such name, so a channel
        Telegram no longer shows is still found by the name it had."""
        link = await self.links.find(user_id, name)
        if link is not None:
            return LinkedChannel(link.channel_id, link.username)
        current = await lookup(name)
        if current is None or not await self.links.linked(user_id, current.chat_id):
            return None
        await self.links.rename(current.chat_id, current.username, current.title)
        return LinkedChannel(current.chat_id, current.username)

    async def unlink(self, user_id: int, name: str, lookup: NameLookup) -> Unlinked | None:
        """None: the user has no channel of that name linked (see `find`). Alerts stop before
        the link goes, so a failure part-way leaves a link the user can unlink again, never an
        unmanaged channel that still gets alerts."""
        link = await self.find(user_id, name, lookup)
        if link is None:
            return None
        channel = link.channel_id
        shared = await self.links.links_to(channel) > 1
        removed = 0 if shared else await self._silence(channel)
        await self.links.unlink(user_id, channel)
        if shared and not await self.links.links_to(channel):
            # The other admins unlinked at the same moment, each still seeing this link: the
            # last one out clears the channel.
            shared, removed = False, await self._silence(channel)
        return Unlinked(removed, shared)

    async def _silence(self, channel_id: int) -> int:
        """Removes the channel's rules and drops what they queued (an operator's broadcast
        posts to the channel stay); returns the rules' count."""
        return await self.watch.remove(channel_id, None, reason=UNLINKED)
