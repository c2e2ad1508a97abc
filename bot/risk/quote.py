"""`quote_liquidation`: pick the formula family, tier and inputs for a request, and say which.

Defaults a trader would expect: isolated margin, one-way mode, a position of 1 coin when no
size is given (the liquidation price does not depend on size except through the tier), the
distance measured from the mark (the entry when no mark is given).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from bot.i18n import N_, _
from bot.i18n.numbers import grouped, ungrouped
from bot.market.models import Venue
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
# The venues whose own liquidation formula and tier tables this package knows.
SUPPORTED_VENUES = (Venue.BINANCE, Venue.BYBIT, Venue.OKX)


def _inverse_contract_size(req: LiqRequest) -> Decimal:
    if req.contract_size is not None:
        return req.contract_size
    if req.venue == "bybit":
        return Decimal(1)
    base = (req.symbol or "BTC").upper()
    return Decimal(100) if base.startswith("BTC") else Decimal(10)


def _validate(req: LiqRequest) -> None:
    for name, value in (
        (N_("entry price"), req.entry),
        (N_("mark"), req.mark),
        (N_("size"), req.size),
        (N_("balance"), req.cross_balance),
    ):
        if value is not None and (not value.is_finite() or value <= 0):
            raise RiskInputError(_("{name} must be a positive number", name=_(name)))
    if not req.leverage.is_finite() or not 1 <= req.leverage <= MAX_LEVERAGE:
        raise RiskInputError(_("leverage must be between 1 and {most}", most=MAX_LEVERAGE))
    if req.mmr is not None and not 0 <= req.mmr < Decimal("0.5"):
        raise RiskInputError(_("mmr must be between 0% and 50%"))
    if req.venue is not None and req.venue not in SUPPORTED_VENUES:
        raise RiskInputError(
            _(
                "{venue} liquidation math is not supported; use one of {venues} or give mmr=",
                venue=req.venue,
                venues=", ".join(SUPPORTED_VENUES),
            )
        )
    if req.margin_mode is MarginMode.CROSS and req.cross_balance is None:
        raise RiskInputError(_("cross margin needs the wallet balance"))
    if req.inverse and req.venue is None and req.size is not None:
        raise RiskInputError(
            _(
                "inverse contract sizes differ by venue (Binance 100 USD, Bybit 1 USD for BTC): "
                "name the venue, e.g. bybit btcusd inverse size=50000"
            )
        )


def _refuse_at_once(req: LiqRequest, mmr: Decimal, fee: Decimal | None = None) -> None:
    """Margin that does not cover maintenance (plus the fee to close) is below the bar the
    moment the position opens: there is no liquidation price to show."""
    if req.margin_mode is MarginMode.CROSS:
        return
    need = mmr + (fee or ZERO)
    if need * req.leverage >= ONE:
        reason = (
            N_(
                "at {leverage}x the margin is {margin}% of the position, not more than the "
                "{need}% maintenance margin plus the fee to close; below {most}x it would hold"
            )
            if fee
            else N_(
                "at {leverage}x the margin is {margin}% of the position, not more than the "
                "{need}% maintenance margin; below {most}x it would hold"
            )
        )
        raise LiquidatedAtOnce(
            _(
                reason,
                leverage=_short(req.leverage),
                margin=_short(HUNDRED / req.leverage),
                need=_short(need * HUNDRED),
                most=_short(ONE / need),
            )
        )


def _short(value: Decimal) -> str:
    """At most 2 decimals, no trailing zeros, never exponent notation: 50, 33.33, 0.5 (in the
    reader's decimal sign)."""
    return ungrouped(value.quantize(Decimal("0.01")))


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
    elif req.venue in (Venue.BINANCE, Venue.BYBIT) and req.mmr is None:
        symbol = req.symbol or ("BTCUSD" if req.inverse else "BTCUSDT")
        table = book.get(req.venue, symbol, tier_date)
        if table is None:
            have = ", ".join(book.symbols(req.venue)) or "none"
            raise RiskInputError(
                _(
                    "I have no {venue} tier table for {symbol} (I have {venue} {have}); "
                    "add your rate, e.g. mmr=0.5%",
                    venue=req.venue,
                    symbol=symbol,
                    have=have,
                )
            )
    if req.inverse:
        if req.venue == "okx":
            raise RiskInputError(_("OKX inverse contracts are not supported yet; add mmr=0.5%"))
        return _inverse(req, table, default_mmr)
    return _linear(req, table, default_mmr)


def _check_leverage(tier: TierInfo, leverage: Decimal, notional: Decimal) -> None:
    if leverage > tier.max_leverage:
        raise RiskInputError(
            _(
                "{venue} {symbol} allows at most {most}x for a {notional} position",
                venue=tier.venue,
                symbol=tier.symbol,
                most=tier.max_leverage,
                notional=grouped(notional, 0),
            )
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
    for _attempt in range(3):
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
    notes = [_("one-way mode")]
    cross = req.margin_mode is MarginMode.CROSS
    wallet = req.cross_balance if cross and req.cross_balance is not None else margin
    if cross and wallet < margin:
        raise RiskInputError(
            _(
                "balance {balance} is below the {margin} initial margin",
                balance=grouped(wallet, 2),
                margin=grouped(margin, 2),
            )
        )
    notes.append(
        _("cross margin: the whole balance backs it (margin at risk), no other positions")
        if cross
        else _("isolated margin")
    )
    if req.mmr is not None and req.venue is not None:
        notes.append(_("your mmr replaces the venue's tiers"))

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
            notes.append(_("no OKX tier table yet: mmr is yours or the default"))
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
        raise LiquidatedAtOnce(_("the balance does not cover the maintenance margin at this size"))

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
        raise RiskInputError(_("cross margin on inverse contracts is not supported yet"))
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
    notes = [_("one-way mode"), _("isolated margin")]
    if req.venue is None:
        notes.append(_("no venue named: maintenance valued at entry"))
    if req.venue == "binance":
        formula = Formula.BINANCE_COINM
        wallet_coin = notional / req.entry / req.leverage
        price = formulas.binance_coinm(contracts, size_usd, req.entry, wallet_coin, mmr, ZERO, side)
        notes.append(_("maintenance valued at the liquidation price"))
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
        raise LiquidatedAtOnce(_("its liquidation price is at or beyond the entry"))
    room = (mark - price) * req.side.sign
    if price == 0:
        notes.append(_("the price would have to reach 0: no liquidation by price"))
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
