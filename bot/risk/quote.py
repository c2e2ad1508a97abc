"""`quote_liquidation`: pick the formula family, tier and inputs for a request, and say which.

Defaults a trader would expect: isolated margin, one-way mode, a position of 1 coin when no
size is given (the liquidation price does not depend on size except through the tier), the
distance measured from the mark (the entry when no mark is given).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from bot.risk import formulas
from bot.risk.models import (
    Formula,
    LiqQuote,
    LiqRequest,
    LiquidatedAtOnce,
    MarginMode,
    RiskInputError,
    TierInfo,
)
from bot.risk.tiers import TierBook, TierTable, load_default_tiers

MAX_LEVERAGE = Decimal(200)
OKX_TAKER = Decimal("0.0005")  # OKX standard (VIP 0) taker fee for swaps
HUNDRED = Decimal(100)
ZERO = Decimal(0)
ONE = Decimal(1)
SUPPORTED_VENUES = ("binance", "bybit", "okx")


def _inverse_contract_size(req: LiqRequest) -> Decimal:
    if req.contract_size is not None:
        return req.contract_size
    if req.venue == "bybit":
        return Decimal(1)
    base = (req.symbol or "BTC").upper()
    return Decimal(100) if base.startswith("BTC") else Decimal(10)


def _validate(req: LiqRequest) -> None:
    for name, value in (
        ("entry price", req.entry),
        ("mark", req.mark),
        ("size", req.size),
        ("balance", req.cross_balance),
    ):
        if value is not None and (not value.is_finite() or value <= 0):
            raise RiskInputError(f"{name} must be a positive number")
    if not req.leverage.is_finite() or not 1 <= req.leverage <= MAX_LEVERAGE:
        raise RiskInputError(f"leverage must be between 1 and {MAX_LEVERAGE}")
    if req.mmr is not None and not 0 <= req.mmr < Decimal("0.5"):
        raise RiskInputError("mmr must be between 0% and 50%")
    if req.venue is not None and req.venue not in SUPPORTED_VENUES:
        raise RiskInputError(
            f"{req.venue} liquidation math is not supported; use one of "
            f"{', '.join(SUPPORTED_VENUES)} or give mmr="
        )
    if req.margin_mode is MarginMode.CROSS and req.cross_balance is None:
        raise RiskInputError("cross margin needs the wallet balance")
    if req.inverse and req.venue is None and req.size is not None:
        raise RiskInputError(
            "inverse contract sizes differ by venue (Binance 100 USD, Bybit 1 USD for BTC): "
            "name the venue, e.g. bybit btcusd inverse size=50000"
        )


def _refuse_at_once(req: LiqRequest, mmr: Decimal, fee: Decimal | None = None) -> None:
    """Margin that does not cover maintenance (plus the fee to close) is below the bar the
    moment the position opens: there is no liquidation price to show."""
    if req.margin_mode is MarginMode.CROSS:
        return
    need = mmr + (fee or ZERO)
    if need * req.leverage >= ONE:
        what = "maintenance margin" + (" plus the fee to close" if fee else "")
        raise LiquidatedAtOnce(
            f"at {_short(req.leverage)}x the margin is {_short(HUNDRED / req.leverage)}% of "
            f"the position, not more than the {_short(need * HUNDRED)}% {what}; below "
            f"{_short(ONE / need)}x it would hold"
        )


def _short(value: Decimal) -> str:
    """At most 2 decimals, no trailing zeros, never exponent notation: 50, 33.33, 0.5."""
    return format(value.quantize(Decimal("0.01")).normalize(), "f")


def quote_liquidation(
    req: LiqRequest,
    *,
    tiers: TierBook | None = None,
    default_mmr: Decimal = Decimal("0.005"),
    tier_date: str | None = None,
) -> LiqQuote:
    _validate(req)
    book = tiers or load_default_tiers()
    table = None
    if req.venue == "okx" and req.mmr is None:
        table = book.get("okx", req.symbol or "BTCUSDT", tier_date)  # live only; may be None
    elif req.venue in ("binance", "bybit") and req.mmr is None:
        symbol = req.symbol or ("BTCUSD" if req.inverse else "BTCUSDT")
        table = book.get(req.venue, symbol, tier_date)
        if table is None:
            have = ", ".join(book.symbols(req.venue)) or "none"
            raise RiskInputError(
                f"I have no {req.venue} tier table for {symbol} (I have {req.venue} {have}); "
                "add your rate, e.g. mmr=0.5%"
            )
    if req.inverse:
        if req.venue == "okx":
            raise RiskInputError("OKX inverse contracts are not supported yet; add mmr=0.5%")
        return _inverse(req, table, default_mmr)
    return _linear(req, table, default_mmr)


def _check_leverage(tier: TierInfo, leverage: Decimal, notional: Decimal) -> None:
    if leverage > tier.max_leverage:
        raise RiskInputError(
            f"{tier.venue} {tier.symbol} allows at most {tier.max_leverage}x "
            f"for a {notional:,.0f} position"
        )


def _with_tier(
    table: TierTable,
    start_notional: Decimal,
    qty: Decimal,
    solve: Callable[[Decimal, Decimal], Decimal],
) -> tuple[Decimal, TierInfo]:
    """Binance rule: the tier is the one containing the notional at the liquidation price.
    Start from the tier of the current notional and re-solve until the tier stops changing;
    maintenance margin is continuous, so a tier flip near a boundary moves the answer by cents
    (vector B12). Three rounds always settle; a cycle keeps the last answer."""
    tier = table.for_notional(start_notional)
    price = solve(tier.mmr, tier.maintenance_amount)
    for _ in range(3):
        at_liq = table.for_notional(max(qty * price, ZERO))
        if at_liq == tier:
            break
        tier = at_liq
        price = solve(tier.mmr, tier.maintenance_amount)
    return price, tier


def _linear(req: LiqRequest, table: TierTable | None, default_mmr: Decimal) -> LiqQuote:
    side = req.side.sign
    qty = req.size or Decimal(1)
    mark = req.mark or req.entry
    notional = qty * req.entry
    margin = notional / req.leverage
    mmr = req.mmr if req.mmr is not None else default_mmr
    cum = ZERO
    tier: TierInfo | None = None
    fee: Decimal | None = None
    notes = ["one-way mode"]
    cross = req.margin_mode is MarginMode.CROSS
    wallet = req.cross_balance if cross and req.cross_balance is not None else margin
    if cross and wallet < margin:
        raise RiskInputError(f"balance {wallet:,.2f} is below the {margin:,.2f} initial margin")
    notes.append(
        "cross margin: the whole balance backs it (margin at risk), no other positions"
        if cross
        else "isolated margin"
    )
    if req.mmr is not None and req.venue is not None:
        notes.append("your mmr replaces the venue's tiers")

    if req.venue == "binance":
        formula = Formula.BINANCE_USDM

        def solve(rate: Decimal, amount: Decimal) -> Decimal:
            return formulas.binance_usdm(wallet, qty, req.entry, rate, amount, side)

        if table is not None:
            price, tier = _with_tier(table, qty * mark, qty, solve)
            mmr, cum = tier.mmr, tier.maintenance_amount
        else:
            price = solve(mmr, cum)
    elif req.venue == "bybit" and not cross:
        formula = Formula.BYBIT_LINEAR
        if table is not None:
            tier = table.for_notional(notional)
            mmr, cum = tier.mmr, tier.maintenance_amount
        price = formulas.bybit_linear(qty, req.entry, req.leverage, mmr, cum, side)
    elif req.venue == "okx" and not cross:
        formula = Formula.OKX
        fee = req.fee_rate if req.fee_rate is not None else OKX_TAKER
        if table is not None:
            tier = table.for_notional(qty)  # OKX tiers by position size (coin)
            mmr = tier.mmr
        else:
            notes.append("no OKX tier table yet: mmr is yours or the default")
        price = formulas.okx(req.entry, margin, qty, mmr, fee, side)
    elif cross:
        formula = Formula.GENERIC_CROSS
        price = formulas.binance_usdm(wallet, qty, req.entry, mmr, cum, side)
    else:
        formula = Formula.TEXTBOOK
        price = formulas.textbook(req.entry, req.leverage, mmr, side)
    if tier is not None:
        _check_leverage(tier, req.leverage, notional)
    _refuse_at_once(req, mmr, fee)
    if cross and (price - req.entry) * side >= 0:
        raise LiquidatedAtOnce("the balance does not cover the maintenance margin at this size")

    price = max(price, ZERO)
    loss = qty * abs(req.entry - price) if (price - req.entry) * side < 0 else ZERO
    return _quote(
        req,
        formula,
        price,
        mark,
        notional,
        margin,
        loss,
        wallet if cross else margin,
        mmr,
        cum,
        tier,
        fee,
        qty,
        notes,
    )


def _inverse(req: LiqRequest, table: TierTable | None, default_mmr: Decimal) -> LiqQuote:
    if req.margin_mode is MarginMode.CROSS:
        raise RiskInputError("cross margin on inverse contracts is not supported yet")
    side = req.side.sign
    mark = req.mark or req.entry
    size_usd = _inverse_contract_size(req)
    contracts = req.size if req.size is not None else req.entry / size_usd
    notional = contracts * size_usd
    margin_usd = notional / req.leverage
    mmr = req.mmr if req.mmr is not None else default_mmr
    deduction = ZERO
    tier: TierInfo | None = None
    if table is not None:
        # Bybit inverse tiers go by position value in coin at entry.
        tier = table.for_notional(notional / req.entry)
        _check_leverage(tier, req.leverage, notional)
        mmr, deduction = tier.mmr, tier.maintenance_amount
    _refuse_at_once(req, mmr)
    notes = ["one-way mode", "isolated margin"]
    if req.venue is None:
        notes.append("no venue named: maintenance valued at entry")
    if req.venue == "binance":
        formula = Formula.BINANCE_COINM
        wallet_coin = notional / req.entry / req.leverage
        price = formulas.binance_coinm(contracts, size_usd, req.entry, wallet_coin, mmr, ZERO, side)
        notes.append("maintenance valued at the liquidation price")
    elif req.venue == "bybit":
        formula = Formula.BYBIT_INVERSE
        price = formulas.bybit_inverse(notional, req.entry, req.leverage, mmr, deduction, side)
    else:
        formula = Formula.INVERSE
        price = formulas.bybit_inverse(notional, req.entry, req.leverage, mmr, ZERO, side)
    price = max(price, ZERO)
    if price == 0 or (price - req.entry) * side >= 0:
        loss = ZERO
    else:
        # Coin lost on the way to the liquidation price, valued there.
        loss_coin = notional * abs(ONE / req.entry - ONE / price)
        loss = loss_coin * price
    return _quote(
        req,
        formula,
        price,
        mark,
        notional,
        margin_usd,
        loss,
        margin_usd,
        mmr,
        deduction,
        tier,
        None,
        contracts,
        notes,
    )


def _quote(
    req: LiqRequest,
    formula: Formula,
    price: Decimal,
    mark: Decimal,
    notional: Decimal,
    margin: Decimal,
    loss: Decimal,
    at_risk: Decimal,
    mmr: Decimal,
    cum: Decimal,
    tier: TierInfo | None,
    fee: Decimal | None,
    size: Decimal,
    notes: list[str],
) -> LiqQuote:
    if price > 0 and (price - req.entry) * req.side.sign >= 0:
        raise LiquidatedAtOnce("its liquidation price is at or beyond the entry")
    room = (mark - price) * req.side.sign
    if price == 0:
        notes.append("the price would have to reach 0: no liquidation by price")
    return LiqQuote(
        request=req,
        formula=formula,
        liquidation_price=price,
        distance_pct=room / mark * HUNDRED,
        distance_price=room,
        notional=notional,
        margin=margin,
        loss_at_liquidation=loss,
        margin_at_risk=at_risk,
        mmr=mmr,
        maintenance_amount=cum,
        tier=tier,
        fee_rate=fee,
        size=size,
        assumptions=tuple(notes),
    )
