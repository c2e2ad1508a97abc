"""Every date, time and duration the bot writes, one function per use, in the reader's language
(the current one) and the chat's time zone, from Babel's CLDR data. Traders read a 24-hour
clock in every language, so times are `HH:mm`, never "3:35 PM"."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_skeleton, format_timedelta

from bot.i18n.catalogs import current_language

UTC = ZoneInfo("UTC")

_FIXED = re.compile(r"^Etc/GMT([+-])([0-9]{1,2})$")


def zone_label(name: str) -> str:
    """A zone as a trader reads it: the fixed Etc/GMT-3 is UTC+3; a named zone is its name."""
    match = _FIXED.match(name)
    if match is None or match.group(2) == "0":
        return name
    return f"UTC{'-' if match.group(1) == '+' else '+'}{match.group(2)}"


def _day(moment: datetime, zone: ZoneInfo, skeleton: str = "MMMd") -> str:
    """The day as the locale writes it: '11 Oct', '11 окт.', '10月11日' (CLDR skeletons)."""
    return format_skeleton(skeleton, moment, tzinfo=zone, locale=current_language().date_locale)


def clock_time(moment: datetime, zone: ZoneInfo) -> str:
    """'04:23' in the zone given: a time within the day (quiet-hours digest, snoozes)."""
    return format_datetime(moment, "HH:mm", tzinfo=zone, locale=current_language().date_locale)


def day_time(moment: datetime, zone: ZoneInfo) -> str:
    """'2 Dec 04:23' (ru '2 дек. 04:23', zh '12月2日 04:23'), in the zone given."""
    return f"{_day(moment, zone)} {clock_time(moment, zone)}"


def weekday_time(moment: datetime, zone: ZoneInfo) -> str:
    """'Tue 2 Dec 04:23 Europe/Berlin' (ru 'вт, 2 дек. 04:23 Europe/Berlin'): when a mute ends."""
    return f"{_day(moment, zone, 'MMMEd')} {clock_time(moment, zone)} {zone_label(zone.key)}"


def day_time_span(since: datetime, until: datetime, zone: ZoneInfo) -> str:
    """'10 Oct 20:25 – 11 Oct 15:35 UTC': what stored history a picture or score covers."""
    return f"{day_time(since, zone)} – {day_time(until, zone)} {zone_label(zone.key)}"


def since_time(moment: datetime, now: datetime, zone: ZoneInfo = UTC) -> str:
    """'06:31 UTC', with the day when that may be another one ('10 Oct 06:31 UTC'): since
    when a venue fails or a stream was started, in UTC as every reader's shared clock; when a
    late alert's evidence was seen, in the chat's zone."""
    near = now - moment < timedelta(hours=20)
    text = clock_time(moment, zone) if near else day_time(moment, zone)
    return f"{text} {zone_label(zone.key)}"


def axis_time(moment: datetime, zone: ZoneInfo) -> str:
    """A chart's time tick: the day ('11 Oct') where one starts, else the clock ('20:00')."""
    local = moment.astimezone(zone)
    return _day(moment, zone) if local.hour == local.minute == 0 else clock_time(moment, zone)


def duration(span: timedelta) -> str:
    """'21h', '1h 35m', '2d 3h' (ru '21 ч', zh '21小时'): to the minute below 4 hours, to the
    hour above, so a picture's line stays short."""
    minutes = round(span.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        parts = [timedelta(days=days), timedelta(hours=hours)]
    elif hours:
        parts = [timedelta(hours=hours), timedelta(minutes=mins if hours < 4 else 0)]
    else:
        parts = [timedelta(minutes=mins)]
    locale = current_language().locale
    # threshold=1: each part is whole in its own unit, never rounded up into the next one.
    return " ".join(
        format_timedelta(part, format="narrow", threshold=1, locale=locale)
        for i, part in enumerate(parts)
        if part or i == 0
    )
