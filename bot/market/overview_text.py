"""AssetOverview -> a compact table for a phone (monospace, about 36 columns), or plain text
for the terminal. Shared by /oi and `oiwatch snapshot`, so both say the same thing."""

from __future__ import annotations

from html import escape

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
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:.4g}"
    return f"{value:.4g}"


def signed(value: float | None, places: int = 1) -> str:
    return "–" if value is None else f"{value:+.{places}f}"


def rate_text(rate: float) -> str:
    """A funding rate in percent with 4 decimals, 5 when needed (Hyperliquid's 0.00125 %/h)."""
    text = f"{rate * 100:+.5f}"
    return text[:-1] if text.endswith("0") else text


def age_text(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def _row(line: VenueLine) -> str:
    name = SHORT_VENUE.get(line.venue, line.venue[:8])
    oi_coin, oi_usd = compact(line.oi_coin), compact(line.oi_usd)
    return f"{name:<8} {price_text(line.price):>9} {oi_coin:>6} {oi_usd:>6}"


def _funding(line: VenueLine) -> str:
    name = SHORT_VENUE.get(line.venue, line.venue[:8])
    rate = "–" if line.funding_rate is None else rate_text(line.funding_rate)
    interval = f"/{line.funding_interval_hours}h" if line.funding_interval_hours else ""
    basis = "–" if line.basis_pct is None else f"{line.basis_pct:+.2f}"
    return f"{name:<8} {rate + interval:>11} {basis:>6}"


def _changes(line: VenueLine) -> str:
    name = SHORT_VENUE.get(line.venue, line.venue[:8])
    cells = [
        f"{signed(line.changes[w].contracts_pct)}/{signed(line.changes[w].notional_pct)}"
        for w in WINDOWS
    ]
    return f"{name:<8} " + " ".join(f"{cell:>11}" for cell in cells)


def render(overview: AssetOverview, left_out: dict[str, str], *, html: bool = True) -> str:
    """`left_out`: venue -> why and since when, as `MarketService` words it."""

    def pre(lines: list[str]) -> str:
        body = "\n".join(lines)
        return f"<pre>{escape(body)}</pre>" if html else body

    def bold(text: str) -> str:
        return f"<b>{escape(text)}</b>" if html else text

    total = overview.total
    rows = [*overview.venues, total]
    parts = [
        bold(
            f"{overview.asset} perpetuals · {len(overview.venues)} venues · "
            f"data {age_text(total.age_s)} old"
        ),
        pre([f"{'venue':<8} {'price':>9} {'OI':>6} {'OI $':>6}", *(_row(r) for r in rows)]),
        "OI change %, contracts/notional:"
        if not html
        else "OI change %, <b>contracts</b>/notional:",
        pre([f"{'':<8} " + " ".join(f"{w:>11}" for w in WINDOWS), *(_changes(r) for r in rows)]),
        "Funding % per interval, basis %:",
        pre([_funding(r) for r in rows]),
    ]
    apr = "–" if total.funding_apr is None else f"{total.funding_apr * 100:+.1f}%"
    volume = "–" if total.volume_24h_usd is None else f"${compact(total.volume_24h_usd)}"
    parts.append(
        f"All venues: funding {apr} a year (OI-weighted, 8h basis) · 24h volume {volume} · "
        f"liquidations 1h: longs ${compact(total.liq_long_1h)}, "
        f"shorts ${compact(total.liq_short_1h)} (feeds undercount)"
    )
    for window in READING_WINDOWS:
        if window in overview.readings:
            row, price_pct, oi_pct = overview.readings[window]
            parts.append(
                f"{window}: price {price_pct:+.2f}%, OI {oi_pct:+.2f}% (contracts) → "
                f"{escape(row.reading) if html else row.reading}"
                + (f"; watch: {row.caveat}" if row.caveat else "")
            )
        else:
            parts.append(f"{window}: not enough history yet for a reading")
    if left_out:
        # Named once, with since when and why; nothing from them is in the rows or totals above.
        text = named(left_out)
        parts.append("Left out: " + (escape(text) if html else text))
    return "\n".join(parts)


def named(left_out: dict[str, str]) -> str:
    """{'okx': 'since 06:31 UTC (server error 500)'} -> 'okx since 06:31 UTC (server error
    500)', venues joined by '; '."""
    return "; ".join(f"{venue} {why}" for venue, why in sorted(left_out.items()))
