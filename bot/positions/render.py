"""Texts about one position: the add reply and /pos lines, and the guard's alerts. Every alert
names the asset, the side and the distance, and says how old its data is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from html import escape

from bot.i18n import N_, _
from bot.i18n.numbers import grouped, localize_digits, percent, ungrouped
from bot.market.overview_text import age_text, named
from bot.market.reasons import Reason
from bot.positions.evaluate import Evaluation
from bot.positions.model import GuardedPosition, PositionClaim
from bot.signals.kinds import Stage, WarningKind

CLAIM_NOTE = N_(
    "This is your claim, not exchange data: I hold no API keys and cannot see your account. "
    "Alerts come to this private chat only."
)


STAGE_WORDS = {
    Stage.CONFIRMED: N_("confirmed"),
    Stage.ESCALATED: N_("escalated"),
    Stage.OVER: N_("over"),
}


# (long side, starting): the head of a squeeze alert for a position on the losing side.
SQUEEZE_HEADS = {
    (True, True): N_(
        "🚨 <b>long squeeze starting on {asset}: your {side} is {distance} from liquidation</b>"
    ),
    (False, True): N_(
        "🚨 <b>short squeeze starting on {asset}: your {side} is {distance} from liquidation</b>"
    ),
    (True, False): N_(
        "🚨 <b>long squeeze {stage} on {asset}: your {side} is {distance} from liquidation</b>"
    ),
    (False, False): N_(
        "🚨 <b>short squeeze {stage} on {asset}: your {side} is {distance} from liquidation</b>"
    ),
}


def price(value: Decimal) -> str:
    places = 2 if abs(value) >= 100 else 4 if abs(value) >= 1 else 8
    return grouped(value, places)


def money(value: Decimal) -> str:
    return grouped(value, 2)


def pct_points(value: Decimal, places: int = 2) -> str:
    return percent(value / 100, places)


def plain(value: Decimal) -> str:
    return ungrouped(value)


def levels_text(levels: Sequence[Decimal]) -> str:
    return "/".join(plain(level) for level in levels) + " %"


def _signed(value: Decimal) -> str:
    return ("+" if value > 0 else "") + money(value)


def summary_lines(ev: Evaluation) -> list[str]:
    """Mark, distance, PnL and funding: the body of /pos and of the add reply."""
    c = ev.claim
    atr = "" if ev.distance_atr is None else f", {localize_digits(f'{ev.distance_atr:.1f}')} ATR"
    lines = [
        _(
            "Liquidation {price}: <b>{distance}</b> away",
            price=price(ev.liquidation_price),
            distance=pct_points(ev.distance_pct),
        )
        + atr,
        _(
            "Mark {price} on {venue} · PnL {pnl} ({roe} of margin) · data {age} old",
            price=price(ev.mark),
            venue=ev.venue,
            pnl=_signed(ev.pnl),
            roe=pct_points(ev.roe_pct, 1),
            age=age_text(ev.data_age_s),
        ),
    ]
    if c.venue is not None and ev.venue != c.venue:
        # The position's venue had no live mark: the numbers above are another venue's.
        why = _("(no live {asset} mark)", asset=c.asset)
        lines.append(_("Left out: {venues}", venues=escape(named({c.venue: why}))))
    if ev.funding_per_day is not None:
        lines.append(
            _(
                "Funding: {paid} so far, {per_day} a day at the live rate",
                paid=_signed(ev.funding_paid),
                per_day=_signed(ev.funding_per_day),
            )
        )
    if ev.liquidation_price != ev.quote.liquidation_price:
        lines.append(
            _(
                "Liquidation before funding {before}; after the funding so far {after}",
                before=price(ev.quote.liquidation_price),
                after=price(ev.liquidation_price),
            )
        )
    if c.venue == "hyperliquid" or c.venue is None:
        lines.append(_("mmr {mmr} (generic formula)", mmr=pct_points(ev.quote.mmr * 100, 3)))
    return lines


def _footer(position: GuardedPosition) -> str:
    return f"#{position.id} {title(position.claim)}"


def title(claim: PositionClaim) -> str:
    """'BTC long 10x, 0.2 @ 60000 on binance': numbers as the owner typed them, in the
    language's decimal sign."""
    values = {
        "asset": claim.asset,
        "side": claim.side.value,
        "leverage": plain(claim.leverage),
        "size": plain(claim.size),
        "entry": plain(claim.entry),
    }
    if claim.venue is None:
        return escape(_("{asset} {side} {leverage}x, {size} @ {entry}", **values))
    return escape(
        _("{asset} {side} {leverage}x, {size} @ {entry} on {venue}", venue=claim.venue, **values)
    )


