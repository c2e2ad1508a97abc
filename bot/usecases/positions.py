"""/pos as a use case: adding, listing, editing and closing guarded positions, each priced at
the mark `pick_mark` chooses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from bot.chat_input import SizeWord
from bot.errors import LimitReached, UserError, usage_on_error
from bot.i18n import _, ngettext
from bot.positions.evaluate import Evaluation, evaluate, quote
from bot.positions.levels import crossed
from bot.positions.marks import pick_mark
from bot.positions.model import GuardedPosition, GuardState, PositionClaim
from bot.risk.tiers import TierBook
from bot.usecases.market_data import MarketService
from storage.repositories.positions import PositionCapReached, PositionRepository

ADD_USAGE = (
    "/pos add <asset> <long|short> <entry> <leverage>x size=<coins> "
    "[binance|bybit|okx|hyperliquid] [isolated|cross balance=] [levels=5,2,1] [funding=0.05%] "
    "[cost=<USD per settlement>]"
)
ADD_EXAMPLE = "/pos add BTC long 50000 50x size=0.2 binance"
EDIT_USAGE = "/pos edit <id> [levels=5,2,1] [funding=0.05%] [cost=] [entry=] [size=] [lev=]"
EDIT_EXAMPLE = "/pos edit 3 levels=10,5,2"


@dataclass(frozen=True, slots=True)
class Added:
    position: GuardedPosition
    evaluation: Evaluation
    crossed: tuple[Decimal, ...]  # levels already inside at the add: they count as sent


@dataclass
class PositionService:
    repository: PositionRepository
    market: MarketService
    tiers: Callable[[], TierBook]
    default_mmr: Decimal
    cap: int

    async def evaluate_now(
        self, claim: PositionClaim, state: GuardState, now: datetime
    ) -> Evaluation:
        """Raises UserError (the asset unknown, no live data, impossible numbers)."""
        self.market.resolve(claim.asset)  # an unknown asset is named, with suggestions
        marks, _left_out = await self.market.marks(claim.asset)
        point = pick_mark(marks, claim.venue).point()
        base = quote(claim, tiers=self.tiers(), default_mmr=self.default_mmr, mark=point.mark)
        return evaluate(claim, base, point, now, funding_paid=state.funding_paid)

    async def add(self, user_id: int, claim: PositionClaim, now: datetime) -> Added:
        """Raises what evaluate_now raises with /pos add's usage (even when the venues are down:
        the user then waits on them and should not have to look the grammar up again), and
        LimitReached at the user's cap."""
        await self._refuse_twice(user_id, claim)
        with usage_on_error(ADD_USAGE, ADD_EXAMPLE, always=True):
            ev = await self.evaluate_now(claim, GuardState(), now)
        inside = crossed(claim.levels, ev.distance_pct)
        state = GuardState(
            levels_sent=inside, funding_sent=ev.funding_breached(), liq_told=ev.liquidation_price
        )
        # A private chat's id is its user's id: alerts go there and nowhere else.
        try:
            position = await self.repository.add(user_id, user_id, claim, state, now, cap=self.cap)
        except PositionCapReached as full:
            raise LimitReached(
                ngettext(
                    "You guard {n} position, the most allowed; /pos lists it.",
                    "You guard {n} positions, the most allowed; /pos lists them.",
                    full.cap,
                )
            ) from None
        return Added(position, ev, claim.levels[:inside])

    async def edit(
        self, user_id: int, position_id: int, change: dict[str, object], now: datetime
    ) -> Added | None:
        """None: no such position of the user's. Raises what evaluate_now raises, with /pos
        edit's usage."""
        current = await self.repository.get(user_id, position_id)
        if current is None:
            return None
        size = change.get("size")
        if isinstance(size, SizeWord):  # a USD size buys coins at the entry, new or kept
            entry = change.get("entry", current.claim.entry)
            assert isinstance(entry, Decimal)
            change = {**change, "size": size.coins(entry)}
        claim = replace(current.claim, **change)  # type: ignore[arg-type]
        return await self._rewrite(current, claim, now, EDIT_USAGE, EDIT_EXAMPLE)

    async def replace_claim(
        self, user_id: int, position_id: int, claim: PositionClaim, now: datetime
    ) -> Added | None:
        """An edited /pos add: the position its message added becomes `claim`, keeping its id.
        None: it is closed. Raises what `add` raises, but for the cap."""
        current = await self.repository.get(user_id, position_id)
        if current is None:
            return None
        await self._refuse_twice(user_id, claim, position_id)
        return await self._rewrite(current, claim, now, ADD_USAGE, ADD_EXAMPLE)

    async def _refuse_twice(
        self, user_id: int, claim: PositionClaim, replacing: int | None = None
    ) -> None:
        """The 🛡 button pressed twice (or the line sent again) would ring every alert twice."""
        for guarded in await self.repository.for_user(user_id):
            if guarded.claim == claim and guarded.id != replacing:
                raise UserError(
                    _("You already guard this position as #{id}; /pos lists yours.", id=guarded.id)
                )

    async def _rewrite(
        self,
        current: GuardedPosition,
        claim: PositionClaim,
        now: datetime,
        usage: str,
        example: str,
    ) -> Added | None:
        """A changed claim starts a new episode: levels already inside count as sent."""
        user_id, position_id = current.user_id, current.id
        with usage_on_error(usage, example, always=True):
            ev = await self.evaluate_now(claim, current.state, now)
        inside = crossed(claim.levels, ev.distance_pct)
        state = replace(
            current.state,
            levels_sent=inside,
            funding_sent=ev.funding_breached(),
            liq_told=ev.liquidation_price,
        )
        if not await self.repository.edit(user_id, position_id, claim, state, now):
            return None
        updated = replace(current, claim=claim, state=state)
        return Added(updated, ev, claim.levels[:inside])

    async def list(
        self, user_id: int, now: datetime
    ) -> list[tuple[GuardedPosition, Evaluation | str]]:
        """Each position with its live evaluation, or why there is none."""
        out: list[tuple[GuardedPosition, Evaluation | str]] = []
        for position in await self.repository.for_user(user_id):
            try:
                out.append((position, await self.evaluate_now(position.claim, position.state, now)))
            except UserError as error:
                out.append((position, str(error)))
        return out
