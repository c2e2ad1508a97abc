"""Times on the pictures and in their replies: spans in words, stamps in the chat's zone.
No matplotlib here: handlers use these too."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def span_words(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins}m" if mins and hours < 4 else f"{hours}h"
    return f"{mins}m"


def stamp(ts: datetime, zone: str) -> str:
    return f"{ts.astimezone(ZoneInfo(zone)):%d %b %H:%M}"


def between(since: datetime, until: datetime, zone: str) -> str:
    """'10 Oct 20:25 – 11 Oct 15:35 UTC'."""
    return f"{stamp(since, zone)} – {stamp(until, zone)} {zone}"
