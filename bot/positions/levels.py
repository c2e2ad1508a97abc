"""Distance levels, each alerted once, re-armed with hysteresis.

Levels are sorted from the widest (5 %) to the tightest (1 %). What was sent is always a prefix
of that list, so the state is one count. Level i re-arms when the distance recovers past the
next wider level (1 % re-arms above 2 %); the widest re-arms above REARM_TOP times itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

REARM_TOP = Decimal("1.5")


def crossed(levels: Sequence[Decimal], distance: Decimal) -> int:
    """How many levels the distance is below."""
    return sum(1 for level in levels if distance < level)


def rearm_above(levels: Sequence[Decimal], sent: int) -> Decimal | None:
    """The distance above which the tightest sent level re-arms (None: nothing sent)."""
    if sent == 0:
        return None
    return levels[sent - 2] if sent >= 2 else levels[0] * REARM_TOP


def next_below(levels: Sequence[Decimal], sent: int) -> Decimal | None:
    """The distance below which the next alert fires (None: every level was sent)."""
    return levels[sent] if sent < len(levels) else None


def step(levels: Sequence[Decimal], sent: int, distance: Decimal) -> tuple[int, Decimal | None]:
    """(new count sent, the level to alert now or None). A jump past several levels alerts the
    tightest only, in one message; the wider ones count as sent."""
    while (above := rearm_above(levels, sent)) is not None and distance > above:
        sent -= 1
    now_crossed = crossed(levels, distance)
    if now_crossed > sent:
        return now_crossed, levels[now_crossed - 1]
    return sent, None
