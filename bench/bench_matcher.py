"""Matching 1,000,000 watch rules over 500 assets in one tick.

Run: .venv/bin/python bench/bench_matcher.py [--rules N] [--assets N]
Prints the build time, the cold tick (first after a restart: every rule judged once), the
median steady tick (values random-walk; only crossings and re-arms are touched), firings per
tick, and peak RSS. Goal: steady tick under 200 ms, RSS under 400 MB.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.rules.matcher import Matcher, WatchRule
from bot.rules.model import Metric, Op, RuleSpec, Threshold

# metric, window, typical value, spread of user thresholds, step users round to
METRICS = (
    (Metric.FUNDING, None, 0.0001, 0.0004, "0.00005"),
    (Metric.OI, "1h", 0.0, 0.05, "0.005"),
    (Metric.PRICE, "1h", 0.0, 0.03, "0.005"),
    (Metric.BASIS, None, 0.0, 0.004, "0.0005"),
)


def build(rules: int, assets: list[str], rng: random.Random) -> Matcher:
    matcher = Matcher()
    cooldown = timedelta(minutes=30)
    specs: dict[tuple[str, int, str, str], RuleSpec] = {}
    for rule_id in range(rules):
        asset = rng.choice(assets)
        m = rng.randrange(len(METRICS))
        metric, window, center, spread, step = METRICS[m]
        op = Op.ABOVE if rng.random() < 0.5 else Op.BELOW
        # Users pick round thresholds (5 %, 0.05 %), so many rules share one spec: intern them.
        steps = round((center + rng.uniform(-3, 3) * spread) / float(step))
        level = Decimal(step) * steps
        key = (asset, m, op.value, str(level))
        spec = specs.get(key)
        if spec is None:
            spec = specs[key] = RuleSpec(asset, metric, window, op, Threshold(level))
        matcher.add(WatchRule(rule_id, rule_id % 200_000, spec, cooldown))
    return matcher


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, default=1_000_000)
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--ticks", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(7)
    assets = [f"A{i}" for i in range(args.assets)]

    started = time.perf_counter()
    matcher = build(args.rules, assets, rng)
    built = time.perf_counter() - started
    rss_built_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    values = {
        (asset, metric, window, None): center
        for asset in assets
        for metric, window, center, _, _ in METRICS
    }
    spreads = {metric: spread for metric, _, _, spread, _ in METRICS}
    now = datetime(2026, 11, 24, tzinfo=UTC)
    started = time.perf_counter()
    cold_firings = len(matcher.evaluate(values, now))
    cold = time.perf_counter() - started

    timings, firings = [], []
    for tick in range(1, args.ticks + 1):
        for key in values:
            values[key] += rng.gauss(0, spreads[key[1]] * 0.05)
        started = time.perf_counter()
        fired = matcher.evaluate(values, now + timedelta(minutes=tick))
        timings.append(time.perf_counter() - started)
        firings.append(len(fired))

    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rules={args.rules:,} assets={args.assets} observations/tick={len(values):,}")
    print(f"build: {built:.2f} s, RSS after build {rss_built_mb:.0f} MB")
    print(f"cold tick (after restart): {cold * 1000:.0f} ms, {cold_firings:,} firings")
    print(
        f"steady tick: median {statistics.median(timings) * 1000:.1f} ms, "
        f"max {max(timings) * 1000:.1f} ms, median {statistics.median(firings):,.0f} firings"
    )
    print(f"peak RSS: {rss_mb:.0f} MB")


if __name__ == "__main__":
    main()
