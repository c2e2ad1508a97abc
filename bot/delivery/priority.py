"""How soon an alert must leave: urgent ones are claimed before anything else queued."""

from __future__ import annotations

from enum import StrEnum


class Priority(StrEnum):
    URGENT = "urgent"  # squeeze stages, position-guard levels: a cascade will not wait
    NORMAL = "normal"

    @property
    def rank(self) -> int:
        """Claim order: lower goes first."""
        return 0 if self is Priority.URGENT else 1
