"""The one freshness rule replies and alerts share: which venue's stored row may be used, and
why not when it may not (the venue failing since when, the asset missing from its answers, the
row too old)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.i18n import _
from bot.i18n.dates import since_time
from bot.market.overview_text import age_text
from bot.market.reasons import NO_ANSWER, Reason
from storage.models import MarketSnapshot

FRESH = timedelta(minutes=5)
NAMED_FOR = timedelta(hours=6)  # a venue silent longer than this is no longer named per asset


@dataclass
class VenueHealth:
    """What this replica's polls saw of one venue."""

    last_good: datetime | None = None
    failing_since: datetime | None = None  # the first failed poll of the current run
    last_error: Reason | None = None  # what a trader reads, after the venue's name
    assets: frozenset[str] = frozenset()  # what its last good answer held

    def failed(self, reason: Reason | None, now: datetime) -> None:
        self.last_error = reason or NO_ANSWER
        if self.failing_since is None:
            self.failing_since = now

    def answered(self, now: datetime, assets: frozenset[str]) -> None:
        self.last_good, self.last_error, self.failing_since = now, None, None
        self.assets = assets

    @property
    def silent_since(self) -> datetime | None:
        """When it last answered; if it never has, since its first failed poll (a venue that
        blocks this host's country from the start has been silent that long)."""
        return self.last_good or self.failing_since

    def problem(self, now: datetime) -> str:
        """'since 06:31 UTC (server error 500)', in the reader's language."""
        if self.failing_since is None:
            return f"({self.last_error})"
        since = since_time(self.failing_since, now)
        return _("since {time} ({reason})", time=since, reason=self.last_error)


class Current(NamedTuple):
    rows: list[MarketSnapshot]  # the newest row of each venue instrument that may be used
    left_out: dict[str, str]  # venue -> why not, and since when: "since 06:31 UTC (timeout)"


def why_left_out(
    health: VenueHealth | None, ts: datetime, now: datetime, asset: str | None = None
) -> str | None:
    """Why a venue's row stamped `ts` may not be used, or None when it may. `health` is what
    this replica's polls saw of the venue (None when it does not poll); `asset`, when given,
    must be in the venue's last good answer."""
    if health is not None and health.failing_since is not None:
        return health.problem(now)
    if health is not None and asset is not None and asset not in health.assets:
        since = since_time(ts, now)
        return _("(no {asset} in its answers since {time})", asset=asset, time=since)
    if now - ts > FRESH:
        return _("(last data {age} old)", age=age_text((now - ts).total_seconds()))
    return None
