"""How long alerts took from the evidence being seen to Telegram accepting them, per priority:
the operator's figure (`oiwatch latency`), from what the outbox recorded."""

from __future__ import annotations

import math
from collections.abc import Sequence

from bot.delivery.priority import Priority
from storage.repositories.outbox import Delivery


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    return sorted_values[max(0, math.ceil(fraction * len(sorted_values)) - 1)]


def latency_report(deliveries: Sequence[Delivery], hours: float) -> str:
    lines = [f"alert latency over the last {hours:g} h (evidence seen -> Telegram accepted)"]
    for priority in Priority:
        seconds = sorted(d.seconds for d in deliveries if d.priority is priority)
        if not seconds:
            lines.append(f"{priority}: no alerts sent")
            continue
        lines.append(
            f"{priority}: {len(seconds)} sent, p50 {percentile(seconds, 0.5):.1f} s, "
            f"p99 {percentile(seconds, 0.99):.1f} s, max {seconds[-1]:.1f} s"
        )
    return "\n".join(lines)
