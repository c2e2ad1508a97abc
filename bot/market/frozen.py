"""Frozen data: a venue that answers on time with the same numbers while the market moves.

Hyperliquid sends no time with its asset contexts, so its snapshots carry the bot's clock and
can never look old: a stuck node or cache would pass as live. A venue whose mark and open
interest stay exactly the same for every polled instrument, poll after poll, while another
venue's move, is frozen until its own numbers move again. When no venue moves, nothing can be
told and nothing is flagged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from bot.i18n import N_
from bot.market.models import Snapshot, Venue
from bot.market.reasons import Reason, reason

FROZEN_POLLS = 3


@dataclass
class _Seen:
    values: dict[str, tuple[Decimal, Decimal]]
    moved: bool = False
    still: int = 0  # polls in a row with the same numbers while another venue moved


@dataclass
class FrozenWatch:
    polls: int = FROZEN_POLLS
    _seen: dict[Venue, _Seen] = field(default_factory=dict)

    def observe(self, venue: Venue, snapshots: Sequence[Snapshot]) -> Reason | None:
        """This venue's answer of this poll: the reason it is frozen, or None."""
        values = {s.symbol: (s.mark, s.oi_contracts) for s in snapshots}
        seen = self._seen.get(venue)
        if seen is None:
            self._seen[venue] = _Seen(values)
            return None
        seen.moved, seen.values = values != seen.values, values
        if seen.moved:
            seen.still = 0
        elif any(other.moved for v, other in self._seen.items() if v != venue):
            seen.still += 1
        if seen.still < self.polls:
            return None
        return reason(
            N_("frozen: the same mark and open interest for {n} polls while other venues moved"),
            n=seen.still,
        )

    def missed(self, venue: Venue) -> None:
        """The venue did not answer this poll: its last move is no evidence for the others."""
        seen = self._seen.get(venue)
        if seen is not None:
            seen.moved = False
