"""Alert messages: compact, phone first, one message per chat per tick, evidence included."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape

from bot.market.overview_text import age_text, compact
from bot.risk.clusters import Bar, liquidation_clusters
from bot.rules.grammar import describe
from bot.rules.matcher import Firing
from bot.rules.model import ALL_ASSETS, Metric
from bot.signals.kinds import Stage
from bot.signals.warning import Warning

# asset, OVERHEATING or SQUEEZE, venue, stage key ("" for threshold rules)
WarningKey = tuple[str, Metric, str | None, str]
MAX_BUTTON_RULES = 3
# Which side's liquidations a warning puts at risk: a long squeeze or crowded longs feed on
# long liquidations below the price, and the reverse for shorts.
AT_RISK = {
    "long_squeeze": "long",
    "overheating_long": "long",
    "short_squeeze": "short",
    "overheating_short": "short",
}
CLUSTER_EVIDENCE_PCT = 5.0  # a band farther than this is not "next"
MAX_CHARTS = 3


def cluster_evidence(kind: str, bars: Sequence[Bar]) -> str | None:
    """'next long liquidations -1.2% (~$40.5M, model estimate)' for warnings about one side,
    when the cluster model (bot.risk.clusters) puts a band of that side within 5 %."""
    side = AT_RISK.get(kind)
    if side is None or len(bars) < 2:
        return None
    nearest = liquidation_clusters(bars).nearest(side, 1)
    if not nearest or nearest[0].distance_pct > CLUSTER_EVIDENCE_PCT:
        return None
    band = nearest[0]
    sign = "-" if side == "long" else "+"
    return (
        f"next {side} liquidations {sign}{band.distance_pct:.1f}% "
        f"(~${compact(band.usd)}, model estimate)"
    )


def warning_key(firing: Firing) -> WarningKey:
    spec = firing.rule.spec
    return (firing.asset, spec.metric, spec.venue, firing.stage or "")


def value_text(metric: Metric, value: float) -> str:
    if metric is Metric.LIQ:
        return f"${compact(value)}"
    places = 4 if metric is Metric.FUNDING else 2
    suffix = " per 8h" if metric is Metric.FUNDING else ""
    return f"{value * 100:+.{places}f}%{suffix}"


def firing_lines(firing: Firing, warning: Warning | None, age_s: float) -> list[str]:
    spec = firing.rule.spec
    rule = escape(describe(spec))
    if spec.built_in:
        if warning is None:
            return [f"<b>{rule}</b> (#{firing.rule.id})"]
        icon = "✅" if warning.stage is Stage.OVER else "🚨" if warning.urgent else "⚠️"
        return [
            f"{icon} {stage_text(warning)}<b>{escape(warning.summary)}</b>",
            f"<i>{escape(warning.evidence())}</i> · rule #{firing.rule.id}",
        ]
    assert firing.value is not None
    where = firing.rule.spec.venue or "all venues"
    threshold = (
        f"its p{spec.threshold.percentile} {value_text(spec.metric, firing.threshold or 0.0)}"
        if spec.threshold is not None and spec.threshold.percentile is not None
        else value_text(spec.metric, firing.threshold or 0.0)
    )
    window = f" over {spec.window}" if spec.window else ""
    return [
        f"🔔 <b>{escape(firing.asset)} {rule.split(' ', 1)[1]}</b> crossed (#{firing.rule.id})",
        f"now {value_text(spec.metric, firing.value)}{window} vs {threshold} · {where} · "
        f"data {age_text(age_s)} old",
    ]


def stage_text(warning: Warning) -> str:
    """'Early · ' / 'Escalated to extreme · ': where in its event a cascade warning stands."""
    if warning.stage is None:
        return ""
    label = warning.stage.capitalize()
    if warning.stage is Stage.ESCALATED:
        label += f" to {warning.severity}"
    return f"<b>{label}</b> · "


def chat_alert(
    firings: Sequence[Firing],
    warnings: Mapping[WarningKey, Warning],
    ages: dict[str, float],
) -> tuple[str, str]:
    """(HTML text, reply_markup JSON) for one chat's firings of one tick."""
    lines: list[str] = []
    for firing in firings:
        warning = warnings.get(warning_key(firing))
        lines += firing_lines(firing, warning, ages.get(firing.asset, 0.0))
    buttons = [
        [
            {"text": f"🔕 1h #{f.rule.id}", "callback_data": f"rule:mute:1h:{f.rule.id}"},
            {"text": f"🗑 #{f.rule.id}", "callback_data": f"rule:del:{f.rule.id}"},
        ]
        for f in firings[:MAX_BUTTON_RULES]
    ]
    assets = sorted({f.asset for f in firings if f.asset != ALL_ASSETS})
    charts = [{"text": f"📈 {a}", "callback_data": f"chart:{a}"} for a in assets[:MAX_CHARTS]]
    if charts:
        buttons.insert(0, charts)
    return "\n".join(lines), json.dumps({"inline_keyboard": buttons})
