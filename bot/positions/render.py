"""Texts about one position: the add reply and /pos lines, and the guard's alerts. Every alert
names the asset, the side and the distance, and says how old its data is."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from bot.market.overview_text import age_text
from bot.positions.evaluate import Evaluation
from bot.positions.model import GuardedPosition, PositionClaim
from bot.signals.kinds import Stage

CLAIM_NOTE = (
    "This is your claim, not exchange data: I hold no API keys and cannot see your account. "
    "Alerts come to this private chat only."
)


def price(value: Decimal) -> str:
    places = 2 if abs(value) >= 100 else 4 if abs(value) >= 1 else 8
    return f"{value:,.{places}f}"


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def pct_points(percent: Decimal, places: int = 2) -> str:
    return f"{percent:,.{places}f}%"


def plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def levels_text(levels: Sequence[Decimal]) -> str:
    return "/".join(plain(level) for level in levels) + " %"


def _signed(value: Decimal) -> str:
    return ("+" if value > 0 else "") + money(value)


def summary_lines(ev: Evaluation) -> list[str]:
    """Mark, distance, PnL and funding: the body of /pos and of the add reply."""
    c = ev.claim
    lines = [
        f"Liquidation {price(ev.liquidation_price)}: <b>{pct_points(ev.distance_pct)}</b> away"
        + (f", {ev.distance_atr:.1f} ATR" if ev.distance_atr is not None else ""),
        f"Mark {price(ev.mark)} on {ev.venue} · PnL {_signed(ev.pnl)} "
        f"({pct_points(ev.roe_pct, 1)} of margin) · data {age_text(ev.data_age_s)} old",
    ]
    if ev.funding_per_day is not None:
        lines.append(
            f"Funding: {_signed(ev.funding_paid)} so far, {_signed(ev.funding_per_day)} a day "
            "at the live rate"
        )
    if ev.liquidation_price != ev.quote.liquidation_price:
        lines.append(
            f"Liquidation before funding {price(ev.quote.liquidation_price)}; "
            f"after the funding so far {price(ev.liquidation_price)}"
        )
    if c.venue == "hyperliquid" or c.venue is None:
        lines.append(f"mmr {pct_points(ev.quote.mmr * 100, 3)} (generic formula)")
    return lines


def title(claim: PositionClaim) -> str:
    return escape(claim.describe())


def level_alert(position: GuardedPosition, ev: Evaluation, level: Decimal) -> str:
    c = position.claim
    head = (
        f"🚨 <b>{c.asset} {c.side.value}: {pct_points(ev.distance_pct)} from liquidation</b> "
        f"(below your {plain(level)} % level)"
    )
    return "\n".join(
        [head, *summary_lines(ev), f"#{position.id} {title(c)} · /pos lists your positions"]
    )


def squeeze_alert(
    position: GuardedPosition, ev: Evaluation, kind: str, stage: Stage | None, summary: str
) -> str:
    """`stage`: the engine's cascade stage (early, confirmed, escalated) when it gives one."""
    c = position.claim
    what = kind.replace("_", " ")
    when = "starting" if stage in (None, Stage.EARLY) else str(stage)
    head = (
        f"🚨 <b>{what} {when} on {c.asset}: your {c.side.value} is "
        f"{pct_points(ev.distance_pct)} from liquidation</b>"
    )
    return "\n".join([head, escape(summary), *summary_lines(ev), f"#{position.id} {title(c)}"])


def funding_alert(position: GuardedPosition, ev: Evaluation) -> str:
    c = position.claim
    rate_8h, cost = ev.funding_rate_8h or Decimal(0), -(ev.next_settlement or Decimal(0))
    head = (
        f"💸 <b>{c.asset} funding turned against your {c.side.value}</b>: "
        f"{pct_points(rate_8h * 100, 4)} per 8h (your level {pct_points(c.funding_level * 100, 4)})"
    )
    limit = f" (your limit {money(c.settlement_cost)})" if c.settlement_cost is not None else ""
    costs = f"The next settlement costs you {money(cost)}{limit}."
    return "\n".join([head, costs, *summary_lines(ev), f"#{position.id} {title(c)}"])


def moved_alert(position: GuardedPosition, ev: Evaluation, before: Decimal, reason: str) -> str:
    c = position.claim
    head = (
        f"📍 <b>{c.asset} {c.side.value}: liquidation moved {price(before)} → "
        f"{price(ev.liquidation_price)}</b> ({reason})"
    )
    return "\n".join([head, *summary_lines(ev), f"#{position.id} {title(c)}"])


def blind_notice(asset: str, reasons: dict[str, str], ids: Sequence[int]) -> str:
    why = "; ".join(f"{v} ({r})" for v, r in sorted(reasons.items())) or "no venue lists it"
    which = ", ".join(f"#{i}" for i in ids)
    return (
        f"🙈 <b>Guard blind on {asset}</b>: no venue has answered for a minute: {escape(why)}. "
        f"Positions {which} are not checked until data returns; nothing is alerted from "
        "stale numbers."
    )
