"""AssetOverview -> a compact table for a phone (monospace, about 36 columns), or plain text
for the terminal. Shared by /oi and `oiwatch snapshot`, so both say the same thing."""

from __future__ import annotations

import math
from decimal import Decimal
from html import escape
from unicodedata import east_asian_width

from bot.i18n import N_, _, ngettext
from bot.i18n.numbers import localize_digits, percent
from bot.market.overview import ALL, READING_WINDOWS, WINDOWS, AssetOverview, VenueLine

SHORT_VENUE = {
    "binance": "binance",
    "binance_coinm": "bn-coinm",
    "bybit": "bybit",
    "bybit_inverse": "bybit-in",
    "okx": "okx",
    "hyperliquid": "hyperliq",
    ALL: "ALL",
}


COLUMNS = ((N_("venue"), 8), (N_("price"), 9), (N_("OI"), 6), (N_("OI $"), 6))


def compact(value: float) -> str:
    """12_345_678 -> '12.3M': three significant digits are what a phone screen can carry."""
    magnitude = abs(value)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            return (
                f"{value / limit:.3g}{suffix}"
                if magnitude < limit * 100
                else (f"{value / limit:.0f}{suffix}")
            )
    return f"{value:.3g}" if magnitude < 100 else f"{value:.0f}"


def price_text(value: float) -> str:
    """Four significant digits, never an exponent: a trader reads PEPE as 0.0000123, not
    1.23e-05; from 1,000 up, whole and grouped."""
    if value >= 1000:
        return localize_digits(f"{value:,.0f}")
    if value <= 0 or not math.isfinite(value):
        return localize_digits(f"{value:.4g}")
    places = max(0, 3 - math.floor(math.log10(value)))
    text = f"{value:.{places}f}"
    return localize_digits(text.rstrip("0").rstrip(".") if "." in text else text)


def signed(value: float | None, places: int = 1) -> str:
    return "–" if value is None else localize_digits(f"{value:+.{places}f}")


def rate_text(rate: float) -> str:
    """A funding rate in percent with 4 decimals, 5 when needed (Hyperliquid's 0.00125 %/h)."""
    text = f"{rate * 100:+.5f}"
    return localize_digits(text[:-1] if text.endswith("0") else text)


def age_text(seconds: float) -> str:
    if seconds < 120:
        return _("{seconds}s", seconds=f"{seconds:.0f}")
    if seconds < 7200:
        return _("{minutes}m", minutes=f"{seconds / 60:.0f}")
    return _("{hours}h", hours=localize_digits(f"{seconds / 3600:.1f}"))


def _row(line: VenueLine) -> str:
    name = SHORT_VENUE.get(line.venue, line.venue[:8])
    oi_coin, oi_usd = localize_digits(compact(line.oi_coin)), localize_digits(compact(line.oi_usd))
    return f"{name:<8} {price_text(line.price):>9} {oi_coin:>6} {oi_usd:>6}"


def _funding(line: VenueLine) -> str:
    name = SHORT_VENUE.get(line.venue, line.venue[:8])
    rate = "–" if line.funding_rate is None else rate_text(line.funding_rate)
    interval = f"/{line.funding_interval_hours}h" if line.funding_interval_hours else ""
    basis = "–" if line.basis_pct is None else localize_digits(f"{line.basis_pct:+.2f}")
    return f"{name:<8} {rate + interval:>11} {basis:>6}"


def _changes(line: VenueLine) -> str:
    name = SHORT_VENUE.get(line.venue, line.venue[:8])
    cells = [
        f"{signed(line.changes[w].contracts_pct)}/{signed(line.changes[w].notional_pct)}"
        for w in WINDOWS
    ]
    return f"{name:<8} " + " ".join(f"{cell:>11}" for cell in cells)


def render(overview: AssetOverview, left_out: dict[str, str], *, html: bool = True) -> str:
    """`left_out`: venue -> why and since when, as `MarketFeed` words it."""

    def pre(lines: list[str]) -> str:
        body = "\n".join(lines)
        return f"<pre>{escape(body)}</pre>" if html else body

    def bold(text: str) -> str:
        return f"<b>{escape(text)}</b>" if html else text

    total = overview.total
    rows = [*overview.venues, total]
    header = " ".join(
        _column(_(title), width, left=number == 0) for number, (title, width) in enumerate(COLUMNS)
    )
    parts = [
        bold(
            _(
                "{asset} perpetuals · {venues} · data {age} old",
                asset=overview.asset,
                venues=ngettext("{n} venue", "{n} venues", len(overview.venues)),
                age=age_text(total.age_s),
            )
        ),
        pre([header, *(_row(r) for r in rows)]),
        _("OI change %, <b>contracts</b>/notional:").replace("<b>", "").replace("</b>", "")
        if not html
        else _("OI change %, <b>contracts</b>/notional:"),
        pre([f"{'':<8} " + " ".join(f"{w:>11}" for w in WINDOWS), *(_changes(r) for r in rows)]),
        _("Funding % per interval, basis %:"),
        pre([_funding(r) for r in rows]),
    ]
    apr = "–" if total.funding_apr is None else signed_percent(total.funding_apr * 100, 1)
    volume = "–" if total.volume_24h_usd is None else _usd(total.volume_24h_usd)
    parts.append(
        _(
            "All venues: funding {apr} a year (OI-weighted, 8h basis) · 24h volume {volume} · "
            "liquidations 1h: longs {longs}, shorts {shorts} (feeds undercount)",
            apr=apr,
            volume=volume,
            longs=_usd(total.liq_long_1h),
            shorts=_usd(total.liq_short_1h),
        )
    )
    for window in READING_WINDOWS:
        if window in overview.readings:
            row, price_pct, oi_pct = overview.readings[window]
            reading = _(row.reading) + (
                _("; watch: {caveat}", caveat=_(row.caveat)) if row.caveat else ""
            )
            parts.append(
                _(
                    "{window}: price {price}, OI {oi} (contracts) → {reading}",
                    window=window,
                    price=signed_percent(price_pct, 2),
                    oi=signed_percent(oi_pct, 2),
                    reading=escape(reading) if html else reading,
                )
            )
        else:
            parts.append(_("{window}: not enough history yet for a reading", window=window))
    if left_out:
        # Named once, with since when and why; nothing from them is in the rows or totals above.
        text = named(left_out)
        parts.append(_("Left out: {venues}", venues=escape(text) if html else text))
    return "\n".join(parts)


def named(left_out: dict[str, str]) -> str:
    """{'okx': 'since 06:31 UTC (server error 500)'} -> 'okx since 06:31 UTC (server error
    500)', venues joined by '; '."""
    return "; ".join(f"{venue} {why}" for venue, why in sorted(left_out.items()))


def signed_percent(value: float, places: int) -> str:
    """Always signed, like the table: +0.00% (a flat hour) and -0.00% (a tiny fall)."""
    sign = f"{value:+.{places}f}"[0]
    return sign + percent(Decimal(str(abs(value))) / 100, places)


def _column(title: str, width: int, *, left: bool) -> str:
    """A header padded to its column on screen: a CJK character takes two cells."""
    cells = sum(2 if east_asian_width(char) in "WF" else 1 for char in title)
    padding = " " * max(0, width - cells)
    return title + padding if left else padding + title


def _usd(value: float) -> str:
    return "$" + localize_digits(compact(value))
