"""How a signed change reads in a warning's sentence: '+1.2', '-0.04', '0.0'. One rule for the
engine's English and every translation (bot/alerts/warning_text.py), so both say the same."""

from __future__ import annotations


def signed_change(value: float, places: int = 1, *, group: bool = False) -> str:
    """`value` with its sign at `places` decimals, Python's rounding (the engine's own).

    A trader reads 'OI -0.0%' as a fall and '+0.0%' as a rise, so a real move that rounds to
    zero gets one more decimal ('-0.04'), and what is zero even then reads unsigned ('0.0'):
    flat. One more decimal, not as many as it takes: a move below that is noise on a phone."""
    comma = "," if group else ""
    for shown in (places, places + 1):
        text = f"{value:+{comma}.{shown}f}"
        if float(text.replace(",", "")) != 0:
            return text
    return f"{0:.{places}f}"
