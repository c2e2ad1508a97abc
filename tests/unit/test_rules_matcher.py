from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta

from bot.rules.grammar import parse_rule
from bot.rules.matcher import BuiltInEvent, Matcher, RuleState, WatchRule
from bot.rules.model import Metric

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
FUNDING = ("BTC", Metric.FUNDING, None, None)


def _matcher(*rules: str, cooldown: timedelta = timedelta(0)) -> Matcher:
    matcher = Matcher()
    for rule_id, text in enumerate(rules, start=1):
        matcher.add(WatchRule(rule_id, 100 + rule_id, parse_rule(text), cooldown))
    return matcher


def _fired(matcher: Matcher, value: float, minute: int = 0, key=FUNDING) -> list[int]:
    firings = matcher.evaluate({key: value}, T0 + timedelta(minutes=minute))
    return sorted(f.rule.id for f in firings)


def test_fires_on_crossing_and_not_again_while_above() -> None:
    m = _matcher("BTC funding > 0.05%")
    assert _fired(m, 0.0003) == []
    assert _fired(m, 0.0008) == [1]
    assert _fired(m, 0.0009) == []
    assert _fired(m, 0.00051) == []


def test_rearms_only_after_falling_back_past_the_margin() -> None:
    m = _matcher("BTC funding > 0.05%")  # margin max(10 % of 0.0005, 0.00002) = 0.00005
    assert _fired(m, 0.0006) == [1]
    assert _fired(m, 0.00046) == []  # below, but within the margin: still disarmed
    assert _fired(m, 0.0006) == []
    assert _fired(m, 0.00044) == []  # past the margin: re-armed
    assert _fired(m, 0.0006) == [1]


def test_a_new_rule_already_true_fires_once() -> None:
    m = _matcher("BTC funding > 0.05%")
    assert _fired(m, 0.0008) == [1]
    m.add(WatchRule(2, 7, parse_rule("BTC funding > 0.01%"), timedelta(0)))
    assert _fired(m, 0.0008) == [2]
    assert _fired(m, 0.0008) == []


def test_below_rules_and_several_thresholds() -> None:
    m = _matcher("BTC funding < -0.03%", "BTC funding < -0.01%", "BTC funding > 0.01%")
    assert _fired(m, 0.0) == []
    assert _fired(m, -0.0002) == [2]
    assert _fired(m, -0.0004) == [1]
    assert _fired(m, 0.0002) == [3]


def test_cooldown_delays_but_does_not_drop() -> None:
    m = _matcher("BTC funding > 0.05%", cooldown=timedelta(minutes=30))
    assert _fired(m, 0.0006, minute=0) == [1]
    assert _fired(m, 0.0001, minute=1) == []  # re-armed
    assert _fired(m, 0.0006, minute=2) == []  # crossed again inside the cooldown: waits
    assert _fired(m, 0.0006, minute=31) == [1]  # still true when the cooldown ends: fires


def test_mute_holds_firing_until_it_ends() -> None:
    m = _matcher("BTC funding > 0.05%")
    m.mute(1, T0 + timedelta(hours=1))
    assert _fired(m, 0.0006, minute=5) == []
    assert _fired(m, 0.0006, minute=61) == [1]


def test_missing_observation_fires_nothing() -> None:
    m = _matcher("BTC funding > 0.05%")
    assert m.evaluate({}, T0) == []
    assert _fired(m, 0.0006, key=("ETH", Metric.FUNDING, None, None)) == []


def test_star_rules_match_every_asset_and_venue_rules_only_their_venue() -> None:
    m = _matcher("* squeeze", "BTC squeeze", "BTC squeeze on bybit", "ETH overheating")
    firings = m.evaluate({}, T0, events=[BuiltInEvent("BTC", Metric.SQUEEZE)])
    assert sorted(f.rule.id for f in firings) == [1, 2]
    firings = m.evaluate({}, T0, events=[BuiltInEvent("SOL", Metric.SQUEEZE, "bybit")])
    assert [f.rule.id for f in firings] == []  # '* squeeze' means aggregated, not per venue
    firings = m.evaluate({}, T0, events=[BuiltInEvent("BTC", Metric.SQUEEZE, "bybit")])
    assert [(f.rule.id, f.asset) for f in firings] == [(3, "BTC")]


def test_windowed_metrics_are_matched_by_window() -> None:
    m = _matcher("BTC oi 1h > 5%", "BTC oi 4h > 5%")
    fired = m.evaluate({("BTC", Metric.OI, "1h", None): 0.06}, T0)
    assert [(f.rule.id, f.value, f.threshold) for f in fired] == [(1, 0.06, 0.05)]


def test_percentile_threshold_uses_the_assets_own_history() -> None:
    m = _matcher("BTC funding > p95")
    levels = {(FUNDING, 95): 0.0002}
    assert m.evaluate({FUNDING: 0.0001}, T0, percentiles=levels) == []
    assert [f.threshold for f in m.evaluate({FUNDING: 0.0003}, T0, percentiles=levels)] == [0.0002]
    assert m.evaluate({FUNDING: 0.0003}, T0, percentiles=levels) == []
    assert m.evaluate({FUNDING: 0.0003}, T0) == []  # no history yet: no guess


