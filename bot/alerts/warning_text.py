"""A warning's sentence and evidence in the reader's language, written at render time from the
warning's kind, stage and numbers. English keeps the engine's own text (the CLI and /score show
the same), so only other languages are composed here."""

from __future__ import annotations

from decimal import Decimal

from bot.i18n import ENGLISH, N_, _, current_language
from bot.i18n.numbers import localize_digits, percent
from bot.i18n.quantities import contracts_of
from bot.market.overview_text import compact
from bot.risk.side import Side
from bot.signals.change import signed_change
from bot.signals.kinds import Severity, WarningKind
from bot.signals.warning import CHECKS, SignalWarning, evidence_number

# Which side's liquidations a warning puts at risk: a long squeeze or crowded longs feed on
# long liquidations below the price, and the reverse for shorts.
AT_RISK = {
    WarningKind.LONG_SQUEEZE: Side.LONG,
    WarningKind.OVERHEATING_LONG: Side.LONG,
    WarningKind.SHORT_SQUEEZE: Side.SHORT,
    WarningKind.OVERHEATING_SHORT: Side.SHORT,
}
EVENT_WINDOW = N_("event")  # the window of an `over` summary: the whole event
SEVERITIES = {
    Severity.MODERATE: N_("moderate"),
    Severity.HIGH: N_("high"),
    Severity.EXTREME: N_("extreme"),
}
LABELS = {
    "OI (contracts) pct": N_("OI (contracts) %"),
    "OI first half pct": N_("OI first half %"),
    "OI second half pct": N_("OI second half %"),
    "price pct": N_("price %"),
    "volume x usual": N_("volume x usual"),
    "funding 8h pct": N_("funding 8h %"),
    "basis pct": N_("basis %"),
    "price range pct": N_("price range %"),
    "funding z": N_("funding z"),
    "basis now pct": N_("basis now %"),
    "basis 4h ago pct": N_("basis 4h ago %"),
    "price from onset pct": N_("price from onset %"),
    "OI (contracts) from onset pct": N_("OI (contracts) from onset %"),
    "minutes since onset": N_("minutes since onset"),
    "price x own volatility": N_("price x own volatility"),
    "taker sell share pct": N_("taker sell share %"),
    "longs liquidated USD": N_("longs liquidated USD"),
    "shorts liquidated USD": N_("shorts liquidated USD"),
    "OI (contracts) from peak pct": N_("OI (contracts) from peak %"),
    "price from OI peak pct": N_("price from OI peak %"),
    "minutes since OI peak": N_("minutes since OI peak"),
    "duration min": N_("duration min"),
    "price extreme pct": N_("price extreme %"),
    "OI contracts change": N_("OI contracts change"),
    "OI notional change USD": N_("OI notional change USD"),
}


def num(value: float, spec: str) -> str:
    """Python's rounding, the reader's decimal and group signs: num(-1.234, '+.1f') '-1,2'."""
    return localize_digits(format(value, spec))


def pct(value: float, places: int, *, signed: bool = False) -> str:
    """A percent the engine counted (-2.36) as the locale writes it: '-2.4%', '-2,4 %', '-%2,4';
    signed, with the engine's digits: '-0,04 %' for a tiny move, '0,0 %' for none."""
    if not signed:
        return percent(Decimal(repr(value)) / 100, places)
    shown = Decimal(signed_change(value, places))
    return percent(shown / 100, -int(shown.as_tuple().exponent), signed=True)


def millions(usd: float) -> str:
    return num(usd / 1e6, ",.1f")


def signed_millions(usd: float) -> str:
    return localize_digits(signed_change(usd / 1e6, 1, group=True))


def contracts_change(contracts: float) -> str:
    """'+1 234 контракта', '-5 контрактов': a change of OI in contracts with its noun."""
    text = signed_change(contracts, 0, group=True)
    return contracts_of(Decimal(text.replace(",", "")), localize_digits(text))


