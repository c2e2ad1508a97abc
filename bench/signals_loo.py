"""Would tuning the cascade thresholds on the training windows carry over to unseen ones?
(issue 11: a held-out set of real windows judges the engine.)

Leave one window out: for each window of a folder (default tests/data/real), pick from a small
grid around the defaults the settings that score best on the *other* windows, then score the
left-out window with them. Summed over the windows, that is an honest estimate of what tuning
buys on data it has not seen; the defaults, scored the same way, are the reference. "Best" puts
safety first: fewest wrong-side warnings and squeeze warnings on calm days, then most onsets
warned within 10 minutes, then fewest off-event warnings, then the fewest settings moved.

    .venv/bin/python bench/signals_loo.py [folder]

Each grid point replays every window once (about 3 s); the grid has 243 points.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.signals.scorecard import WindowScore, evaluate_folder
from bot.signals.thresholds import DEFAULT_SETTINGS, SignalSettings

GRID = {
    "cascade_price_z": (3.5, 4.0, 4.5),
    "early_oi_z": (2.5, 3.0, 3.5),
    "squeeze_lag_bars": (6, 8, 10),
    "cascade_volume_ratio": (1.5, 2.0, 2.5),
    "cascade_bar_range_pct": (0.8, 1.0, 1.2),
}


@dataclass(frozen=True)
class Tally:
    warned_10: int = 0
    warned: int = 0
    wrong: int = 0  # wrong side, plus any squeeze warning on a calm day
    off: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.warned_10 + other.warned_10,
            self.warned + other.warned,
            self.wrong + other.wrong,
            self.off + other.off,
        )

    def rank(self) -> tuple[int, int, int]:
        return (-self.wrong, self.warned_10, -self.off)


def tally(window: WindowScore) -> Tally:
    early = [e.early_min for e in window.events if e.early_min is not None]
    calm_false = len(window.off_event) if window.calm else 0
    return Tally(
        sum(1 for m in early if m <= 10),
        len(early),
        len(window.wrong_side) + calm_false,
        len(window.off_event) - calm_false,
    )


def _moved(point: dict[str, float]) -> int:
    return sum(1 for k, v in point.items() if getattr(DEFAULT_SETTINGS, k) != v)


def main(folder: Path) -> None:
    names = list(GRID)
    points = [dict(zip(names, values, strict=True)) for values in itertools.product(*GRID.values())]
    scores: list[tuple[dict[str, float], dict[str, Tally]]] = []
    for point in points:
        settings = SignalSettings(**(asdict(DEFAULT_SETTINGS) | point))
        card = evaluate_folder(folder, settings=settings)
        scores.append((point, {w.window: tally(w) for w in card.windows}))
    windows = list(scores[0][1])
    default = next(
        s for p, s in scores if all(getattr(DEFAULT_SETTINGS, k) == v for k, v in p.items())
    )
    held_out = Tally()
    print(
        "| left out | chosen on the other windows | held out: within 10 min / warned / wrong / off "
        "| defaults |"
    )
    print("| --- | --- | --- | --- |")
    for name in windows:
        best_point, best = max(
            scores,
            key=lambda s: (
                sum((t for w, t in s[1].items() if w != name), Tally()).rank(),
                -_moved(s[0]),  # a tie keeps the defaults
            ),
        )
        got, ref = best[name], default[name]
        held_out += got
        chosen = ", ".join(f"{k} {v:g}" for k, v in best_point.items())
        print(
            f"| {name} | {chosen} | {got.warned_10} / {got.warned} / {got.wrong} / {got.off} | "
            f"{ref.warned_10} / {ref.warned} / {ref.wrong} / {ref.off} |"
        )
    reference = sum(default.values(), Tally())
    plateau = sum(1 for _, s in scores if sum(s.values(), Tally()).rank() == reference.rank())
    better = sum(1 for _, s in scores if sum(s.values(), Tally()).rank() > reference.rank())
    print(
        f"on all windows, {plateau} of {len(scores)} grid points score as the defaults do, "
        f"{better} better"
    )
    print(
        f"held out, tuned per fold: {held_out.warned_10} within 10 min, {held_out.warned} warned, "
        f"{held_out.wrong} wrong side or calm-day, {held_out.off} off event; defaults: "
        f"{reference.warned_10}, {reference.warned}, {reference.wrong}, {reference.off}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tests/data/real"))