def test_restored_disarmed_state_does_not_fire_again_after_restart() -> None:
    m = Matcher()
    m.add(WatchRule(1, 5, parse_rule("BTC funding > 0.05%")), RuleState(armed=False))
    assert _fired(m, 0.0008) == []
    assert _fired(m, 0.0001) == []
    assert _fired(m, 0.0008) == [1]


def test_a_rule_restored_disarmed_after_the_value_fell_past_its_level_is_armed() -> None:
    """A rule added, disarmed, to a group that has seen values: the value is already below its
    re-arm level, so the next move above its threshold rings."""
    m = _matcher("BTC funding > 0.01%")
    assert _fired(m, 0.0001) == []
    m.add(WatchRule(2, 7, parse_rule("BTC funding > 0.05%")), RuleState(armed=False))
    assert _fired(m, 0.0002) == [1]
    assert _fired(m, 0.0006) == [2]


def test_a_cold_start_firing_every_rule_at_once_stays_small() -> None:
    """A restart with no saved state loads every rule with its default state and fires at once
    each one already past its threshold (489k of bench_matcher's million). What a rule holds
    after that tick, firing included, was 736 bytes (a state object each, loaded or fired,
    and a heap entry and a set entry each for re-arming): that tick's peak was the bot's."""
    specs = [parse_rule(f"BTC funding > {n / 1000}%") for n in range(50)]
    tracemalloc.start()
    try:
        m = Matcher()
        for rule_id in range(1000, 21_000):
            m.add(WatchRule(rule_id, rule_id, specs[rule_id % 50]), RuleState(True, None, None))
        firings = m.evaluate({FUNDING: 0.001}, T0)
        held, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(firings) == 20_000
    assert held / 20_000 < 400


def test_removed_rule_never_fires() -> None:
    m = _matcher("BTC funding > 0.05%", "BTC funding > 0.06%")
    m.remove(1)
    assert _fired(m, 0.0008) == [2]
    assert len(m) == 1


def test_changed_rules_are_reported_once_for_persisting() -> None:
    m = _matcher("BTC funding > 0.05%", "BTC funding > 0.07%")
    _fired(m, 0.0006)
    assert m.pop_changed() == {1}
    assert m.pop_changed() == set()
    _fired(m, 0.0001)  # both below their re-arm levels; only rule 1 was disarmed
    assert m.pop_changed() == {1}


def test_cooldown_holds_back_a_repeated_stage_never_an_escalation_or_the_next_stage() -> None:
    # The 2025-10-10 replay: moderate -> high -> extreme in 21 minutes, one alert queued.
    m = _matcher("BTC squeeze", cooldown=timedelta(minutes=30))

    def fired(stage: str, minute: int) -> bool:
        event = BuiltInEvent("BTC", Metric.SQUEEZE, stage=stage)
        return bool(m.evaluate({}, T0 + timedelta(minutes=minute), events=[event]))

    assert fired("long_squeeze:early", 0)
    assert fired("long_squeeze:confirmed", 4)
    assert fired("long_squeeze:escalated:high", 9)
    assert fired("long_squeeze:escalated:extreme", 21)
    assert not fired("long_squeeze:early", 25)  # a new event's first stage, 25 min after
    assert fired("short_squeeze:early", 26)  # the other side is another story
    assert fired("long_squeeze:early", 31)  # the cooldown is over
    m.mute(1, T0 + timedelta(hours=2))
    assert not fired("long_squeeze:over", 40)  # muted means silent, stages or not


LEVEL = ("BTC", Metric.PRICE_LEVEL, None, None)


def test_a_price_level_rings_once_per_crossing() -> None:
    """`> 100k` re-arms 0.5 % under the level (99,500), not 10 % (90,000): a price hovering
    at the level rings once, a real pull-back and a new break ring again."""
    m = _matcher("BTC price > 100k", "BTC price < 95k")
    assert _fired(m, 99_000.0, key=LEVEL) == []
    assert _fired(m, 100_250.0, key=LEVEL) == [1]
    assert _fired(m, 99_900.0, key=LEVEL) == []  # back under, within the margin
    assert _fired(m, 100_100.0, key=LEVEL) == []  # hovering: no second ring
    assert _fired(m, 99_400.0, key=LEVEL) == []  # past the margin: re-armed
    assert _fired(m, 100_050.0, key=LEVEL) == [1]
    assert _fired(m, 94_000.0, key=LEVEL) == [2]
    assert _fired(m, 95_400.0, key=LEVEL) == []  # 95k + 0.5 % is 95,475
    assert _fired(m, 94_900.0, key=LEVEL) == []
    assert _fired(m, 95_500.0, key=LEVEL) == []
    assert _fired(m, 94_900.0, key=LEVEL) == [2]


def test_a_price_level_is_not_a_price_change() -> None:
    m = _matcher("BTC price > 100k", "BTC price 1h > 5%")
    assert _fired(m, 0.06, key=("BTC", Metric.PRICE, "1h", None)) == [2]
    assert _fired(m, 100_001.0, key=("BTC", Metric.PRICE_LEVEL, None, "bybit")) == []
    assert _fired(m, 100_001.0, key=LEVEL) == [1]
