"""Fit text into Telegram messages: at most 4,096 characters, split between whole alerts, then
between lines, and never inside an HTML tag or entity."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

TELEGRAM_LIMIT = 4096
# What a merged message leaves free for the line a late send leads with (bot/delivery/late.py,
# 116 characters at most in any language and zone): without it a cold start's backlog of
# full messages would each go as two, doubling a drain of hours.
LATE_LINE_ROOM = 160
ALERTS_LIMIT = TELEGRAM_LIMIT - LATE_LINE_ROOM
# A tag, an entity, or one character: the units a hard cut may fall between.
TOKEN = re.compile(r"<[^<>]*>|&#?\w+;|.", re.DOTALL)
T = TypeVar("T")


def whole_parts(
    items: Sequence[T], render: Callable[[Sequence[T]], str], limit: int = ALERTS_LIMIT
) -> list[Sequence[T]]:
    """`items` (one chat's alerts of a tick) grouped so each group renders into one message,
    with room for a delayed line; an item is never split across two."""
    groups: list[Sequence[T]] = []
    current: list[T] = []
    for item in items:
        if current and len(render([*current, item])) > limit:
            groups.append(current)
            current = []
        current.append(item)
    if current:
        groups.append(current)
    return groups


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split at blank lines (between alerts), else at newlines, so no alert and no line is cut;
    a single line longer than the limit is cut hard as a last resort, between tags, with the
    tags open at the cut closed and opened again in the next part."""
    if len(text) <= limit:
        return [text]

    def lines(block: str) -> list[str]:
        return _pack(block.split("\n"), "\n", limit, lambda line: _cut(line, limit))

    return _pack(text.split("\n\n"), "\n\n", limit, lines)


def _pack(
    units: list[str], separator: str, limit: int, smaller: Callable[[str], list[str]]
) -> list[str]:
    parts: list[str] = []
    current: str | None = None
    for unit in units:
        for piece in smaller(unit) if len(unit) > limit else [unit]:
            if current is None:
                current = piece
            elif len(current) + len(separator) + len(piece) <= limit:
                current += separator + piece
            else:
                parts.append(current)
                current = piece
    if current is not None:
        parts.append(current)
    return parts


def _cut(line: str, limit: int) -> list[str]:
    parts: list[str] = []
    current = ""
    opened: list[tuple[str, str]] = []  # (name, opening tag) of the tags open so far
    for token in TOKEN.findall(line):
        after = _apply(opened, token)
        if current and len(current) + len(token) + len(_closing(after)) > limit:
            parts.append(current + _closing(opened))
            current = "".join(tag for _, tag in opened)
        current += token
        opened = after
    parts.append(current)
    return parts


def _apply(opened: list[tuple[str, str]], token: str) -> list[tuple[str, str]]:
    if not (token.startswith("<") and token.endswith(">") and len(token) > 2):
        return opened
    name = token.strip("</>").split()[0].lower() if token.strip("</>") else ""
    if token.startswith("</"):
        return opened[:-1] if opened and opened[-1][0] == name else opened
    return [*opened, (name, token)]


def _closing(opened: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(opened))
