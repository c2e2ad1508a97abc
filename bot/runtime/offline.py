"""A Bot API stand-in inside the process: answers getMe, records what the bot sends.

`oiwatch ask` runs the real Application and handlers through it, so the CLI prints exactly what
the bot would reply, with no network and no token. Handler tests use it too (fast, no sockets).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from telegram.request import BaseRequest, RequestData

OFFLINE_TOKEN = "0:offline"
BOT_USER = {
    "id": 1,
    "is_bot": True,
    "first_name": "oiwatch",
    "username": "oiwatch_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": True,
}


@dataclass(frozen=True)
class RecordedCall:
    method: str
    params: dict[str, Any]


class OfflineRequest(BaseRequest):
    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []
        self._message_id = 0
        # (chat id, user id) pairs getChatMember reports as the chat's owner
        self.admins: set[tuple[int, int]] = set()

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def sent_texts(self) -> list[str]:
        return [
            str(call.params.get("text", call.params.get("caption", "")))
            for call in self.calls
            if call.method in ("sendMessage", "sendPhoto", "editMessageText")
        ]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data is not None else {}
        self.calls.append(RecordedCall(api_method, params))
        return 200, json.dumps({"ok": True, "result": self._result(api_method, params)}).encode()

    def _result(self, api_method: str, params: dict[str, Any]) -> Any:
        if api_method == "getMe":
            return BOT_USER
        if api_method == "getChat":
            # Any @name is a channel nobody here administers: /channel says what to do.
            name = str(params.get("chat_id", ""))
            return {
                "id": -1000000000001,
                "type": "channel",
                "title": name,
                "accent_color_id": 0,
                "max_reaction_count": 0,
            }
        if api_method == "getChatMember":
            user_id = int(params.get("user_id", 0))
            user = {"id": user_id, "is_bot": False, "first_name": "member"}
            admin = (int(params.get("chat_id", 0)), user_id) in self.admins
            if admin:
                return {"status": "creator", "user": user, "is_anonymous": False}
            return {"status": "member", "user": user}
        if api_method in ("sendMessage", "sendPhoto", "editMessageText"):
            self._message_id += 1
            chat_id = params.get("chat_id", 0)
            return {
                "message_id": self._message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private" if int(chat_id) > 0 else "group"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
        return True


def private_text_update(text: str, *, user_id: int = 100, update_id: int = 1) -> dict[str, Any]:
    """The JSON of an Update carrying `text` from a user in their private chat."""
    entities = []
    if text.startswith("/"):
        command = text.split()[0]
        entities.append({"type": "bot_command", "offset": 0, "length": len(command)})
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "cli"},
            "from": {"id": user_id, "is_bot": False, "first_name": "cli"},
            "text": text,
            "entities": entities,
        },
    }
