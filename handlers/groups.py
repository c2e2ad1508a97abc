"""Who may change a chat's rules: anyone in a private chat, only admins in a group."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from telegram import Bot, Chat
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError

from bot.i18n import N_

ADMIN_STATUSES = {ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR}


@dataclass
class AdminCache:
    """getChatMember answers, kept briefly: a demoted admin loses rights within `ttl_s`."""

    ttl_s: float = 60.0
    _seen: dict[tuple[int, int], tuple[bool, float]] = field(default_factory=dict)

    async def is_admin(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        now = time.monotonic()
        cached = self._seen.get((chat_id, user_id))
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            member = await bot.get_chat_member(chat_id, user_id)
            admin = member.status in ADMIN_STATUSES
        except TelegramError:
            admin = False  # cannot check: refuse rather than let anyone in
        self._seen[(chat_id, user_id)] = (admin, now + self.ttl_s)
        return admin

    def forget(self, chat_id: int) -> None:
        for key in [k for k in self._seen if k[0] == chat_id]:
            del self._seen[key]


async def may_manage(bot: Bot, cache: AdminCache, chat: Chat, user_id: int) -> bool:
    if chat.type == Chat.PRIVATE:
        return chat.id == user_id
    return await cache.is_admin(bot, chat.id, user_id)


REFUSAL = N_("Only this group's admins can change its watch rules. You can watch privately: DM me.")
SETTINGS_REFUSAL = N_("Only this group's admins can change its settings.")