# One sentence per kind (and side or stage): a language words "longs" and "shorts" into the
# sentence itself. Placeholders a sentence does not use are ignored.
SENTENCES = {
    "long_squeeze early": N_(
        "{asset} likely long squeeze starting: price {price} in {minutes} min{volume}, "
        "OI {oi}{forced}; longs are being forced out"
    ),
    "short_squeeze early": N_(
        "{asset} likely short squeeze starting: price {price} in {minutes} min{volume}, "
        "OI {oi}{forced}; shorts are being forced out"
    ),
    "long_squeeze confirmed": N_(
        "{asset} long squeeze in progress: OI {oi} from its peak while price fell "
        "{move}; longs are being force-closed"
    ),
    "short_squeeze confirmed": N_(
        "{asset} short squeeze in progress: OI {oi} from its peak while price rose "
        "{move}; shorts are being force-closed"
    ),
    # An escalation is its own sentence with the reading's current numbers: from the onset while
    # only price and flow speak, from the OI peak once OI does.
    "long_squeeze escalated early": N_(
        "{asset} long squeeze intensifying ({was} → {severity}): price {price} in {minutes} "
        "min{volume}, OI {oi}{forced}; more longs are being forced out"
    ),
    "short_squeeze escalated early": N_(
        "{asset} short squeeze intensifying ({was} → {severity}): price {price} in {minutes} "
        "min{volume}, OI {oi}{forced}; more shorts are being forced out"
    ),
    "long_squeeze escalated confirmed": N_(
        "{asset} long squeeze intensifying ({was} → {severity}): OI {oi} from its peak while "
        "price fell {move}; more longs are being force-closed"
    ),
    "short_squeeze escalated confirmed": N_(
        "{asset} short squeeze intensifying ({was} → {severity}): OI {oi} from its peak while "
        "price rose {move}; more shorts are being force-closed"
    ),
    "long_squeeze over": N_("{asset} long squeeze over after {minutes} min"),
    "short_squeeze over": N_("{asset} short squeeze over after {minutes} min"),
    "long_squeeze forced": N_(", longs liquidated ${usd}M"),
    "short_squeeze forced": N_(", shorts liquidated ${usd}M"),
    "overheating_long": N_(
        "{asset} overheating: OI {oi} in {window} and accelerating while price rises "
        "{price}; longs piling in, a sharp move against them can force closes"
    ),
    "overheating_short": N_(
        "{asset} overheating: OI {oi} in {window} and accelerating while price falls "
        "{price}; shorts piling in, a sharp move against them can force closes"
    ),
    "divergence_closes": N_(
        "{asset} rally made of closes: price {price} while OI {oi} in {window}; "
        "such rallies tend to stall"
    ),
    "divergence_shorts": N_(
        "{asset} shorts building: price {price} while OI {oi} in {window}; "
        "a reversal can squeeze them"
    ),
    "accumulation": N_(
        "{asset} positions building in a range: OI {oi} in {window} with price inside "
        "{range}; the longer it lasts, the larger the forced-close wave on a breakout"
    ),
    "crowding_long": N_(
        "{asset} longs crowding: OI {oi} in 4h with funding {funding} per 8h, "
        "far from its usual level; long-squeeze risk"
    ),
    "crowding_short": N_(
        "{asset} shorts crowding: OI {oi} in 4h with funding {funding} per 8h, "
        "far from its usual level; short-squeeze risk"
    ),
    "basis_widening long": N_(
        "{asset} basis widening with OI: {then} -> {now} while OI {oi} in 4h; "
        "longs pay up in derivatives"
    ),
    "basis_widening short": N_(
        "{asset} basis widening with OI: {then} -> {now} while OI {oi} in 4h; "
        "shorts pay up in derivatives"
    ),
    "long band": N_("next long liquidations -{distance} (~${usd}, model estimate)"),
    "short band": N_("next short liquidations +{distance} (~${usd}, model estimate)"),
}


def _early_values(w: SignalWarning, long: bool) -> dict[str, str]:
    n = w.numbers
    ratio = n.get("volume x usual")
    liquidated = n.get(f"{'longs' if long else 'shorts'} liquidated USD")
    return {
        "price": pct(n["price from onset pct"], 1, signed=True),
        "minutes": num(n["minutes since onset"], ".0f"),
        "volume": "" if ratio is None else _(" on {ratio}x volume", ratio=num(ratio, ".0f")),
        "oi": pct(n["OI (contracts) from onset pct"], 1, signed=True),
        "forced": (
            _(SENTENCES[f"{w.kind} forced"], usd=millions(liquidated)) if liquidated else ""
        ),
    }


def _confirmed_values(w: SignalWarning, long: bool) -> dict[str, str]:
    n = w.numbers
    moved = n["price from OI peak pct"]
    return {
        "oi": pct(n["OI (contracts) from peak pct"], 1, signed=True),
        "move": pct(-moved if long else moved, 1),
    }


