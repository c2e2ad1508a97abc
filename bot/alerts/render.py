"""Alert messages: compact, phone first, one message per chat per tick, evidence included."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from html import escape

from bot.alerts.warning_text import AT_RISK, evidence_text, summary_text
from bot.i18n import N_, _
from bot.i18n.numbers import localize_digits
from bot.market.overview_text import age_text, compact, signed_percent
from bot.positions.render import price
from bot.risk.clusters import Bar, liquidation_clusters
from bot.rules.grammar import describe
from bot.rules.matcher import Firing
from bot.rules.model import ALL_ASSETS, Metric
from bot.signals.kinds import Severity, Stage, WarningKind
from bot.signals.warning import SignalWarning

# asset, OVERHEATING or SQUEEZE, venue, stage key ("" for threshold rules)
WarningKey = tuple[str, Metric, str | None, str]
MAX_BUTTON_RULES = 3
# Closes a quiet-hours digest that outgrew one message (the outbox appends nothing after it).
DIGEST_FULL = "\n\n…more alerts were held than one message holds; /watches lists your rules."
STAGES = {
    Stage.EARLY: N_("Early"),
    Stage.CONFIRMED: N_("Confirmed"),
    Stage.OVER: N_("Over"),
}
ESCALATED = {
    Severity.MODERATE: N_("Escalated to moderate"),
    Severity.HIGH: N_("Escalated to high"),
    Severity.EXTREME: N_("Escalated to extreme"),
}
CLUSTER_EVIDENCE_PCT = 5.0  # a band farther than this is not "next"
MAX_CHARTS = 3


def next_band(kind: WarningKind, bars: Sequence[Bar]) -> tuple[float, float] | None:
    """(distance %, USD) of the nearest band of the side a warning puts at risk, when the
    cluster model (bot.risk.clusters) puts one within 5 %."""
    side = AT_RISK.get(kind)
    if side is None or len(bars) < 2:
        return None
    nearest = liquidation_clusters(bars).nearest(side, 1)
    if not nearest or nearest[0].distance_pct > CLUSTER_EVIDENCE_PCT:
        return None
    return nearest[0].distance_pct, nearest[0].usd


def warning_key(firing: Firing) -> WarningKey:
    spec = firing.rule.spec
    return (firing.asset, spec.metric, spec.venue, firing.stage or "")


def value_text(metric: Metric, value: float) -> str:
    if metric is Metric.LIQ:
        return "$" + localize_digits(compact(value))
    if metric is Metric.PRICE_LEVEL:
        # Exact, as a guarded position's mark: near its level, 100,000 rounded says nothing.
        return price(Decimal(str(value)))
    places = 4 if metric is Metric.FUNDING else 2
    text = signed_percent(value * 100, places)
    return _("{rate} per 8h", rate=text) if metric is Metric.FUNDING else text


def firing_lines(
    firing: Firing, warning: SignalWarning | None, age_s: float, level_venue: str | None = None
) -> list[str]:
    """`level_venue`: the venue whose mark is the asset's price, what a price level on all
    venues was compared with."""
    spec = firing.rule.spec
    rule = escape(describe(spec))
    if spec.built_in:
        if warning is None:
            return [f"<b>{rule}</b> (#{firing.rule.id})"]
        icon = "✅" if warning.stage is Stage.OVER else "🚨" if warning.urgent else "⚠️"
        return [
            f"{icon} {stage_text(warning)}<b>{escape(summary_text(warning))}</b>",
            _(
                "<i>{evidence}</i> · rule #{id}",
                evidence=escape(evidence_text(warning)),
                id=firing.rule.id,
            ),
        ]
    assert firing.value is not None
    where = spec.venue or (level_venue if spec.metric is Metric.PRICE_LEVEL else None)
    where = where or _("all venues")
    level = value_text(spec.metric, firing.threshold or 0.0)
    threshold = (
        _("its p{percentile} {level}", percentile=spec.threshold.percentile, level=level)
        if spec.threshold is not None and spec.threshold.percentile is not None
        else level
    )
    now = value_text(spec.metric, firing.value)
    return [
        _(
            "🔔 <b>{asset} {rule}</b> crossed (#{id})",
            asset=escape(firing.asset),
            rule=rule.split(" ", 1)[1],
            id=firing.rule.id,
        ),
        (
            _("now {value} over {window}", value=now, window=spec.window)
            if spec.window
            else _("now {value}", value=now)
        )
        + " "
        + _(
            "vs {threshold} · {where} · data {age} old",
            threshold=threshold,
            where=where,
            age=age_text(age_s),
        ),
    ]


def stage_text(warning: SignalWarning) -> str:
    """'Early · ' / 'Escalated to extreme · ': where in its event a cascade warning stands."""
    if warning.stage is None:
        return ""
    if warning.stage is Stage.ESCALATED:
        label = _(ESCALATED[warning.severity])
    else:
        label = _(STAGES[warning.stage])
    return f"<b>{label}</b> · "


def chat_alert(
    firings: Sequence[Firing],
    warnings: Mapping[WarningKey, SignalWarning],
    ages: dict[str, float],
    level_venues: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """(HTML text, reply_markup JSON) for one chat's firings of one tick; `level_venues`: per
    asset, the venue whose mark is its price (see observations.level_marks)."""
    lines: list[str] = []
    for firing in firings:
        warning = warnings.get(warning_key(firing))
        venue = (level_venues or {}).get(firing.asset)
        lines += firing_lines(firing, warning, ages.get(firing.asset, 0.0), venue)
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
