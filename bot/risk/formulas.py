"""One pure function per liquidation formula family (docs/reference/risk-math.md §2).

Every function takes explicit inputs and returns the liquidation price; choosing inputs (tiers,
defaults, sizes) is quote.py's job. `side` is +1 for a long and -1 for a short.
"""

from __future__ import annotations

from decimal import Decimal

ONE = Decimal(1)


def textbook(entry: Decimal, leverage: Decimal, mmr: Decimal, side: int) -> Decimal:
    """Isolated linear, no tiers, no fees: EP x (1 - side/L + side x mmr).

    The same as Bybit's USDT formula with zero deduction. (Some calculators divide mmr by L:
    that is wrong.)"""
    return entry * (ONE - side * (ONE / leverage) + side * mmr)


def binance_usdm(
    wallet: Decimal,
    qty: Decimal,
    entry: Decimal,
    mmr: Decimal,
    cum: Decimal,
    side: int,
    *,
    other_maintenance: Decimal = Decimal(0),
    other_upnl: Decimal = Decimal(0),
) -> Decimal:
    """Binance USDⓈ-M one-way (freqtrade's transcription of the FAQ formula, vectors B1-B12).

    Isolated: wallet = the position's isolated margin, no other positions. Cross: wallet = cross
    wallet balance, other_* from the account's other positions."""
    numerator = wallet - other_maintenance + other_upnl + cum - side * qty * entry
    return numerator / (qty * mmr - side * qty)


def binance_coinm(
    contracts: Decimal,
    contract_size: Decimal,
    entry: Decimal,
    wallet_coin: Decimal,
    mmr: Decimal,
    cum_coin: Decimal,
    side: int,
) -> Decimal:
    """Binance COIN-M (inverse): margin balance equals maintenance valued at the liquidation
    price (§2.3). Wallet and cum are in coin."""
    usd = contracts * contract_size
    return (usd * mmr + side * usd) / (wallet_coin + cum_coin + side * usd / entry)


def bybit_linear(
    qty: Decimal,
    entry: Decimal,
    leverage: Decimal,
    mmr: Decimal,
    deduction: Decimal,
    side: int,
    *,
    extra_margin: Decimal = Decimal(0),
) -> Decimal:
    """Bybit USDT isolated: EP - side x ((IM - MM) + extra) / Q. The fee to close sits in both
    IM and MM on the newer page, so it cancels."""
    initial = qty * entry / leverage
    maintenance = qty * entry * mmr - deduction
    return entry - side * ((initial - maintenance) + extra_margin) / qty


def bybit_inverse(
    contracts_usd: Decimal,
    entry: Decimal,
    leverage: Decimal,
    mmr: Decimal,
    deduction_coin: Decimal,
    side: int,
) -> Decimal:
    """Bybit inverse isolated, 2024 UTA form: Contracts / (PV + side x (IM - MM)).

    With no deduction this is EP / (1 + side x (1/L - mmr)): the formula that reproduces the
    seed article's 49,261 (vector S1)."""
    value = contracts_usd / entry
    initial = value / leverage
    maintenance = value * mmr - deduction_coin
    return contracts_usd / (value + side * (initial - maintenance))


def okx(
    entry: Decimal, margin: Decimal, qty: Decimal, mmr: Decimal, fee: Decimal, side: int
) -> Decimal:
    """OKX isolated (margin ratio = 100 %), with the taker fee to close (freqtrade's form)."""
    return (entry - side * margin / qty) / (ONE - side * (mmr + fee))


def cum_next(floor: Decimal, mmr: Decimal, prev_mmr: Decimal, prev_cum: Decimal) -> Decimal:
    """Maintenance amount of the next tier: keeps maintenance margin continuous in notional
    (Binance cum, Bybit MM deduction; vectors B13, Y9)."""
    return floor * (mmr - prev_mmr) + prev_cum
