"""/metrics counts every update under its own command, however often each is seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.feed.freshness import VenueHealth
from bot.market.reasons import NO_ANSWER
from bot.runtime.metrics import Metrics


def test_updates_are_counted_and_timed_per_command() -> None:
    metrics = Metrics()
    metrics.observe_update("message", "liq", 0.002)
    metrics.observe_update("message", "liq", 0.030)
    metrics.observe_update("message", "funding", 0.004)
    metrics.observe_update("callback", "button", 0.001)

    text = metrics.render().decode()
    assert 'oiwatch_updates_total{kind="message"} 3.0' in text
    assert 'oiwatch_updates_total{kind="callback"} 1.0' in text
    assert 'oiwatch_command_seconds_count{command="liq"} 2.0' in text
    assert 'oiwatch_command_seconds_bucket{command="liq",le="0.005"} 1.0' in text
    assert 'oiwatch_command_seconds_sum{command="liq"} 0.032' in text
    assert 'oiwatch_command_seconds_count{command="funding"} 1.0' in text
    assert 'oiwatch_command_seconds_count{command="button"} 1.0' in text


def test_sender_totals_are_read_at_scrape_time() -> None:
    metrics = Metrics()
    totals = {"sent": 5, "retried": 2, "dead": 3, "chats_deactivated": 2, "paid": 1}
    metrics.live.sender_totals = lambda: totals
    text = metrics.render().decode()
    assert "oiwatch_alerts_sent_total 5.0" in text
    assert 'oiwatch_alerts_failed_total{outcome="dead"} 3.0' in text
    # Users blocking the bot: their rules are paused, and the operator sees how many.
    assert "oiwatch_chats_deactivated_total 2.0" in text
    totals["chats_deactivated"] = 3
    assert "oiwatch_chats_deactivated_total 3.0" in metrics.render().decode()


def test_data_age_counts_a_venue_that_never_answered_from_its_first_failed_poll() -> None:
    # The suggested alert is `oiwatch_data_age_seconds > 600`: a venue refusing this host from
    # the start (a wrong URL, a country block) must reach it too.
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    answered, refusing, recovered = VenueHealth(), VenueHealth(), VenueHealth()
    answered.answered(start, frozenset({"BTC"}))
    refusing.failed(NO_ANSWER, start)
    refusing.failed(NO_ANSWER, start + timedelta(minutes=5))
    recovered.failed(NO_ANSWER, start)
    recovered.answered(start + timedelta(minutes=9), frozenset({"BTC"}))
    metrics = Metrics()
    metrics.live.venue_health = lambda: {
        "binance": answered,
        "okx": refusing,
        "bybit": recovered,
        "hyperliquid": VenueHealth(),  # not polled yet: no reading
    }
    metrics.live.clock = lambda: start + timedelta(minutes=11)
    ages = [
        line
        for line in metrics.render().decode().splitlines()
        if line.startswith("oiwatch_data_age_seconds{")
    ]
    assert ages == [
        'oiwatch_data_age_seconds{venue="binance"} 660.0',
        'oiwatch_data_age_seconds{venue="bybit"} 120.0',
        'oiwatch_data_age_seconds{venue="okx"} 660.0',
    ]
