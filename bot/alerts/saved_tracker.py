"""A cascade tracker kept in the database under a name: loaded when a leader starts (a restart
or a takeover resumes its events), saved after each tick's alerts are in the outbox. The rules'
pipeline and the position guard each keep their own, so neither steals the other's news."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.signals import event_state
from bot.signals.events import CascadeTracker
from storage.repositories.saved_state import SavedStateRepository


@dataclass
class SavedTracker:
    repository: SavedStateRepository
    name: str  # at most 32 characters (saved_state.name)
    _text: str | None = None  # as last loaded or saved: an unchanged tracker is not written
    _loaded: bool = False

    async def resumed(self, current: CascadeTracker) -> CascadeTracker:
        """The saved tracker on the first call (a start or a takeover: its owner is built anew
        then), `current` on every later one."""
        if self._loaded:
            return current
        self._text = await self.repository.load(self.name)
        self._loaded = True
        return event_state.loads(self._text, current.quiet)

    async def save(self, tracker: CascadeTracker, now: datetime) -> None:
        """After the outbox write: a crash between the two announces that tick's stages again,
        which the outbox stores once (same dedup keys), rather than losing them."""
        text = event_state.dumps(tracker)
        if text != self._text:
            await self.repository.save(self.name, text, now)
            self._text = text
