"""A local fake of the Telegram Bot API for end-to-end tests (PTB's `base_url` points here).

Speaks the real wire format: `POST /bot<token>/<method>`, form-encoded or multipart, values
JSON-encoded except plain strings; answers `{"ok": true, "result": ...}` or the real error
shapes (429 with `retry_after`, 403, 400 chat not found, 400 with `migrate_to_chat_id`, 400
for a text over 4,096 characters).
getUpdates long-polls a queue and honours `offset`, so PTB's own Updater runs unchanged.

    async with FakeTelegramAPI(token=TOKEN) as api:
        settings = Settings(telegram_token=TOKEN, telegram_api_url=api.base_url)
        ...                                   # start the bot
        api.push_message(42, "/start")        # a user writes
        call = await api.wait_for("sendMessage")
        assert "help" in call.params["text"]
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.local_server import serve_locally

# Parameters PTB sends as bare strings; everything else arrives JSON-encoded.
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "inline_query_id",
        "callback_query_id",
        "url",
        "secret_token",
        "description",
        "short_description",
        "name",
        "title",
        "query",
        "next_offset",
        "switch_pm_text",
        "switch_pm_parameter",
        "emoji",
        "cache_key",
    }
)
SEND_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "editMessageText", "editMessageCaption", "sendDocument"}
)
TEXT_LIMIT = 4096  # Telegram's, for sendMessage and editMessageText


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    at: float


@dataclass(frozen=True)
class SentMessage:
    method: str
    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    photo: bytes | None = None
    reply_to: int | None = None  # reply_parameters.message_id
    silent: bool = False  # disable_notification
    paid: bool = False  # allow_paid_broadcast
    at: float = 0.0  # time.monotonic() when accepted


@dataclass
class Fault:
    method: str
    status: int
    description: str
    parameters: dict[str, Any] | None
    chat_id: int | None
    times: int
    delay_s: float = 0.0
    garbage: bool = False  # a 200 whose body is not the Bot API's JSON (a broken proxy)


@dataclass
class _Limits:
    """Telegram's documented budgets, enforced when `enforce_limits` is on: paid messages
    (allow_paid_broadcast) skip the 30/s but not the 1,000/s, per-chat or per-group ones."""

    per_bot_per_s: int = 30
    paid_per_s: int = 1000
    private_gap_s: float = 1.0
    group_per_minute: int = 20
    bot_window: deque[float] = field(default_factory=deque)
    paid_window: deque[float] = field(default_factory=deque)
    last_private: dict[int, float] = field(default_factory=dict)
    group_windows: dict[int, deque[float]] = field(default_factory=lambda: defaultdict(deque))


def _decode(key: str, value: str) -> Any:
    if key in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _member(status: str, user: dict[str, Any]) -> dict[str, Any]:
    """A ChatMember of that status with the fields PTB requires for it."""
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "administrator":
        member.update(
            can_be_edited=False,
            is_anonymous=False,
            can_manage_chat=True,
            can_delete_messages=True,
            can_manage_video_chats=True,
            can_restrict_members=True,
            can_promote_members=False,
            can_change_info=True,
            can_invite_users=True,
            can_post_stories=False,
            can_edit_stories=False,
            can_delete_stories=False,
            can_post_messages=True,
        )
    elif status == "creator":
        member["is_anonymous"] = False
    elif status == "kicked":
        member["until_date"] = 0
    return member


class FakeTelegramAPI:
    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        bot_username: str = "oiwatch_test_bot",
        enforce_limits: bool = False,
    ) -> None:
        self.token = token
        self.bot_user = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "oiwatch test",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        self.enforce_limits = enforce_limits
        self.limits = _Limits()
        self.rate_limited = 0  # 429s answered because a budget was exceeded
        self._calls: list[Call] = []
        self._sent: list[SentMessage] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._faults: list[Fault] = []
        self._members: dict[tuple[int, int], str] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def __aenter__(self) -> FakeTelegramAPI:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner, self.port = await serve_locally(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- inspection ------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        return [c for c in self._calls if method is None or c.method == method]

    def sent_messages(self, chat_id: int | None = None) -> list[SentMessage]:
        return [m for m in self._sent if chat_id is None or m.chat_id == chat_id]

    async def wait_for(
        self,
        what: str | Callable[[], bool],
        *,
        timeout: float = 5.0,
        after: int = 0,
    ) -> Call:
        """Until a call to method `what` (the n-th after `after` calls so far), or until the
        predicate holds; event-driven, no polling."""

        def found() -> Call | None:
            if callable(what):
                return Call("predicate", {}, time.monotonic()) if what() else None
            matches = [c for c in self._calls[after:] if c.method == what]
            return matches[0] if matches else None

        async with asyncio.timeout(timeout), self._changed:
            while (result := found()) is None:
                await self._changed.wait()
            return result

    # -- scripting -------------------------------------------------------------------------

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """getChatMember's answer: creator, administrator, member, left, kicked..."""
        self._members[(chat_id, user_id)] = status

    def set_chat(self, chat_id: int, **chat: Any) -> None:
        self._chats[chat_id] = {"id": chat_id, **chat}

    def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        description: str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        chat_id: int | None = None,
        times: int = 1,
        delay_s: float = 0.0,
        garbage: bool = False,
    ) -> None:
        parameters: dict[str, Any] = {}
        if retry_after is not None:
            status, parameters["retry_after"] = 429, retry_after
        if migrate_to_chat_id is not None:
            status, parameters["migrate_to_chat_id"] = 400, migrate_to_chat_id
        default = {
            400: "Bad Request: chat not found",
            403: "Forbidden: bot was blocked by the user",
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
        }.get(status, "Error")
        if migrate_to_chat_id is not None:
            default = "Bad Request: group chat was upgraded to a supergroup chat"
        self._faults.append(
            Fault(
                method,
                status,
                description or default,
                parameters or None,
                chat_id,
                times,
                delay_s,
                garbage,
            )
        )

    def clear_faults(self) -> None:
        self._faults.clear()

    # -- feeding updates -------------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **update})
        asyncio.get_running_loop().create_task(self._notify())
        return update_id

    def push_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        username: str | None = None,
        first_name: str = "Trader",
        chat_title: str | None = None,
    ) -> int:
        user_id = user_id if user_id is not None else chat_id
        kind = chat_type or ("private" if chat_id > 0 else "supergroup")
        chat: dict[str, Any] = {"id": chat_id, "type": kind}
        if kind == "private":
            chat["first_name"] = first_name
        else:
            chat["title"] = chat_title or f"chat {chat_id}"
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self._user(user_id, username, first_name),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.push_update({"message": message})

    def push_channel_post(self, chat_id: int, text: str, *, title: str = "channel") -> int:
        post = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "channel", "title": title},
            "text": text,
        }
        return self.push_update({"channel_post": post})

    def push_inline_query(self, user_id: int, query: str, *, offset: str = "") -> int:
        return self.push_update(
            {
                "inline_query": {
                    "id": str(next(self._message_ids)),
                    "from": self._user(user_id, None, "Trader"),
                    "query": query,
                    "offset": offset,
                }
            }
        )

    def push_callback_query(
        self, chat_id: int, user_id: int, data: str, *, message_id: int | None = None
    ) -> int:
        kind = "private" if chat_id > 0 else "supergroup"
        return self.push_update(
            {
                "callback_query": {
                    "id": str(next(self._message_ids)),
                    "from": self._user(user_id, None, "Trader"),
                    "chat_instance": str(chat_id),
                    "data": data,
                    "message": {
                        "message_id": message_id or next(self._message_ids),
                        "date": int(time.time()),
                        "chat": {"id": chat_id, "type": kind, "title": "chat"},
                        "from": self.bot_user,
                        "text": "rules",
                    },
                }
            }
        )

    def push_my_chat_member(
        self,
        chat_id: int,
        new_status: str,
        *,
        old_status: str = "member",
        user_id: int = 1,
        chat_type: str | None = None,
    ) -> int:
        kind = chat_type or ("private" if chat_id > 0 else "supergroup")
        return self.push_update(
            {
                "my_chat_member": {
                    "chat": {"id": chat_id, "type": kind, "title": "chat"},
                    "from": self._user(user_id, None, "Admin"),
                    "date": int(time.time()),
                    "old_chat_member": _member(old_status, self.bot_user),
                    "new_chat_member": _member(new_status, self.bot_user),
                }
            }
        )

    # -- internals -------------------------------------------------------------------------

    @staticmethod
    def _user(user_id: int, username: str | None, first_name: str) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        return user

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], bytes | None]:
        if request.content_type == "application/json":
            body = await request.json() if request.can_read_body else {}
            return dict(body), None
        params: dict[str, Any] = {}
        photo: bytes | None = None
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if part.filename:  # type: ignore[union-attr]
                    photo = await part.read()  # type: ignore[union-attr]
                    params[part.name or "file"] = f"<file {len(photo)} bytes>"  # type: ignore[union-attr]
                else:
                    name = part.name or ""  # type: ignore[union-attr]
                    params[name] = _decode(name, await part.text())  # type: ignore[union-attr]
            return params, photo
        form = await request.post()
        params = {key: _decode(key, str(value)) for key, value in form.items()}
        return params, None

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        chat_id = params.get("chat_id")
        for fault in self._faults:
            if (
                fault.method == method
                and fault.times > 0
                and (fault.chat_id is None or fault.chat_id == chat_id)
            ):
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _over_limit(self, chat_id: int, paid: bool) -> float:
        """Seconds to wait if this send breaks a budget; 0 if it may go."""
        now = time.monotonic()
        limits = self.limits
        for bucket in (limits.bot_window, limits.paid_window):
            while bucket and now - bucket[0] >= 1.0:
                bucket.popleft()
        window, cap = (
            (limits.paid_window, limits.paid_per_s)
            if paid
            else (limits.bot_window, limits.per_bot_per_s)
        )
        if len(window) >= cap:
            return 1.0 - (now - window[0])
        if chat_id > 0:
            last = limits.last_private.get(chat_id)
            if last is not None and now - last < limits.private_gap_s:
                return limits.private_gap_s - (now - last)
        else:
            group = limits.group_windows[chat_id]
            while group and now - group[0] >= 60.0:
                group.popleft()
            if len(group) >= limits.group_per_minute:
                return 60.0 - (now - group[0])
        window.append(now)
        if chat_id > 0:
            limits.last_private[chat_id] = now
        else:
            limits.group_windows[chat_id].append(now)
        return 0.0

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params, photo = await self._params(request)
        if method != "getUpdates":
            self._calls.append(Call(method, params, time.monotonic()))
            await self._notify()
        fault = self._take_fault(method, params)
        if fault is not None:
            if fault.delay_s:
                await asyncio.sleep(fault.delay_s)
            if fault.garbage:
                return web.Response(text="<html>502 from a proxy</html>", content_type="text/html")
            if fault.status < 400:
                fault = None
            else:
                return self._error(fault.status, fault.description, fault.parameters)
        text = params.get("text")
        if method in ("sendMessage", "editMessageText") and len(str(text or "")) > TEXT_LIMIT:
            return self._error(400, "Bad Request: message is too long", None)
        if self.enforce_limits and method in SEND_METHODS:
            paid = bool(params.get("allow_paid_broadcast"))
            wait = self._over_limit(int(self._chat(params.get("chat_id", 0))["id"]), paid)
            if wait > 0:
                self.rate_limited += 1
                retry = max(1, math.ceil(wait))
                return self._error(
                    429, f"Too Many Requests: retry after {retry}", {"retry_after": retry}
                )
        if method == "getUpdates":
            result: Any = await self._get_updates(params)
            self._calls.append(Call(method, params, time.monotonic()))
            await self._notify()
        else:
            result = self._result(method, params, photo)
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _error(status: int, description: str, parameters: dict[str, Any] | None) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        # Confirmed updates (id below offset) are forgotten, as Telegram does.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            try:
                async with asyncio.timeout(timeout), self._changed:
                    while not self._updates:
                        await self._changed.wait()
            except TimeoutError:
                pass
        return self._updates[:limit]

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            for chat in self._chats.values():
                if chat.get("username") == chat_id[1:]:
                    return chat
            return {"id": -1000000000000 - len(chat_id), "type": "channel", "title": chat_id}
        chat_id = int(chat_id)
        if chat_id in self._chats:
            return self._chats[chat_id]
        return {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup", "title": "chat"}

    def _result(self, method: str, params: dict[str, Any], photo: bytes | None) -> Any:
        if method == "getMe":
            return self.bot_user
        if method in SEND_METHODS:
            chat = self._chat(params.get("chat_id", 0))
            message_id = int(params.get("message_id") or next(self._message_ids))
            text = str(params.get("text", params.get("caption", "")))
            reply = params.get("reply_parameters") or {}
            self._sent.append(
                SentMessage(
                    method,
                    int(chat["id"]),
                    message_id,
                    text,
                    params.get("parse_mode"),
                    params.get("reply_markup"),
                    photo,
                    reply.get("message_id"),
                    bool(params.get("disable_notification")),
                    bool(params.get("allow_paid_broadcast")),
                    time.monotonic(),
                )
            )
            message: dict[str, Any] = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {k: v for k, v in chat.items() if k in ("id", "type", "title")},
                "from": self.bot_user,
            }
            if method == "sendPhoto":
                message["photo"] = [
                    {"file_id": "photo", "file_unique_id": "p", "width": 1, "height": 1}
                ]
                message["caption"] = text
            else:
                message["text"] = text
            return message
        if method == "getChatMember":
            chat_id, user_id = params.get("chat_id"), int(params.get("user_id", 0))
            key = (int(self._chat(chat_id)["id"]), user_id)
            status = self._members.get(key, "member")
            user = (
                self.bot_user
                if user_id == self.bot_user["id"]
                else self._user(user_id, None, "Trader")
            )
            return _member(status, user)
        if method == "getChat":
            chat = dict(self._chat(params.get("chat_id", 0)))
            chat.setdefault("accent_color_id", 0)
            chat.setdefault("max_reaction_count", 0)
            return chat
        if method == "getMyCommands":
            last = self.calls("setMyCommands")
            return last[-1].params.get("commands", []) if last else []
        return True
