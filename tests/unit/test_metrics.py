"""/metrics counts every update under its own command, however often each is seen."""

from __future__ import annotations

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
