"""What the venue fuzz tests share: their settings (fixed seed, bounded examples, so a run is
the same every time and takes seconds), how they draw changes to a venue's answers, and what
no snapshot may carry whatever the venue sent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from bot.market.models import Snapshot
from tests.fakes.mutate import FIELD_OPS, ROW_OPS, Mutation, fields, rows

FUZZ = settings(
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PRICES = ("mark", "index", "last")
OPEN_INTEREST = ("oi_contracts", "oi_coin", "oi_usd")
VOLUMES = ("volume_24h_coin", "volume_24h_usd")
NUMBERS = (*PRICES, *OPEN_INTEREST, *VOLUMES, "funding_rate", "funding_interval_hours")
FLOAT_MAX = 1e300  # well inside a float column: a product of two stays finite


def changes(doc: Any) -> st.SearchStrategy[Mutation]:
    """One change somewhere in `doc`: a field broken, or a row dropped, doubled or replaced."""
    options = [
        st.builds(Mutation, st.sampled_from(paths), st.sampled_from(ops))
        for paths, ops in ((fields(doc), FIELD_OPS), (rows(doc), ROW_OPS))
        if paths
    ]
    return st.one_of(*options)


def reads_zero(value: Any) -> bool:
    return value is not None and float(value) == 0


def broken(snap: Snapshot) -> list[str]:
    """The fields of a snapshot no market can have, as stored (floats) and as computed."""
    bad = []
    for name in NUMBERS:
        value = getattr(snap, name)
        if value is None:
            if name == "mark" or name in OPEN_INTEREST:
                bad.append(name)
            continue
        number = float(value)
        if not (isinstance(value, Decimal | int) and number == number and abs(number) < FLOAT_MAX):
            bad.append(name)
        elif name in PRICES or name in OPEN_INTEREST or name == "funding_interval_hours":
            if number <= 0:
                bad.append(name)
        elif name in VOLUMES and number < 0:
            bad.append(name)
    return bad
