"""Dates and times in the reader's language and the chat's time zone (Babel/CLDR)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.i18n.catalogs import current_language


def weekday_time(moment: datetime, zone: ZoneInfo) -> str:
    """'Tue 02 Dec 04:23 Europe/Berlin' (ru 'вт 02 дек. 04:23 Europe/Berlin')."""
    local = format_datetime(
        moment, "EEE dd MMM HH:mm", tzinfo=zone, locale=current_language().locale
    )
    return f"{local} {zone.key}"


def day_time(moment: datetime, zone: ZoneInfo) -> str:
    """'02 Dec 04:23' (ru '02 дек. 04:23'), in the zone given."""
    return format_datetime(moment, "dd MMM HH:mm", tzinfo=zone, locale=current_language().locale)
