"""Chat arguments -> domain requests. Every failure is a UserError with a line and an example.

One place for what a user may type: digits are ASCII only (`²` and `٣` are not numbers here),
every number has a documented bound (LIMITS), and ids fit the database's 64-bit column."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation

from bot.errors import UserError
from bot.i18n import N_, _
from bot.i18n.numbers import grouped
from bot.market.values import typed_unscale
from bot.risk.models import FundingRequest, LiqRequest, MarginMode
from bot.risk.quote import SUPPORTED_VENUES
from bot.risk.side import Side

MAX_MESSAGE_CHARS = 300
KNOWN_VENUES = SUPPORTED_VENUES  # a venue word in /liq and /funding
QUOTES = ("USDT", "USDC", "USD")
_MULTIPLIERS = {"k": Decimal(1_000), "m": Decimal(1_000_000), "b": Decimal(1_000_000_000)}
_NUMBER = re.compile(r"^([+-]?[0-9]+(?:\.[0-9]+)?|[+-]?\.[0-9]+)([kmb])?$", re.IGNORECASE)
_COMMA_GROUPS = re.compile(r"^[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?[kmb]?$", re.IGNORECASE)
_GROUP_HEAD = re.compile(r"^[+-]?[0-9]{1,3}$")
_BARE_GROUP = re.compile(r"^[0-9]{3}$")
_GROUP = re.compile(r"^[0-9]{3}(?:[.,][0-9]+)?%?$")
_DURATION = re.compile(
    r"^([0-9]+(?:\.[0-9]+)?)(m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)$",
    re.IGNORECASE,
)
_ASSET_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$")
_ID = re.compile(r"^#?([0-9]{1,19})$")
_CHANNEL_LINK = re.compile(r"^(?:https?://)?(?:t\.me|telegram\.me)/", re.IGNORECASE)
# Telegram's public names: 5-32 letters, digits and underscores, starting with a letter.
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")
MAX_ID = 2**63 - 1  # the rules table's BIGINT
MAX_WORD = 40  # longer words are never numbers we accept; stops huge Decimals early
# Bounds on every number a user can type (README and `/help <command>` state them).
MAX_PRICE = Decimal(10_000_000)
MAX_SIZE = Decimal(1_000_000_000)
MAX_MONEY = Decimal(1_000_000_000_000)
MAX_LEVERAGE = Decimal(200)
_DURATION_HOURS = {
    "m": Decimal(1) / 60,
    "min": Decimal(1) / 60,
    "h": Decimal(1),
    "d": Decimal(24),
    "w": Decimal(168),
}

LIQ_USAGE = (
    "/liq <entry> <leverage>x <long|short> [asset] [venue symbol size=] [mmr=] [cross balance=]"
)
LIQ_EXAMPLE = "/liq 50000 50x long"
FUNDING_USAGE = (
    "/funding <notional> <rate per interval %> <hold: 30m, 8h, 3d, 2w (m = minutes)> "
    "[interval] [long|short] [lev= entry=]"
)
FUNDING_EXAMPLE = "/funding 10000 0.01% 3d"
LIVE_FUNDING_USAGE = "/funding <asset> <notional> [long|short] <hold: 30m, 8h, 3d, 2w>"
LIVE_FUNDING_EXAMPLE = "/funding BTC 10000 long 3d"
FUNDING_LIQ = "/funding 10000 0.03% 2d lev=20 entry=50000"
CHANNEL_USAGE = "/channel @yourchannel [off]"
CHANNEL_EXAMPLE = "/channel @mydesk"
UNLINK_EXAMPLE = "/channel @mydesk off"
MAX_CHANNEL_NAME = 33  # @ and Telegram's 32-character usernames


def asset_word(word: str) -> bool:
    """Could name an asset (BTC, 1000PEPE, BTC-USDT): worth looking up, safe to echo."""
    return _ASSET_WORD.match(word) is not None


def _usage(problem: str, usage: str, example: str) -> UserError:
    return UserError(problem, usage, example)


def parse_id(word: str) -> int | None:
    """'12' or '#12' -> 12; None for anything else, '²' and ids past 64 bits included."""
    match = _ID.match(word)
    if not match:
        return None
    value = int(match.group(1))
    return value if 0 < value <= MAX_ID else None


def parse_number(word: str) -> Decimal | None:
    """'50000', '50,000', '49.250,5', '49250,5', '50k', '1.5m' -> Decimal; anything else (NaN,
    'abc', '1e999') -> None. Of ',' and '.', the last one is the decimal sign when both occur;
    a lone comma is a decimal sign unless it groups thousands (50,000)."""
    if len(word) > MAX_WORD:
        return None
    match = _NUMBER.match(decimal_point(word.replace("_", "")))
    if not match:
        return None
    try:
        value = Decimal(match.group(1))
    except InvalidOperation:
        return None
    suffix = match.group(2)
    return value * _MULTIPLIERS[suffix.lower()] if suffix else value


def decimal_point(word: str) -> str:
    """The number with a dot as its decimal sign and no grouping: 49.250,5 -> 49250.5; the
    minus sign (U+2212, as pages and some keyboards write it) is a minus, and a dollar sign
    before or after the digits ($50k, 50000$) is dropped: every amount here is in dollars."""
    word = word.replace("\u2212", "-")
    sign = word[:1] if word[:1] in ("+", "-") else ""
    word = sign + word[len(sign) :].removeprefix("$").removesuffix("$")
    if "," in word and "." in word:
        grouping = "," if word.rfind(",") < word.rfind(".") else "."
        return word.replace(grouping, "").replace(",", ".")
    if word.count(".") > 1:
        return word.replace(".", "")
    if "," not in word or _COMMA_GROUPS.match(word) or word.count(",") > 1:
        return word.replace(",", "")
    return word.replace(",", ".")


def join_digit_groups(words: list[str]) -> list[str]:
    """'49 250,5' arrives as two words (Telegram splits on spaces, which group thousands in
    Russian or French): a 1-3 digit word followed by 3-digit groups is one number again."""
    joined: list[str] = []
    open_number = False  # the last word can still take a group
    for word in words:
        if open_number and _GROUP.match(word):
            joined[-1] += word
        else:
            joined.append(word)
        open_number = bool(_GROUP_HEAD.match(joined[-1]) or _BARE_GROUP.match(word))
    return joined


def parse_rate(word: str) -> Decimal | None:
    """'0.01%' -> 0.0001; '0.0001' -> 0.0001 (a bare number is a fraction)."""
    if word.endswith("%"):
        value = parse_number(word[:-1])
        return None if value is None else value / 100
    return parse_number(word)


def parse_hours(word: str) -> Decimal | None:
    match = _DURATION.match(word)
    if not match:
        return None
    unit = match.group(2).lower()
    return Decimal(match.group(1)) * _DURATION_HOURS["min" if unit.startswith("mi") else unit[0]]


def _plain_words(
    args: list[str], need: int, missing: str, usage: str, example: str
) -> tuple[list[str], dict[str, str]]:
    """(plain words, key=value options), at least `need` plain words."""
    plain, options = _read_words(args, need, usage, example)
    if len(plain) < need:
        raise _usage(missing, usage, example)
    return plain, options


def _read_words(
    args: list[str], need: int, usage: str, example: str
) -> tuple[list[str], dict[str, str]]:
    """(plain words, key=value options); digit groups joined unless that leaves fewer than
    `need` plain words."""
    if sum(len(a) + 1 for a in args) > MAX_MESSAGE_CHARS:
        raise _usage(_("That message is too long."), usage, example)
    words = join_options([a.strip() for a in args if a.strip()])
    plain, options = _split_options(join_digit_groups(words))
    if len(plain) < need:  # '/liq 100 200 long' is an entry and a leverage, not 100200
        plain, options = _split_options(words)
    return plain, options


def _sorted_words(
    words: list[str], kinds: Mapping[str, Callable[[str], bool]]
) -> dict[str, list[str]]:
    """Each word under the first kind that takes it ("other" when none does), in the order
    typed: the words of /liq, /pos add and /funding go in any order."""
    found: dict[str, list[str]] = {kind: [] for kind in (*kinds, "other")}
    for word in words:
        found[next((kind for kind, takes in kinds.items() if takes(word)), "other")].append(word)
    return found


# The side as traders write it: in English, and in the slang Russian and Chinese traders type
# (лонг/шорт, 做多/做空 or 多/空) when the bot speaks their language.
_SIDES = {
    "long": Side.LONG,
    "short": Side.SHORT,
    "\u043b\u043e\u043d\u0433": Side.LONG,
    "\u0448\u043e\u0440\u0442": Side.SHORT,
    "\u505a\u591a": Side.LONG,
    "\u505a\u7a7a": Side.SHORT,
    "\u591a": Side.LONG,
    "\u7a7a": Side.SHORT,
}


def _is_side(word: str) -> bool:
    return word.lower() in _SIDES


def _is_number(word: str) -> bool:
    return parse_number(word) is not None


def _one_side(words: list[str], usage: str, example: str) -> Side | None:
    if len(words) > 1:
        raise _usage(_("Give one side, long or short."), usage, example)
    return _SIDES[words[0].lower()] if words else None


def _at_most_one(words: list[str], problem: str, usage: str, example: str) -> None:
    """`problem`, an N_ text with {first} and {second}, when two words give the one thing."""
    if len(words) > 1:
        first, second = (w[:20] for w in words[:2])
        raise _usage(_(problem, first=first, second=second), usage, example)


def _asset_name(word: str) -> bool:
    """An asset as /liq and /funding take one: BTC, 1000pepe, btcusdt (no dash, not digits)."""
    return asset_word(word) and "-" not in word and not word.isdigit()


def join_options(words: list[str]) -> list[str]:
    """An option typed with spaces is one word again: 'size 0.5', 'size: 0.5', 'size = 0.5',
    'size= 0.5' and 'size =0.5' all read as size=0.5. A named option takes the next word only
    when that is a value (a digit, or a $ before one): anything else is left as typed."""
    joined: list[str] = []
    for word in words:
        last = joined[-1] if joined else ""
        key = last.removesuffix(":").lower()
        if last.endswith("=") and last.count("=") == 1:
            joined[-1] += word.removeprefix("=")
        elif key in OPTION_WORDS and word in ("=", ":"):
            joined[-1] = key + "="
        elif key in OPTION_WORDS and (word.startswith("=") or _VALUE_HEAD.match(word)):
            joined[-1] = key + "=" + word.removeprefix("=")
        else:
            joined.append(word)
    return joined


_VALUE_HEAD = re.compile(r"^\$?[0-9.,]")


def _split_options(words: list[str]) -> tuple[list[str], dict[str, str]]:
    plain: list[str] = []
    options: dict[str, str] = {}
    for word in words:
        if "=" in word:
            key, _, value = word.partition("=")
            options[key.lower()] = value
        else:
            plain.append(word)
    return plain, options


def _positive(value: Decimal | None, what: str, usage: str, example: str, most: Decimal) -> Decimal:
    """`what` names the number (marked with N_ where it is a catalog text)."""
    if value is None or not value.is_finite() or not 0 < value <= most:
        problem = _(
            "{what} must be a positive number up to {most}.", what=_(what), most=grouped(most, 0)
        )
        raise _usage(problem, usage, example)
    return value


@dataclass(frozen=True, slots=True)
class SizeWord:
    """size= as typed: coins (0.2, 0.2btc), or with a $ or USD(T) a USD amount (size=$10000),
    which the entry price turns into coins."""

    amount: Decimal
    usd: bool

    def coins(self, entry: Decimal) -> Decimal:
        # Ten digits: more than any venue's lot step, and short enough for a button's data.
        return Context(prec=10).divide(self.amount, entry) if self.usd else self.amount


def parse_size(raw: str, asset: str | None, usage: str, example: str) -> SizeWord:
    """Size stays in coins unless marked as dollars: a $ read as nothing (as every other
    amount here reads it) made size=$10000 ten thousand coins."""
    word = raw.strip().lower()
    usd = "$" in word
    for mark in ("usdt", "usdc", "usd"):
        if word.endswith(mark):
            word, usd = word.removesuffix(mark), True
            break
    if asset is not None and not usd:
        word = word.removesuffix(asset.lower().removesuffix("usdt"))
    value = parse_number(word)
    if value is None or not value.is_finite() or not 0 < value <= (MAX_MONEY if usd else MAX_SIZE):
        raise _usage(
            _("size is in coins, like size=0.2, or in USD, like size=$10000."), usage, example
        )
    return SizeWord(value, usd)


def _inverse_symbol(asset_words: list[str], venue: str | None) -> bool:
    """The asset typed as a coin-margined symbol ('btcusd'), which makes the request inverse."""
    symbol = symbol_for(asset_words[0], venue) if asset_words else ""
    return symbol.endswith("USD")


def refuse_scaled_symbol(word: str, usage: str, example: Callable[[str], str]) -> None:
    """'1000pepeusdt' (Hyperliquid's 'kpepe' too) is priced per 1000 PEPE on the venue while
    every price here (live marks, tiers, guarded positions) is per coin: read either way, a
    typed entry or size would be off by 1000 against the other, so the trader is asked for the
    asset instead. `example`: the command's example for the asset to type ('pepe')."""
    symbol = symbol_for(word, None)
    asset, multiplier = typed_unscale(
        symbol.removesuffix(next(q for q in QUOTES if symbol.endswith(q)))
    )
    if multiplier != 1:
        raise _usage(
            _(
                "{symbol} is priced per {multiplier} {asset}, but here prices and sizes are per "
                "{asset}: type the asset, {name}, with any price or size for one {asset}.",
                symbol=word.upper(),
                multiplier=grouped(multiplier, 0),
                asset=asset,
                name=asset.lower(),
            ),
            usage,
            example(asset.lower()),
        )


def symbol_for(asset: str, venue: str | None) -> str:
    """'eth' -> 'ETHUSDT'; a full symbol ('btcusdt', 'BTCUSD') is kept as given."""
    upper = asset.upper().replace("-", "").replace("/", "")
    if upper.endswith(QUOTES) and len(upper) > 4:
        return upper
    return f"{upper}USDT"


def _checked_leverage(value: Decimal | None, usage: str, example: str) -> Decimal:
    if value is None or not _leverage_range(value):
        raise _usage(_("Leverage must be a number from 1 to 200, like 20x."), usage, example)
    return value


def parse_leverage(word: str, usage: str, example: str) -> Decimal:
    """'20x', 'x20' or '20' -> 20; anything else gets the leverage line."""
    return _checked_leverage(leverage_number(word), usage, example)


# Latin x, the multiplication sign and the Cyrillic х a Russian keyboard types: all read "times".
_X_MARKS = ("x", "\u00d7", "\u0445")
LEVERAGE_KEYS = ("lev", "leverage")
# The options whose name a trader may type as a word of its own before the value ('size 0.5',
# 'mmr: 0.4%'): none of them can mean anything else in a command.
OPTION_WORDS = frozenset(
    {
        *LEVERAGE_KEYS,
        *("size", "mmr", "balance", "wallet", "fee", "mark", "entry", "levels", "funding", "cost"),
    }
)


def _without_x(word: str) -> str | None:
    """'50x', 'x50', '50×', '50х' -> '50' (traders write the x on either side); None: no x."""
    lower = word.lower()
    for mark in _X_MARKS:
        if lower.endswith(mark):
            return word[: -len(mark)]
        if lower.startswith(mark):
            return word[len(mark) :]
    return None


def leverage_number(word: str) -> Decimal | None:
    """A leverage as typed, with or without its x; None: not a number."""
    return parse_number(_without_x(word) or word)


@dataclass(frozen=True, slots=True)
class PositionWords:
    """A position typed in any order (/liq, /pos add): its long/short word, a leverage typed
    with its x, the plain numbers (an entry, then a leverage when there are two) and the other
    words (asset, venue, margin mode) in the order typed."""

    side: Side
    leverage: Decimal | None
    numbers: tuple[Decimal, ...]  # at most two, and at most one beside an x leverage
    others: tuple[str, ...]

    def entry_and_leverage(
        self, usage: str, example: str, *, live_mark: bool
    ) -> tuple[Decimal | None, Decimal]:
        """(the entry as typed, unchecked, or None; the leverage, checked). `live_mark`: an
        asset is named, whose live mark can be the entry; then a lone plain number that can be a
        leverage is one ('/liq BTC 20 long'), as 60000 never can."""
        numbers = list(self.numbers)
        leverage = self.leverage
        if leverage is None and (
            len(numbers) == 2 or (live_mark and len(numbers) == 1 and _leverage_range(numbers[0]))
        ):
            leverage = numbers.pop()
        if leverage is None:
            raise _usage(_("I need a leverage too, like 20x."), usage, example)
        return (numbers[0] if numbers else None), _checked_leverage(leverage, usage, example)


def _leverage_range(value: Decimal) -> bool:
    return value.is_finite() and Decimal(1) <= value <= MAX_LEVERAGE


def position_words(
    args: list[str], need: int, missing: str, usage: str, example: str
) -> tuple[PositionWords, dict[str, str]]:
    """A position's words in any order and its key=value options; at least `need` words. Two
    sides, two leverages or a third number is a mistake named, never a guess."""
    args = _entry_first(join_options(args))
    # lev=20 (as /funding and /pos edit take it) is the leverage word, typed as an option.
    typed = {a.partition("=")[0].strip().lower() for a in args if "=" in a} & set(LEVERAGE_KEYS)
    plain, options = _plain_words(args, need - bool(typed), missing, usage, example)
    kinds = {"side": _is_side, "leverage": _is_x_leverage, "number": _is_number}
    words = _sorted_words(attach_units(plain), kinds)
    side = _one_side(words["side"], usage, example)
    if side is None:
        raise _usage(_("Side must be long or short."), usage, example)
    leverages = words["leverage"] + [options.pop(key) for key in LEVERAGE_KEYS if key in options]
    _at_most_one(leverages, N_("Give one leverage, not {first} and {second}."), usage, example)
    if len(words["number"]) + len(leverages) > 2:
        raise _usage(_("Too many numbers: give one entry price and one leverage."), usage, example)
    leverage = (
        _checked_leverage(leverage_number(leverages[0]), usage, example) if leverages else None
    )
    numbers = tuple(n for w in words["number"] if (n := parse_number(w)) is not None)
    return PositionWords(side, leverage, numbers, tuple(words["other"])), options


def _entry_first(words: list[str]) -> list[str]:
    """The entry as traders also mark it, 'entry=60000', '@60000', '@ 60000' or 'at 60000',
    becomes the first plain number, the place a bare entry takes: '/liq BTC 20 long @ 60000'
    is entry 60,000 at 20x, never the other way round."""
    entries: list[str] = []
    rest: list[str] = []
    for word in words:
        key, equals, value = word.partition("=")
        if rest and rest[-1].lower() in ("@", "at") and _VALUE_HEAD.match(word):
            rest.pop()
            entries.append(word)
        elif equals and key.lower() == "entry":
            entries.append(value)
        elif word.startswith("@") and _VALUE_HEAD.match(word[1:]):
            entries.append(word[1:])
        else:
            rest.append(word)
    return entries + rest


def _is_x_leverage(word: str) -> bool:
    bare = _without_x(word)
    return bare is not None and parse_number(bare) is not None


@dataclass(frozen=True, slots=True)
class LiqWords:
    """/liq's words read. `entry` None: no price was typed and `asset` is named, so the asset's
    live mark is the entry ('/liq BTC 20x long')."""

    entry: Decimal | None
    leverage: Decimal
    side: Side
    asset: str | None  # as typed
    venue: str | None
    inverse: bool
    margin_mode: MarginMode
    size: SizeWord | None
    mmr: Decimal | None
    cross_balance: Decimal | None
    fee_rate: Decimal | None
    mark: Decimal | None

    @property
    def live_asset(self) -> str | None:
        """The asset whose live mark is the entry; None when an entry price was typed."""
        return self.asset if self.entry is None else None

    def request(self, live: tuple[str, Decimal] | None = None) -> LiqRequest:
        """`live`: the asset as the market names it and its mark, for words without an entry."""
        asset, entry = live if live is not None else (self.asset, self.entry)
        if entry is None:
            raise ValueError("no entry was typed: the request needs the asset's live mark")
        symbol = symbol_for(asset, self.venue) if asset else None
        if self.venue is not None and symbol is None:
            symbol = "BTCUSD" if self.inverse else "BTCUSDT"
        inverse = self.inverse or (
            symbol is not None and symbol.endswith("USD") and not symbol.endswith(("USDT", "USDC"))
        )
        return LiqRequest(
            entry=entry,
            leverage=self.leverage,
            side=self.side,
            mark=self.mark,
            mmr=self.mmr,
            venue=self.venue,
            symbol=symbol,
            size=self.size.coins(entry) if self.size is not None else None,
            inverse=inverse,
            margin_mode=self.margin_mode,
            cross_balance=self.cross_balance,
            fee_rate=self.fee_rate,
        )


def parse_liq(args: list[str]) -> LiqWords:
    """The words in any order (`position_words`); no entry price typed and an asset named, the
    asset's live mark will be the entry."""
    u, e = LIQ_USAGE, LIQ_EXAMPLE
    missing = _("I need an entry price, a leverage and a side.")
    words, options = position_words(args, 3, missing, u, e)

    venue: str | None = None
    asset_words: list[str] = []
    inverse = False
    mode = MarginMode.ISOLATED
    for word in words.others:
        lower = word.lower()
        if lower in KNOWN_VENUES:
            venue = lower
        elif lower in ("inverse", "coinm", "coin-m"):
            inverse = True
        elif lower == "cross":
            mode = MarginMode.CROSS
        elif lower == "isolated":
            mode = MarginMode.ISOLATED
        elif _asset_name(lower):
            asset_words.append(lower)
        else:
            raise _usage(_("I don't know what '{word}' means here.", word=word[:20]), u, e)
    # Before the one-asset check: 'hyperliquid' reads as an asset word, and '/liq BTC 20x long
    # hyperliquid' names one asset and an unsupported venue, not two assets.
    if any(w in ("hyperliquid", "hl") for w in asset_words):
        raise _usage(_("Hyperliquid liquidation math is not supported yet: use mmr=."), u, e)
    if len(asset_words) > 1:
        raise _usage(_("Name one asset, not {assets}.", assets=", ".join(asset_words[:3])), u, e)
    if asset_words:
        refuse_scaled_symbol(
            asset_words[0], u, lambda asset: f"/liq {asset} 10x long {venue or 'bybit'}"
        )
    entry, leverage = words.entry_and_leverage(u, e, live_mark=bool(asset_words))
    if entry is not None or not asset_words:
        entry = _positive(entry, N_("Entry price"), u, e, MAX_PRICE)

    size = mmr = balance = fee = mark = None
    for key, raw in options.items():
        if key == "size":
            size = parse_size(raw, asset_words[0] if asset_words else None, u, e)
            if size.usd and (inverse or _inverse_symbol(asset_words, venue)):
                raise _usage(
                    _("For inverse contracts size= is the number of contracts, like size=50000."),
                    u,
                    e,
                )
        elif key == "mmr":
            mmr = parse_rate(raw)
            if mmr is None or not Decimal(0) <= mmr < Decimal("0.5"):
                raise _usage(_("mmr must be a rate like mmr=0.5%."), u, e)
        elif key in ("balance", "wallet"):
            balance = _positive(parse_number(raw), N_("balance"), u, e, MAX_MONEY)
        elif key == "fee":
            fee = parse_rate(raw)
            if fee is None or not Decimal(0) <= fee < Decimal("0.01"):
                raise _usage(_("fee must be a rate like fee=0.05%."), u, e)
        elif key == "mark":
            mark = _positive(parse_number(raw), N_("mark"), u, e, MAX_PRICE)
        else:
            raise _usage(_("Unknown option '{option}='.", option=key[:20]), u, e)
    if mode is MarginMode.CROSS and balance is None:
        raise _usage(
            _("Cross margin needs your wallet balance: cross balance=5000."),
            u,
            "/liq 50000 50x long cross balance=5000",
        )
    return LiqWords(
        entry=entry,
        leverage=leverage,
        side=words.side,
        asset=asset_words[0] if asset_words else None,
        venue=venue,
        inverse=inverse,
        margin_mode=mode,
        size=size,
        mmr=mmr,
        cross_balance=balance,
        fee_rate=fee,
        mark=mark,
    )


def attach_units(words: list[str]) -> list[str]:
    """A unit typed apart from its number arrives as a word of its own: '0,01 %' (as Russian,
    Spanish or Portuguese write a percent, the bot's own replies in those languages too),
    '50 x', '3 days'. It belongs to the number before it."""
    joined: list[str] = []
    for word in words:
        if joined and _is_number(joined[-1]) and _is_unit(word):
            joined[-1] += word
        else:
            joined.append(word)
    return joined


def _is_unit(word: str) -> bool:
    return word == "%" or word.lower() in _X_MARKS or (word.isalpha() and _is_time("1" + word))


@dataclass(frozen=True, slots=True)
class FundingWords:
    """/funding's words read. `rate` None: no rate was typed and `asset` is named, so each
    venue's live rate and interval price the hold; beside a typed rate the asset only labels."""

    notional: Decimal
    rate: Decimal | None
    hold_hours: Decimal
    interval_hours: Decimal
    side: Side
    asset: str | None  # as typed
    leverage: Decimal | None
    entry: Decimal | None

    @property
    def live_asset(self) -> str | None:
        """The asset whose venues' live rates are priced; None when a rate was typed."""
        return self.asset if self.rate is None else None

    @property
    def usage(self) -> tuple[str, str]:
        """The usage line and example of the form the words took."""
        return _funding_usage(live=self.live_asset is not None)

    def request(self, venue: tuple[Decimal, Decimal] | None = None) -> FundingRequest:
        """`venue`: a venue's live rate and interval, for words without a typed rate."""
        rate, interval = venue if venue is not None else (self.rate, self.interval_hours)
        if rate is None:
            raise ValueError("no rate was typed: the request needs a venue's live rate")
        return FundingRequest(
            notional=self.notional,
            rate=rate,
            hold_hours=self.hold_hours,
            interval_hours=interval,
            side=self.side,
            leverage=self.leverage,
            entry=self.entry,
        )


def _funding_usage(*, live: bool) -> tuple[str, str]:
    return (LIVE_FUNDING_USAGE, LIVE_FUNDING_EXAMPLE) if live else (FUNDING_USAGE, FUNDING_EXAMPLE)


def _is_rate(word: str) -> bool:
    return word.endswith("%")


def _is_time(word: str) -> bool:
    return parse_hours(word) is not None


_INTERVAL_WORDS = ("per", "every", "each", "interval")


def _marked_interval(words: list[str]) -> list[str]:
    """The settlement interval as traders mark it: '0.01%/8h', '0.01% per 8h', 'every 4h',
    'interval 1h' -> interval=8h, whatever order the rest comes in."""
    out: list[str] = []
    for word in words:
        rate, slash, interval = word.partition("/")
        if slash and _is_rate(rate) and _is_time(interval):
            out += [rate, "interval=" + interval]
        elif out and out[-1].lower() in _INTERVAL_WORDS and _is_time(word):
            out[-1] = "interval=" + word
        else:
            out.append(word)
    return out


def parse_funding(args: list[str]) -> FundingWords:
    """The words in any order: the number with % is the rate, a plain number the notional,
    long/short the side (long unless said), the first time word the hold and a second one the
    settlement interval, another word the asset. No rate typed and an asset named: each venue's
    live rate. A bare second number could be either, so it is named, never guessed."""
    marked = _marked_interval(attach_units(args))
    plain, options = _read_words(marked, 3, FUNDING_USAGE, FUNDING_EXAMPLE)
    kinds = {"side": _is_side, "rate": _is_rate, "time": _is_time, "number": _is_number}
    words = _sorted_words(plain, kinds)
    rates, times, numbers, others = words["rate"], words["time"], words["number"], words["other"]
    if "interval" in options:  # marked, it is the interval wherever it stands
        times = [*times[:1], options.pop("interval"), *times[1:]] if times else []
    assets = [w for w in others if _asset_name(w.lower())]
    live = bool(assets) and not rates
    u, e = _funding_usage(live=live)

    side = _one_side(words["side"], u, e) or Side.LONG
    _at_most_one(rates, N_("Give one rate, not {first} and {second}."), u, e)
    numbers, times = _millions_or_minutes(numbers, times, u, e)
    if len(times) > 2:
        words_typed = ", ".join(w[:20] for w in times[:3])
        raise _usage(
            _("Give a holding time and at most one interval, not {words}.", words=words_typed),
            u,
            e,
        )
    if len(numbers) > 1 and not rates and not assets:
        first, second = (w[:20] for w in numbers[:2])
        raise _usage(
            _(
                "Mark the rate with %, like 0.01%: is it {first} or {second}?",
                first=first,
                second=second,
            ),
            u,
            e,
        )
    _at_most_one(numbers, N_("Give one notional, not {first} and {second}."), u, e)
    for word in others:
        if word not in assets:
            raise _usage(_("I don't know what '{word}' means here.", word=word[:20]), u, e)
    if len(assets) > 1:
        raise _usage(_("Name one asset, not {assets}.", assets=", ".join(assets[:3])), u, e)
    if live and len(times) == 2:
        raise _usage(
            _(
                "Live rates settle at each venue's own interval: leave out {interval}.",
                interval=times[1][:20],
            ),
            u,
            e,
        )

    if live and not (numbers and times):
        raise _usage(_("I need a notional and a holding time."), u, e)
    missing = [not numbers, not (rates or live), not times]
    if sum(missing) > 1:
        raise _usage(_("I need a notional, a funding rate and a holding time."), u, e)
    notional = _positive(
        parse_number(numbers[0]) if numbers else None, N_("Notional"), u, e, MAX_MONEY
    )
    rate = parse_rate(rates[0]) if rates else None
    if not live and (rate is None or not rate.is_finite()):
        raise _usage(_("Rate must look like 0.01% (per funding interval)."), u, e)
    hold = parse_hours(times[0]) if times else None
    if hold is None or hold <= 0:
        raise _usage(_("Holding time must look like 8h, 3d or 2w."), u, e)
    interval = parse_hours(times[1]) if len(times) == 2 else None

    leverage, entry = _funding_options(options, live, u, e)
    return FundingWords(
        notional=notional,
        rate=rate,
        hold_hours=hold,
        interval_hours=Decimal(8) if interval is None else interval,
        side=side,
        asset=assets[0] if assets else None,
        leverage=leverage,
        entry=entry,
    )


def _millions_or_minutes(
    numbers: list[str], times: list[str], usage: str, example: str
) -> tuple[list[str], list[str]]:
    """(notional words, time words): '10m' is ten minutes unless nothing else is the notional,
    then ten million; two such words and no notional could be either."""
    millions = [w for w in times if _is_number(w)]
    if numbers or not millions:
        return numbers, times
    if len(millions) > 1:
        word = millions[0][:20]
        problem = _(
            "{word} could be millions or minutes: write minutes as {minutes}min.",
            word=word,
            minutes=word[:-1],
        )
        raise _usage(problem, usage, example)
    return millions, [w for w in times if w != millions[0]]


def _funding_options(
    options: dict[str, str], live: bool, usage: str, example: str
) -> tuple[Decimal | None, Decimal | None]:
    """(lev=, entry=): with live rates there is no one position to move a liquidation of."""
    leverage = entry = None
    for key, raw in options.items():
        if live and key in ("lev", "leverage", "entry"):
            raise _usage(_("lev= and entry= need a typed rate, like 0.01%."), usage, example)
        if key in ("lev", "leverage"):
            leverage = leverage_number(raw)
            if leverage is None or not Decimal(1) <= leverage <= Decimal(200):
                raise _usage(_("lev must be from 1 to 200, like lev=20."), usage, example)
        elif key == "entry":
            entry = _positive(parse_number(raw), N_("entry"), usage, example, MAX_PRICE)
        else:
            raise _usage(_("Unknown option '{option}='.", option=key[:20]), usage, example)
    if (leverage is None) != (entry is None):
        # Either alone moves no liquidation price: the answer would leave it out unsaid.
        raise _usage(_("lev= and entry= go together, like lev=20 entry=50000."), usage, FUNDING_LIQ)
    return leverage, entry


@dataclass(frozen=True, slots=True)
class ChannelRequest:
    name: str  # as typed, with its @
    unlink: bool


def parse_channel(args: list[str]) -> ChannelRequest:
    """'@mydesk' links the channel, '@mydesk off' unlinks it (as '/settings quiet off')."""
    name = _channel_name(args[0]) if args else None
    if name is None:
        raise _usage(_("Which channel?"), CHANNEL_USAGE, CHANNEL_EXAMPLE)
    if len(args) > 2 or (len(args) == 2 and args[1].lower() != "off"):
        raise _usage(
            _("Add off to unlink {channel}, or nothing to link it.", channel=name),
            CHANNEL_USAGE,
            UNLINK_EXAMPLE,
        )
    return ChannelRequest(name, unlink=len(args) == 2)


def _channel_name(word: str) -> str | None:
    """'@mydesk', 'mydesk' or the link a phone's share button copies (t.me/mydesk) -> '@mydesk';
    None: not a public channel's name (a private invite link has none to ask Telegram about)."""
    bare = _CHANNEL_LINK.sub("", word).removeprefix("@")
    return f"@{bare}" if _USERNAME.match(bare) else None
