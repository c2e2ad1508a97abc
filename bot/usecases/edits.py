"""A command message edited after it was sent: Telegram sends the new text again, as an edit of
the same message. A trader fixing a typo that way means to change what the message made (a
/watch's rule, a /pos add's position), not to add another next to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from storage.repositories.origins import Made, Origin, OriginRepository

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Command:
    """Where a command came from: the user's message, and whether this is an edit of it."""

    origin: Origin
    edited: bool


@dataclass(frozen=True, slots=True)
class Outcome(Generic[T]):
    made: T
    changed: bool = False  # the edit changed what its message had made (same id)
    gone: int | None = None  # the id its message had made, removed since: `made` is new


class CommandOrigins:
    def __init__(self, repository: OriginRepository) -> None:
        self.repository = repository

    async def make_or_change(
        self,
        command: Command | None,
        kind: Made,
        now: datetime,
        *,
        make: Callable[[], Awaitable[tuple[T, int]]],
        change: Callable[[int], Awaitable[T | None]],
    ) -> Outcome[T]:
        """An edit changes what its message made (`change` gets its id; None: it is gone);
        otherwise, and for a message that made nothing (refused), `make` makes it anew and
        the message is remembered as its origin. None for `command`: no message (a button)."""
        before = None
        if command is not None and command.edited:
            before = await self.repository.made(command.origin, kind)
        if before is not None:
            changed = await change(before)
            if changed is not None:
                return Outcome(changed, changed=True)
        made, made_id = await make()
        if command is not None:
            await self.repository.record(command.origin, kind, made_id, now)
        return Outcome(made, gone=before)
