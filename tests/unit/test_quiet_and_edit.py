"""Quiet hours in the chat's time zone, /settings parsing, and editing a rule's threshold."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.alerts.quiet import QuietHours, parse_cooldown, parse_quiet, parse_zone
from bot.errors import UserError
from bot.i18n.dates import zone_label
from bot.rules.grammar import RuleSyntaxError, describe, parse_rule, with_new_threshold


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_quiet_hours_cross_midnight_in_local_time() -> None:
    berlin = parse_quiet("23:00-07:00", "Europe/Berlin")  # UTC+1 in winter
    assert berlin.until(at("2026-11-29T21:59")) is None  # 22:59 local
    assert berlin.until(at("2026-11-29T22:00")) == at("2026-11-30T06:00")  # 23:00 -> 07:00
    assert berlin.until(at("2026-11-30T03:30")) == at("2026-11-30T06:00")  # 04:30 local
    assert berlin.until(at("2026-11-30T06:00")) is None  # 07:00 local: over


def test_quiet_hours_follow_daylight_saving() -> None:
    berlin = QuietHours(23 * 60, 7 * 60, "Europe/Berlin")  # UTC+2 in summer
    assert berlin.until(at("2026-07-01T21:30")) == at("2026-07-02T05:00")


def test_a_daytime_span_and_bad_input() -> None:
    lunch = parse_quiet("1200-1330", "UTC")
    assert lunch.until(at("2026-11-29T12:45")) == at("2026-11-29T13:30")
    assert lunch.until(at("2026-11-29T13:30")) is None
    for span, zone, problem in [
        ("23-", "UTC", "HH:MM-HH:MM"),
        ("23:0-07", "UTC", "HH:MM-HH:MM"),
        ("25:00-07:00", "UTC", "Hours run 00-23"),
        ("07:00-07:00", "UTC", "differ"),
        ("23:00-07:00", "Mars/Olympus", "Unknown time zone Mars/Olympus"),
        ("23:00-07:00", "../../etc/passwd", "Unknown time zone"),
        # Two zones with the city's name and different clocks: Australia/West, Brazil/West.
        ("23:00-07:00", "West", "Unknown time zone West"),
    ]:
        with pytest.raises(UserError, match=problem):
            parse_quiet(span, zone)


@pytest.mark.parametrize(
    ("span", "zone", "hours"),
    [
        ("23-7", "moscow", QuietHours(23 * 60, 7 * 60, "Europe/Moscow")),
        ("23-07", "Tokyo", QuietHours(23 * 60, 7 * 60, "Asia/Tokyo")),
        ("22:30-7", "new_york", QuietHours(22 * 60 + 30, 7 * 60, "America/New_York")),
        # Europe/Istanbul and Asia/Istanbul are one clock under two names.
        ("0-8", "Istanbul", QuietHours(0, 8 * 60, "Asia/Istanbul")),
    ],
)
def test_hours_alone_and_a_city_alone_read_as_a_phone_types_them(
    span: str, zone: str, hours: QuietHours
) -> None:
    assert parse_quiet(span, zone) == hours


@pytest.mark.parametrize(
    ("word", "zone", "label"),
    [
        ("GMT+3", "Etc/GMT-3", "UTC+3"),
        ("UTC+3", "Etc/GMT-3", "UTC+3"),
        ("+3", "Etc/GMT-3", "UTC+3"),
        ("+03:00", "Etc/GMT-3", "UTC+3"),
        ("utc-5", "Etc/GMT+5", "UTC-5"),
        ("UTC+14", "Etc/GMT-14", "UTC+14"),
        ("GMT+0", "UTC", "UTC"),
        # The IANA name typed in full keeps IANA's POSIX sign, and is shown as what it is.
        ("Etc/GMT+3", "Etc/GMT+3", "UTC-3"),
    ],
)
def test_an_offset_is_east_of_greenwich_as_traders_write_it(
    word: str, zone: str, label: str
) -> None:
    """Before, GMT+3 matched the zone Etc/GMT+3, which is UTC-3: a Moscow or Istanbul trader's
    quiet hours ran six hours off."""
    assert parse_zone(word) == zone
    assert zone_label(zone) == label
    night = parse_quiet("23-7", word)
    assert night.text() == f"23:00–07:00 {label}"
    if label == "UTC+3":  # 23:00 at UTC+3 is 20:00 UTC
        assert night.until(at("2026-11-29T20:00")) == at("2026-11-30T04:00")


@pytest.mark.parametrize(
    ("word", "problem"),
    [
        ("+05:30", "Offsets are whole hours, like UTC+3; for +05:30 name your city"),
        ("UTC+15", "Offsets run from UTC-12 to UTC+14."),
        ("UTC-13", "Offsets run from UTC-12 to UTC+14."),
    ],
)
def test_an_offset_the_bot_cannot_keep_says_what_to_type(word: str, problem: str) -> None:
    with pytest.raises(UserError, match=re.escape(problem)):
        parse_zone(word)


def test_cooldowns() -> None:
    assert parse_cooldown("15m") == 900
    assert parse_cooldown("2H") == 7200
    assert parse_cooldown("2hours") == 7200
    assert parse_cooldown("45min") == 2700
    assert parse_cooldown("0") == 0
    for word in ("15", "1d", "25h", "m", "2days", "5mo"):
        with pytest.raises(UserError):
            parse_cooldown(word)


def test_editing_a_threshold_keeps_the_rest_of_the_rule() -> None:
    spec = parse_rule("BTC oi 1h > 5% on bybit")
    assert describe(with_new_threshold(spec, "7.5%")) == "BTC oi 1h > 7.5% on bybit"
    assert describe(with_new_threshold(spec, "< -2%")) == "BTC oi 1h < -2% on bybit"
    assert describe(with_new_threshold(parse_rule("ETH funding > 0.05%"), "p95")) == (
        "ETH funding > p95"
    )
    with pytest.raises(RuleSyntaxError, match="built-in warning"):
        with_new_threshold(parse_rule("BTC squeeze"), "5%")
    with pytest.raises(RuleSyntaxError, match="percentage"):
        with_new_threshold(spec, "5")
