"""Why a venue is left out, kept as a catalog message and its values rather than as words: the
poll that finds the fault runs in no reader's language, and the same reason is shown to a
Russian reply, a Spanish alert and the operator's English log. It is worded when shown."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.i18n import N_, _
from bot.i18n.numbers import ungrouped


@dataclass(frozen=True, slots=True)
class Reason:
    """`message` is an `N_()` text with `{named}` placeholders; a value that is itself a
    Reason is worded in the same language, a Decimal with the reader's decimal sign. Words the
    venue sent (its own error message) go in as a plain str value, as sent."""

    message: str
    values: tuple[tuple[str, object], ...] = ()

    def __str__(self) -> str:
        return _(self.message, **{key: _shown(value) for key, value in self.values})


def reason(message: str, /, **values: object) -> Reason:
    return Reason(message, tuple(values.items()))


NO_ANSWER = reason(N_("no usable answer"))
ANSWER_WITHOUT = N_("answer without {field}")
# A field of the envelope there but not as the venue documents it (null, another type), as sent.
ANSWER_WITH = N_("answer not as documented: {field} is {value}")
HTTP_STATUS = N_("HTTP {status}")
IP_LIMIT = N_("IP rate limit (403)")
RATE_LIMITED = N_("rate limited ({code})")
TOO_MANY = N_("too many requests ({message})")
UNKNOWN_SYMBOL = N_("unknown symbol ({message})")
VENUE_ERROR = N_("error {code}")
VENUE_SAID = N_("error {code}: {message}")  # the venue's own words, as it sent them


def _shown(value: object) -> object:
    if isinstance(value, Decimal):
        return ungrouped(value)
    return str(value) if isinstance(value, Reason) else value


def duration(value: float, places: int = 0) -> Decimal:
    """A duration for a reason: `places` decimals, no trailing zeros (30, 2.5, 12.3)."""
    return Decimal(str(round(value, places)))