def level_alert(position: GuardedPosition, ev: Evaluation, level: Decimal) -> str:
    c = position.claim
    head = _(
        "🚨 <b>{asset} {side}: {distance} from liquidation</b> (below your {level} % level)",
        asset=c.asset,
        side=c.side.value,
        distance=pct_points(ev.distance_pct),
        level=plain(level),
    )
    foot = _("#{id} {title} · /pos lists your positions", id=position.id, title=title(c))
    return "\n".join([head, *summary_lines(ev), foot])


def squeeze_alert(
    position: GuardedPosition,
    ev: Evaluation,
    kind: WarningKind,
    stage: Stage | None,
    summary: str,
) -> str:
    """`stage`: the engine's cascade stage (early, confirmed, escalated) when it gives one."""
    c = position.claim
    values = {
        "asset": c.asset,
        "side": c.side.value,
        "distance": pct_points(ev.distance_pct),
    }
    started = stage in (None, Stage.EARLY)
    head = _(
        SQUEEZE_HEADS[(kind == WarningKind.LONG_SQUEEZE, started)],
        stage="" if started or stage is None else _(STAGE_WORDS[stage]),
        **values,
    )
    return "\n".join([head, escape(summary), *summary_lines(ev), _footer(position)])


def funding_alert(position: GuardedPosition, ev: Evaluation) -> str:
    c = position.claim
    rate_8h, cost = ev.funding_rate_8h or Decimal(0), -(ev.next_settlement or Decimal(0))
    head = _(
        "💸 <b>{asset} funding turned against your {side}</b>: {rate} per 8h (your level {level})",
        asset=c.asset,
        side=c.side.value,
        rate=pct_points(rate_8h * 100, 4),
        level=pct_points(c.funding_level * 100, 4),
    )
    limit = (
        _(" (your limit {limit})", limit=money(c.settlement_cost))
        if c.settlement_cost is not None
        else ""
    )
    costs = _("The next settlement costs you {cost}{limit}.", cost=money(cost), limit=limit)
    return "\n".join([head, costs, *summary_lines(ev), _footer(position)])


def moved_alert(position: GuardedPosition, ev: Evaluation, before: Decimal, reason: str) -> str:
    c = position.claim
    head = _(
        "📍 <b>{asset} {side}: liquidation moved {before} → {after}</b> ({reason})",
        asset=c.asset,
        side=c.side.value,
        before=price(before),
        after=price(ev.liquidation_price),
        reason=reason,
    )
    return "\n".join([head, *summary_lines(ev), _footer(position)])


def blind_notice(asset: str, reasons: Mapping[str, Reason], ids: Sequence[int]) -> str:
    why = "; ".join(f"{v} ({r})" for v, r in sorted(reasons.items())) or _("no venue lists it")
    return _(
        "🙈 <b>Guard blind on {asset}</b>: no venue has answered for a minute: {why}. "
        "Positions {ids} are not checked until data returns; nothing is alerted from "
        "stale numbers.",
        asset=asset,
        why=escape(why),
        ids=", ".join(f"#{i}" for i in ids),
    )
