"""Per-user budgets: a sliding window, so a burst is refused but normal use never is."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

# Telegram sends an inline query per keystroke: typing `50000 50x long` three times is ~40
# queries, so inline gets its own, larger budget and never eats the command budget.
INLINE_PER_COMMAND = 4


@dataclass
class _Window:
    stamps: deque[float] = field(default_factory=deque)
    warned: bool = False


class CommandLimiter:
    def __init__(self, max_events: int, window_seconds: float = 60.0) -> None:
        self.max_events = max_events
        self.window_seconds = window_seconds
        self._windows: dict[int, _Window] = {}

    def allow(self, key: int, now: float) -> bool:
        window = self._windows.setdefault(key, _Window())
        while window.stamps and now - window.stamps[0] >= self.window_seconds:
            window.stamps.popleft()
        if len(window.stamps) < self.max_events:
            window.stamps.append(now)
            window.warned = False
            return True
        return False

    def first_refusal(self, key: int) -> bool:
        """True once per burst: the caller says so once, so the refusal itself is not spam."""
        window = self._windows.setdefault(key, _Window())
        first = not window.warned
        window.warned = True
        return first

    def retry_in(self, key: int, now: float) -> float:
        window = self._windows.get(key)
        if not window or not window.stamps:
            return 0.0
        return max(0.0, self.window_seconds - (now - window.stamps[0]))
