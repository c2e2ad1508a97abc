"""A number with the noun it counts, in the plural form the reader's language wants:
'1 coin', '5 coins'; ru '1 монета', '2 монеты', '5 монет'; zh and tr one form for all.

gettext picks a form from an integer (each catalog's Plural-Forms), but an amount can be a
fraction, and a fraction has its own grammar: Russian puts the noun in the genitive singular
whatever the digits ('0,5 монеты', '21,5 монеты'), English and Spanish use the plural
('0.5 coins', '1,5 monedas'), Portuguese the singular below 2 ('1,5 moeda', '2,5 moedas').
So a fraction is a separate entry, the same words under the context 'fraction', chosen by its
integer part: each language writes there the forms its grammar wants (Russian the genitive
singular in every form, Portuguese the singular for 0 and 1). Its English source is the plural
in both forms: English has no catalog, and the singular would read '1.5 coin'.
The context is a literal at each call: the extractor only reads literal arguments.

`value` is the amount as shown (already rounded), `shown` its text."""

from __future__ import annotations

from decimal import Decimal

from bot.i18n.catalogs import ngettext, npgettext


def _integer_part(value: Decimal) -> tuple[int, bool]:
    """(the integer the form is chosen by, whether `value` is a fraction); a change of -5
    reads like 5."""
    magnitude = abs(value)
    whole = int(magnitude)
    return whole, magnitude != whole


def coins_of(value: Decimal, shown: str) -> str:
    n, fraction = _integer_part(value)
    if fraction:
        return npgettext("fraction", "{amount} coins", "{amount} coins", n, amount=shown)
    return ngettext("{amount} coin", "{amount} coins", n, amount=shown)


def contracts_of(value: Decimal, shown: str) -> str:
    n, fraction = _integer_part(value)
    if fraction:
        return npgettext("fraction", "{amount} contracts", "{amount} contracts", n, amount=shown)
    return ngettext("{amount} contract", "{amount} contracts", n, amount=shown)
