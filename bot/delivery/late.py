"""An alert sent long after its evidence was seen (a Telegram outage, a crash, a 429 storm, a
cold start's backlog) says so in its first line: Telegram shows only when a message was sent,
and a trader reads an alert as news. Nothing late is dropped; it is marked."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.alerts.languages import Reader
from bot.delivery.render import TELEGRAM_LIMIT, split_message
from bot.i18n import _, use_language
from bot.i18n.dates import duration, since_time

# Normal pacing keeps an alert seconds from its evidence (1 message a second per chat, 3 s
# per group, a tick's data up to a minute or two old); five minutes is a backlog, not pacing.
LATE_AFTER = timedelta(minutes=5)


def is_late(seen_at: datetime | None, now: datetime) -> bool:
    """Only a row with evidence can be late: a quiet-hours digest (no seen_at) is late on
    purpose and shows each alert's held time already."""
    return seen_at is not None and now - seen_at > LATE_AFTER


def delayed_texts(
    text: str, seen_at: datetime | None, now: datetime, reader: Reader, limit: int = TELEGRAM_LIMIT
) -> list[str]:
    """The message as sent: unchanged when on time; else led by one line saying how late and
    when the evidence was seen, split (between alerts, then lines) if the line takes it past
    Telegram's limit, the line in the first part only."""
    if seen_at is None or not is_late(seen_at, now):
        return [text]
    with use_language(reader.language):
        line = _(
            "⏳ Delayed {late}: seen at {time}; the numbers are from then.",
            late=duration(now - seen_at),
            time=since_time(seen_at, now, reader.zone),
        )
    return split_message(f"{line}\n{text}", limit)
