"""Quiet hours: a chat's local night, when non-urgent alerts wait for one digest. Pure.

Times are minutes of the local day; a span may cross midnight (23:00-07:00). Squeeze warnings
(a cascade in progress) are never held: by morning the news is useless.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from bot.errors import UserError
from bot.i18n import _
from bot.i18n.dates import zone_label

# The bot writes a span with an en dash (23:00–07:00): copied back, it must read the same.
# 23:00-07:00, 2300-0700, or the hours alone as a phone types them: 23-7.
_SPAN = re.compile(r"^([0-9]{1,2})(?::?([0-9]{2}))?[-–—]([0-9]{1,2})(?::?([0-9]{2}))?$")
_COOLDOWN = re.compile(r"^([0-9]{1,5})([a-z]+)$")
COOLDOWNS = {"m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60}
COOLDOWNS |= {"h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600}
MAX_COOLDOWN_S = 24 * 3600


@dataclass(frozen=True)
class QuietHours:
    start: int  # minute of the local day
    end: int
    zone: str

    def until(self, now: datetime) -> datetime | None:
        """When the quiet period that contains `now` ends (UTC), or None outside it."""
        local = now.astimezone(ZoneInfo(self.zone))
        minute = local.hour * 60 + local.minute
        inside = (
            self.start <= minute < self.end
            if self.start < self.end
            else minute >= self.start or minute < self.end
        )
        if not inside:
            return None
        end = local.replace(hour=self.end // 60, minute=self.end % 60, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(UTC)

    def text(self) -> str:
        return f"{_clock(self.start)}–{_clock(self.end)} {zone_label(self.zone)}"


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


@cache
def _zones() -> dict[str, str]:
    """IANA names by their lower case, and by their city alone where only one zone has it
    ('moscow', 'new_york': what a trader types). Only names from this list reach ZoneInfo: a
    region ('Europe') is a directory there, and a long string a file name error."""
    names = sorted(available_timezones())
    cities: dict[str, list[str]] = {}
    for name in names:
        # Etc/GMT+3 is UTC-3 (POSIX signs): its 'city' GMT+3 must not read as what a trader means.
        if "/" in name and not name.startswith("Etc/"):
            cities.setdefault(name.rsplit("/", 1)[1].lower(), []).append(name)
    unique = {
        city: found[0] for city, found in cities.items() if len(set(map(_offsets, found))) == 1
    }
    return unique | {name.lower(): name for name in names}


def _offsets(name: str) -> tuple[timedelta | None, ...]:
    """A zone's winter and summer offsets: a city under two names (Europe/Istanbul and
    Asia/Istanbul) is one zone, 'Central' (US/Central, Canada/Central) two that happen to agree
    and 'West' (Australia, Brazil) two that do not."""
    zone = ZoneInfo(name)
    return tuple(datetime(2026, month, 1, tzinfo=zone).utcoffset() for month in (1, 7))


# An offset as traders type it: UTC+3, GMT+3, +3, +03:00. East of Greenwich is +, as everyone
# but POSIX writes it; IANA names a fixed UTC+3 Etc/GMT-3.
_OFFSET = re.compile(r"^(?:utc|gmt)?([+-])([0-9]{1,2})(?::?([0-9]{2}))?$")


def _offset_zone(sign: str, hours: str, minutes: str | None, word: str) -> str:
    if minutes and int(minutes):
        raise UserError(
            _(
                "Offsets are whole hours, like UTC+3; for {offset} name your city, like "
                "Asia/Kolkata.",
                offset=word[:10],
            )
        )
    east, value = sign == "+", int(hours)
    if value > (14 if east else 12):
        raise UserError(_("Offsets run from UTC-12 to UTC+14."))
    return f"Etc/GMT{'-' if east else '+'}{value}" if value else "UTC"


def parse_zone(word: str) -> str:
    if offset := _OFFSET.match(word.lower()):
        sign, hours, minutes = offset.groups()
        return _offset_zone(sign, hours, minutes, word)
    name = _zones().get(word.lower())
    if name is None:
        raise UserError(
            _(
                "Unknown time zone {zone}: use a name like Europe/Berlin or America/New_York.",
                zone=word[:40],
            )
        )
    return name


def parse_quiet(span: str, zone: str) -> QuietHours:
    match = _SPAN.match(span)
    if not match:
        raise UserError(_("Give quiet hours as HH:MM-HH:MM, like 23:00-07:00."))
    h1, m1, h2, m2 = (int(g or 0) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise UserError(_("Hours run 00-23 and minutes 00-59."))
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start == end:
        raise UserError(_("Quiet hours need a start and an end that differ."))
    return QuietHours(start, end, parse_zone(zone))


def parse_cooldown(word: str) -> int:
    """'15m', '2h', '2hours', '0' -> seconds, up to a day."""
    lowered = word.lower()
    if lowered == "0":
        return 0
    match = _COOLDOWN.match(lowered)
    if match is None or match.group(2) not in COOLDOWNS:
        raise UserError(_("Give the cooldown in minutes (m) or hours (h), like 15m or 2h."))
    seconds = int(match.group(1)) * COOLDOWNS[match.group(2)]
    if seconds > MAX_COOLDOWN_S:
        raise UserError(_("The longest cooldown is 24h."))
    return seconds
