"""Chat arguments -> domain requests. Every failure is a UserError with a line and an example.

One place for what a user may type: digits are ASCII only (`²` and `٣` are not numbers here),
every number has a documented bound (LIMITS), and ids fit the database's 64-bit column."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bot.errors import UserError
from bot.i18n import N_, _
from bot.i18n.numbers import grouped
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
_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|min|h|d|w)$", re.IGNORECASE)
_ASSET_WORD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,19}$")
_ID = re.compile(r"^#?([0-9]{1,19})$")
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
    return Decimal(match.group(1)) * _DURATION_HOURS[match.group(2).lower()]


def _plain_words(
    args: list[str], need: int, missing: str, usage: str, example: str
) -> tuple[list[str], dict[str, str]]:
    """(plain words, key=value options), at least `need` plain words."""
    if sum(len(a) + 1 for a in args) > MAX_MESSAGE_CHARS:
        raise _usage(_("That message is too long."), usage, example)
    words = [a.strip() for a in args if a.strip()]
    plain, options = _split_options(join_digit_groups(words))
    if len(plain) < need:  # '/liq 100 200 long' is an entry and a leverage, not 100200
        plain, options = _split_options(words)
    if len(plain) < need:
        raise _usage(missing, usage, example)
    return plain, options


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


def symbol_for(asset: str, venue: str | None) -> str:
    """'eth' -> 'ETHUSDT'; a full symbol ('btcusdt', 'BTCUSD') is kept as given."""
    upper = asset.upper().replace("-", "").replace("/", "")
    if upper.endswith(QUOTES) and len(upper) > 4:
        return upper
    return f"{upper}USDT"


def parse_liq(args: list[str], entry: Decimal | None = None) -> LiqRequest:
    """`entry` given (a live mark), the words start at the leverage."""
    u, e = LIQ_USAGE, LIQ_EXAMPLE
    missing = _("I need an entry price, a leverage and a side.")
    plain, options = _plain_words(args, 3 if entry is None else 2, missing, u, e)
    if entry is None:
        entry = _positive(parse_number(plain[0]), N_("Entry price"), u, e, MAX_PRICE)
        plain = plain[1:]
    leverage_word = plain[0].lower().removesuffix("x")
    leverage = parse_number(leverage_word)
    if leverage is None or not leverage.is_finite() or not Decimal(1) <= leverage <= MAX_LEVERAGE:
        raise _usage(_("Leverage must be a number from 1 to 200, like 20x."), u, e)
    try:
        side = Side(plain[1].lower())
    except ValueError:
        raise _usage(_("Side must be long or short."), u, e) from None

    venue: str | None = None
    asset_words: list[str] = []
    inverse = False
    mode = MarginMode.ISOLATED
    for word in plain[2:]:
        lower = word.lower()
        if lower in KNOWN_VENUES:
            venue = lower
        elif lower in ("inverse", "coinm", "coin-m"):
            inverse = True
        elif lower == "cross":
            mode = MarginMode.CROSS
        elif lower == "isolated":
            mode = MarginMode.ISOLATED
        elif asset_word(lower) and "-" not in lower and not lower.isdigit():
            asset_words.append(lower)
        else:
            raise _usage(_("I don't know what '{word}' means here.", word=word[:20]), u, e)
    if len(asset_words) > 1:
        raise _usage(_("Name one asset, not {assets}.", assets=", ".join(asset_words[:3])), u, e)
    if any(w in ("hyperliquid", "hl") for w in asset_words):
        raise _usage(_("Hyperliquid liquidation math is not supported yet: use mmr=."), u, e)

    size = mmr = balance = fee = mark = None
    for key, raw in options.items():
        if key == "size":
            size = _positive(parse_number(raw), N_("size"), u, e, MAX_SIZE)
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
    symbol = symbol_for(asset_words[0], venue) if asset_words else None
    if venue is not None and symbol is None:
        symbol = "BTCUSD" if inverse else "BTCUSDT"
    if symbol is not None and symbol.endswith("USD") and not symbol.endswith(("USDT", "USDC")):
        inverse = True
    return LiqRequest(
        entry=entry,
        leverage=leverage,
        side=side,
        mark=mark,
        mmr=mmr,
        venue=venue,
        symbol=symbol,
        size=size,
        inverse=inverse,
        margin_mode=mode,
        cross_balance=balance,
        fee_rate=fee,
    )


def attach_percent(words: list[str]) -> list[str]:
    """'0,01 %', as Russian, Spanish or Portuguese write a percent (the bot's own replies in
    those languages too), arrives as two words: the sign belongs to the number."""
    joined: list[str] = []
    for word in words:
        if word == "%" and joined:
            joined[-1] += word
        else:
            joined.append(word)
    return joined


def parse_funding(args: list[str]) -> FundingRequest:
    u, e = FUNDING_USAGE, FUNDING_EXAMPLE
    missing = _("I need a notional, a funding rate and a holding time.")
    plain, options = _plain_words(attach_percent(args), 3, missing, u, e)
    notional = _positive(parse_number(plain[0]), N_("Notional"), u, e, MAX_MONEY)
    rate = parse_rate(plain[1])
    if rate is None or not rate.is_finite():
        raise _usage(_("Rate must look like 0.01% (per funding interval)."), u, e)
    hold = parse_hours(plain[2])
    if hold is None or hold <= 0:
        raise _usage(_("Holding time must look like 8h, 3d or 2w."), u, e)
    interval = Decimal(8)
    side = Side.LONG
    for word in plain[3:]:
        lower = word.lower()
        hours = parse_hours(lower)
        if hours is not None:
            interval = hours
        elif lower in ("long", "short"):
            side = Side(lower)
        else:
            raise _usage(_("I don't know what '{word}' means here.", word=word[:20]), u, e)
    leverage = entry = None
    for key, raw in options.items():
        if key in ("lev", "leverage"):
            leverage = parse_number(raw.lower().removesuffix("x"))
            if leverage is None or not Decimal(1) <= leverage <= Decimal(200):
                raise _usage(_("lev must be from 1 to 200, like lev=20."), u, e)
        elif key == "entry":
            entry = _positive(parse_number(raw), N_("entry"), u, e, MAX_PRICE)
        else:
            raise _usage(_("Unknown option '{option}='.", option=key[:20]), u, e)
    if (leverage is None) != (entry is None):
        # Either alone moves no liquidation price: the answer would leave it out unsaid.
        raise _usage(_("lev= and entry= go together, like lev=20 entry=50000."), u, FUNDING_LIQ)
    return FundingRequest(
        notional=notional,
        rate=rate,
        hold_hours=hold,
        interval_hours=interval,
        side=side,
        leverage=leverage,
        entry=entry,
    )


def live_words(words: list[str], *, rate: bool = False) -> bool:
    """'/liq BTC 20x long', '/funding BTC 10000 3d': an asset comes first, not a number."""
    if not words:
        return False
    first = words[0].rstrip("%") if rate else words[0]
    return parse_number(first) is None and asset_word(words[0])


def parse_live_funding(words: list[str]) -> tuple[Decimal, Side, Decimal]:
    """/funding BTC 10000 long 3d after the asset: (notional, side, hold) in any order; long
    unless said."""
    notional, side, hold = None, Side.LONG, None
    for word in join_digit_groups(words):
        lower = word.lower()
        if lower in ("long", "short"):
            side = Side(lower)
        elif (hours := parse_hours(lower)) is not None:
            hold = hours
        elif (number := parse_number(word)) is not None and 0 < number <= MAX_MONEY:
            notional = number
        else:
            raise UserError(_("I don't know what '{word}' means here.", word=word[:20]))
    if notional is None or hold is None:
        raise UserError(_("I need a notional and a holding time."))
    return notional, side, hold


@dataclass(frozen=True, slots=True)
class ChannelRequest:
    name: str  # as typed, with its @
    unlink: bool


def parse_channel(args: list[str]) -> ChannelRequest:
    """'@mydesk' links the channel, '@mydesk off' unlinks it (as '/settings quiet off')."""
    if not args or not args[0].startswith("@") or len(args[0]) > MAX_CHANNEL_NAME:
        raise _usage(_("Which channel?"), CHANNEL_USAGE, CHANNEL_EXAMPLE)
    if len(args) > 2 or (len(args) == 2 and args[1].lower() != "off"):
        raise _usage(
            _("Add off to unlink {channel}, or nothing to link it.", channel=args[0]),
            CHANNEL_USAGE,
            UNLINK_EXAMPLE,
        )
    return ChannelRequest(args[0], unlink=len(args) == 2)