def _squeeze_over(w: SignalWarning, long: bool) -> str:
    n = w.numbers
    minutes = num(n["duration min"], ".0f")
    parts = [_(SENTENCES[f"{w.kind} over"], asset=w.asset, minutes=minutes)]
    if "price pct" in n:
        parts.append(_("price {pct} since onset", pct=pct(n["price pct"], 1, signed=True)))
    if "price extreme pct" in n:
        extreme = pct(n["price extreme pct"], 1, signed=True)
        parts.append(_("low {pct}", pct=extreme) if long else _("high {pct}", pct=extreme))
    if "OI (contracts) pct" in n and "OI contracts change" in n:
        usd = n.get("OI notional change USD")
        notional = "" if usd is None else _(", {usd}M USD notional", usd=signed_millions(usd))
        parts.append(
            _(
                "OI {pct} ({contracts}{notional})",
                pct=pct(n["OI (contracts) pct"], 1, signed=True),
                contracts=contracts_change(n["OI contracts change"]),
                notional=notional,
            )
        )
    longs, shorts = n.get("longs liquidated USD"), n.get("shorts liquidated USD")
    if longs is not None or shorts is not None:
        parts.append(
            _(
                "liquidated: longs {longs}M USD, shorts {shorts}M USD",
                longs=millions(longs or 0),
                shorts=millions(shorts or 0),
            )
        )
    return _("; ").join(parts)


def _squeeze(w: SignalWarning) -> str:
    long = w.kind == WarningKind.LONG_SQUEEZE
    if "duration min" in w.numbers:
        return _squeeze_over(w, long)
    early = "price from onset pct" in w.numbers
    values = _early_values(w, long) if early else _confirmed_values(w, long)
    stage = "early" if early else "confirmed"
    if w.escalated_from is None:
        return _(SENTENCES[f"{w.kind} {stage}"], asset=w.asset, **values)
    return _(
        SENTENCES[f"{w.kind} escalated {stage}"],
        asset=w.asset,
        was=_(SEVERITIES[w.escalated_from]),
        severity=_(SEVERITIES[w.severity]),
        **values,
    )


def _other(w: SignalWarning) -> str:
    """Each kind's own numbers (the engine names them); a sentence takes the ones it needs."""
    n = w.numbers
    values = {
        "asset": w.asset,
        "window": w.window,
        "oi": pct(n["OI (contracts) pct"], 1, signed=True),
    }
    key = str(w.kind)
    if "price pct" in n:
        signed = w.kind in (WarningKind.DIVERGENCE_CLOSES, WarningKind.DIVERGENCE_SHORTS)
        price = n["price pct"]
        values["price"] = pct(price, 1, signed=True) if signed else pct(abs(price), 1)
    if "price range pct" in n:
        values["range"] = pct(n["price range pct"], 1)
    if "funding 8h pct" in n:
        values["funding"] = pct(n["funding 8h pct"], 4, signed=True)
    if "basis now pct" in n:
        now, then = n["basis now pct"], n["basis 4h ago pct"]
        values |= {"now": pct(now, 2, signed=True), "then": pct(then, 2, signed=True)}
        key += " long" if now > 0 else " short"
    return _(SENTENCES[key], **values)


def band_text(kind: WarningKind, band: tuple[float, float]) -> str:
    """'next long liquidations -1.2% (~$40.5M, model estimate)'."""
    distance, usd = band
    return _(
        SENTENCES[f"{AT_RISK[kind]} band"],
        distance=pct(distance, 1),
        usd=localize_digits(compact(usd)),
    )


def summary_text(w: SignalWarning) -> str:
    if current_language() is ENGLISH:
        return w.summary
    text = _squeeze(w) if w.kind.cascade else _other(w)
    return text if w.next_band is None else f"{text}; {band_text(w.kind, w.next_band)}"


def evidence_text(w: SignalWarning) -> str:
    if current_language() is ENGLISH:
        return w.evidence()
    parts = [
        f"{_(LABELS[key]) if key in LABELS else key} "
        + localize_digits(evidence_number(key, value))
        for key, value in w.numbers.items()
    ]
    return _(
        "{numbers}; window {window}; checks: {checks}; data age {minutes} min",
        numbers=", ".join(parts),
        window=_(EVENT_WINDOW) if w.window == EVENT_WINDOW else w.window,
        checks=", ".join(f"{n} {_(CHECKS[n])}" for n in w.checks),
        minutes=num(w.data_age_s / 60, ".0f"),
    )
