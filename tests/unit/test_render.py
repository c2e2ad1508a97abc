from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from bot.alerts.languages import Reader
from bot.delivery.late import delayed_texts
from bot.delivery.render import LATE_LINE_ROOM, split_message, whole_parts
from bot.i18n import LANGUAGES


def test_short_text_is_one_message() -> None:
    assert split_message("a\nb") == ["a\nb"]


def test_long_text_splits_on_lines_within_the_limit() -> None:
    lines = [f"<b>line {i}</b> " + "x" * 40 for i in range(300)]
    parts = split_message("\n".join(lines))
    assert all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts).split("\n") == lines
    assert len(parts) == 5  # 16,989 characters


def test_a_line_longer_than_the_limit_is_cut() -> None:
    parts = split_message("y" * 9000, limit=4096)
    assert [len(p) for p in parts] == [4096, 4096, 808]


def test_alerts_separated_by_blank_lines_stay_whole() -> None:
    alerts = [f"🚨 <b>alert {i}</b>\n<i>evidence {i}</i> " + "e" * 60 for i in range(100)]
    parts = split_message("\n\n".join(alerts))
    assert [len(p) <= 4096 for p in parts] == [True, True, True]
    assert [a for p in parts for a in p.split("\n\n")] == alerts


def test_a_hard_cut_closes_and_reopens_the_open_tags() -> None:
    parts = split_message("<b>" + "x &amp; " * 1000 + "</b>", limit=1000)
    assert all(len(p) <= 1000 for p in parts)
    assert all(p.startswith("<b>") and p.endswith("</b>") for p in parts)
    assert all("&amp" not in p.replace("&amp;", "") for p in parts)  # no entity cut in two
    assert "".join(p[3:-4] for p in parts) == "x &amp; " * 1000


def test_whole_parts_never_splits_an_item() -> None:
    items = [f"<b>firing {i}</b> " + "z" * 90 for i in range(200)]
    groups = whole_parts(items, "\n".join, limit=4096)
    assert [len(g) for g in groups] == [38, 37, 37, 37, 37, 14]  # 106-108 characters each
    assert [item for group in groups for item in group] == items


def test_the_longest_delayed_line_fits_the_room_merged_messages_leave() -> None:
    """Six days late in the longest zone name, in every language: 116 characters, so a full
    merged message sent late still goes as one."""
    now = datetime(2026, 12, 2, 15, 57, tzinfo=UTC)
    zone = ZoneInfo(max(available_timezones(), key=len))
    spans = [timedelta(hours=3, minutes=59), timedelta(days=6, hours=23)]
    longest = max(
        len(delayed_texts("", now - span, now, Reader(language, zone))[0])
        for language in LANGUAGES
        for span in spans
    )
    assert longest == 116 <= LATE_LINE_ROOM
