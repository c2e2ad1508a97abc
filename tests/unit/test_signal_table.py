from __future__ import annotations

import pytest

from bot.signals.table import read


@pytest.mark.parametrize(
    ("price", "volume", "oi", "reading"),
    [
        (1.0, 20.0, 2.0, "new positions opened into the rise"),
        (1.0, 20.0, -2.0, "rise driven by closes (short covering)"),
        (1.0, -20.0, 2.0, "positions added on thin turnover"),
        (-1.0, 20.0, 2.0, "new positions opened into the fall (shorts building)"),
        (-1.0, 20.0, -2.0, "closes and liquidations dominate the fall"),
        (-1.0, -20.0, -2.0, "turnover and positions both shrinking"),
        (1.0, None, 2.0, "new longs entering"),
        (-1.0, None, 2.0, "new shorts entering"),
        (1.0, None, -2.0, "short covering (weak rally)"),
        (-1.0, None, -2.0, "long exhaustion / capitulation"),
        (0.05, None, 1.0, "positions building in a range (accumulation)"),
        (1.0, 0.0, 0.1, "positions unchanged"),
        # Rows the table has no line for fall back to the short form.
        (-1.0, -20.0, 2.0, "new shorts entering"),
    ],
)
def test_every_row_of_the_table(price, volume, oi, reading) -> None:
    assert read(price, volume, oi).reading == reading
