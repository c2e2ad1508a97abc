"""Replay recorded series through the engine and list every warning as it would have fired.

Formats:
- `binance-metrics`: the data.binance.vision family in tests/data/real: a metrics CSV
  (t, oi, oi_usd, ...), optionally 5m klines (t, o, h, l, c, v, ...) and 8h funding
  (t, interval_h, rate). Joined on time with the measured rule: metrics row `t` is the state at
  the close of the kline that opened at `t`, so the engine sees it at t + 5 min, never before.
  Without klines the price is oi_usd / oi (the mark proxy) and volume is unknown.
  Klines also give taker buy volume (`tbv`), metrics the taker and long/short ratios; klines
  before the first metrics row are history for the asset's normal (OI unknown there).
- `oiwatch-csv`: ts (ISO or epoch ms), close, high, low, volume, oi, oi_usd, funding_8h,
  basis_pct, liq_long_usd, liq_short_usd, taker_buy_volume; empty cells are unknown.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

from bot.signals.engine import Baselines, baselines, evaluate
from bot.signals.events import CascadeTracker
from bot.signals.series import BAR, Point
from bot.signals.thresholds import DEFAULT_SETTINGS, SignalSettings
from bot.signals.warning import SignalWarning

BASELINE_EVERY = 12  # bars: the asset's normal is recomputed hourly, as the bot does
QUIET_BARS = 6  # 30 min without a reading: an event is over, another kind is new again


def parse_time(text: str) -> datetime:
    text = text.strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    parsed = datetime.fromisoformat(text.replace(" ", "T"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _num(row: dict[str, str] | None, key: str) -> float | None:
    """A cell's number; an empty, missing or non-finite cell is unknown (the source files keep
    a field the exchange did not publish empty: LUNA's top-trader columns are blank)."""
    value = ((row or {}).get(key) or "").strip()
    if not value:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _rows(path: Path, time: str = "t") -> list[dict[str, str]]:
    """The file's rows that carry a time (a blank or cut-off line is not a bar)."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return [row for row in csv.DictReader(handle) if (row.get(time) or "").strip()]


def _five_minute(path: Path, stamps: Iterable[datetime]) -> None:
    """Klines of another interval would put an hour's close on one 5-minute bar: refuse them."""
    ordered = sorted(stamps)
    gaps = Counter(b - a for a, b in pairwise(ordered))
    if gaps and (usual := gaps.most_common(1)[0][0]) != BAR:
        raise ValueError(f"{path.name}: klines {usual} apart; replay reads 5-minute klines")


def load_binance_metrics(paths: Iterable[Path]) -> list[Point]:
    metrics: list[dict[str, str]] = []
    klines: dict[datetime, dict[str, str]] = {}
    funding: list[tuple[datetime, float]] = []
    for path in paths:
        rows = _rows(path)
        if not rows:
            continue
        columns = set(rows[0])
        if {"oi", "oi_usd"} <= columns:
            metrics += rows
        elif {"o", "h", "l", "c"} <= columns:
            bars = {parse_time(r["t"]): r for r in rows}
            _five_minute(path, bars)
            klines.update(bars)
        elif {"interval_h", "rate"} <= columns:
            funding += [
                (parse_time(r["t"]), rate * 8 / hours)
                for r in rows
                if (rate := _num(r, "rate")) is not None and (hours := _num(r, "interval_h"))
            ]
        else:
            raise ValueError(f"{path.name}: not a metrics, klines or funding file")
    if not metrics:
        raise ValueError("binance-metrics replay needs a metrics file (t, oi, oi_usd)")
    funding.sort()
    by_time = {parse_time(row["t"]): row for row in metrics}
    # Klines before the first metrics row still give the engine the asset's normal price and
    # volume (2025-10-10's metrics start 30 min before the crash, its klines 3 h before).
    first = min(by_time)
    stamps = sorted(by_time.keys() | {t for t in klines if t < first})
    points = []
    for opened in stamps:
        row = by_time.get(opened)
        kline = klines.get(opened)
        oi = _num(row, "oi")
        oi_usd = _num(row, "oi_usd")
        ts = opened + BAR  # known at the bar's close, not at its open stamp
        rate = next((r for t, r in reversed(funding) if t <= ts), None)
        close = _num(kline, "c")
        if close is None and oi and oi_usd:
            close = oi_usd / oi
        if not close:
            continue  # neither a kline nor OI in both units: no price for this bar
        points.append(
            Point(
                ts=ts,
                close=close,
                high=_num(kline, "h"),
                low=_num(kline, "l"),
                volume=_num(kline, "v"),
                oi=oi,
                oi_usd=oi_usd,
                funding=rate,
                taker_buy_volume=_num(kline, "tbv"),
                taker_ratio=_num(row, "taker_ls"),
                long_short_ratio=_num(row, "acct_ls"),
                top_long_short_ratio=_num(row, "top_pos_ls"),
            )
        )
    return points


def load_oiwatch_csv(paths: Iterable[Path]) -> list[Point]:
    points = []
    for path in paths:
        for row in _rows(path, "ts"):
            close = _num(row, "close")
            if close is None:
                raise ValueError(f"{path.name}: a row without close")
            points.append(
                Point(
                    ts=parse_time(row["ts"]),
                    close=close,
                    high=_num(row, "high"),
                    low=_num(row, "low"),
                    volume=_num(row, "volume"),
                    oi=_num(row, "oi"),
                    oi_usd=_num(row, "oi_usd"),
                    funding=_num(row, "funding_8h"),
                    basis_pct=_num(row, "basis_pct"),
                    liq_long_usd=_num(row, "liq_long_usd"),
                    liq_short_usd=_num(row, "liq_short_usd"),
                    taker_buy_volume=_num(row, "taker_buy_volume"),
                )
            )
    return sorted(points, key=lambda p: p.ts)


LOADERS = {"binance-metrics": load_binance_metrics, "oiwatch-csv": load_oiwatch_csv}


def replay(
    points: Sequence[Point],
    asset: str = "BTC",
    settings: SignalSettings = DEFAULT_SETTINGS,
    *,
    lookback: int | None = None,
    start: int = 0,
    quiet: timedelta = BAR * QUIET_BARS,
) -> list[SignalWarning]:
    """Every message a chat would get, evaluating bar by bar on the past only: the stages of
    each cascade event (bot.signals.events) and other kinds as they start or escalate.

    `lookback` bars limits what each step sees, as the live bot keeps 24 h: a week's replay
    then costs a week of steps, not a week squared. Steps begin at bar `start` (earlier bars
    are history only). `quiet`: the live bot's OIWATCH_CASCADE_QUIET_MINUTES, so a picture
    ends each event where the chats' summary did."""
    reported: list[SignalWarning] = []
    tracker = CascadeTracker(quiet=quiet)
    base: Baselines | None = None
    for i in range(max(start, 0) + 1, len(points) + 1):
        seen = points[max(0, i - lookback) : i] if lookback else points[:i]
        if base is None or i % BASELINE_EVERY == 0:
            base = baselines(seen, settings)
        readings = evaluate(asset, seen, settings=settings, base=base)
        reported += tracker.update(asset, readings.warnings, points[i - 1].ts, seen)
    return reported


def replay_files(paths: Sequence[str | Path], fmt: str, asset: str = "BTC") -> list[SignalWarning]:
    return replay(LOADERS[fmt]([Path(p) for p in paths]), asset)
