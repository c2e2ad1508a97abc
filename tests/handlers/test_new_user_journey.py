"""A new user's first hour (issue 12 §2) and inputs that used to reach a traceback (issue 16
§3), each through the real handlers with the database, with the exact reply a user reads."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.handlers.harness import USER, ChatHarness, chat_harness, live_chat_harness, texts

USAGE_WATCH = (
    "Usage: <code>/watch &lt;asset|*&gt; &lt;oi|oi$|funding|basis|price|liq|squeeze|overheating"
    "&gt; [5m|15m|1h|4h|24h] [&gt; or &lt;] [value] [on venue]</code>\n"
    "Example: <code>/watch BTC oi 1h &gt; 5%</code>"
)
USAGE_UNWATCH = (
    "Usage: <code>/unwatch &lt;rule id&gt;|all</code>\nExample: <code>/unwatch 12</code>"
)
USAGE_EDIT = (
    "Usage: <code>/edit &lt;rule id&gt; [&gt;|&lt;] &lt;new value&gt;</code>\n"
    "Example: <code>/edit 12 0.08%</code>"
)
USAGE_SETTINGS = (
    "Usage: <code>/settings [quiet HH:MM-HH:MM &lt;time zone&gt;|quiet off|tz &lt;time zone&gt;|"
    "cooldown 15m (m = minutes, h = hours, up to 24h)|lang ru (or auto)]</code>\n"
    "Example: <code>/settings quiet 23:00-07:00 Europe/Berlin</code>"
)
USAGE_LIQ = (
    "Usage: <code>/liq &lt;entry&gt; &lt;leverage&gt;x &lt;long|short&gt; [asset] [venue symbol "
    "size=] [mmr=] [cross balance=]</code>\nExample: <code>/liq 50000 50x long</code>"
)


def keyboard(params: dict[str, Any]) -> list[list[dict[str, Any]]]:
    markup = params["reply_markup"]
    return (
        markup["inline_keyboard"]
        if isinstance(markup, dict)
        else markup.to_dict()["inline_keyboard"]
    )


# -- 12 §2.1: the Bybit inverse example works, and says what tier table it used ---------------


async def test_bybit_inverse_example_uses_the_bundled_btcusd_tier(chat: ChatHarness) -> None:
    assert await chat.ask("/liq 50000 50x long bybit btcusd inverse") == (
        "<b>BTCUSD long 50x: liquidation at 49,261.08 USD</b>\n"
        "Distance: 1.48% (738.92 USD) from entry 50,000.00 USD\n"
        "Size: 50,000 contracts of 1 USD = 50,000.00 USD notional, 1 BTC at entry "
        "(assumed; add size= for yours)\n"
        "Margin: 1,000.00 USD (0.02 BTC) on 50,000.00 USD notional\n"
        "Loss at liquidation: 738.92 USD; margin at risk: 1,000.00 USD\n"
        "Bybit inverse formula, tier 1 of the bybit BTCUSD table of 2022-12-26: mmr 0.500%, "
        "maintenance amount 0 BTC\n"
        "Fees: not included.\n"
        "Assumes: one-way mode; isolated margin"
    )


async def test_missing_tier_tables_say_what_is_there(chat: ChatHarness) -> None:
    assert await chat.ask("/liq 50000 50x long binance btcusd inverse") == (
        "I have no binance tier table for BTCUSD (I have binance BTCUSDT); add your rate, "
        f"e.g. mmr=0.5%\n{USAGE_LIQ}"
    )
    # Past the one Bybit inverse tier it knows (150 BTC): said, with the way out.
    big = await chat.ask("/liq 50000 50x long bybit btcusd inverse size=10000000")
    assert big.startswith(
        "bybit BTCUSD: a position of 200 coins is beyond the largest tier I have (150 coins, "
        "table of 2022-12-26); add your rate, e.g. mmr=1%"
    )


# -- 12 §2.2: tier, mmr, maintenance amount, table date, fees; no provenance notes ----------


async def test_venue_replies_carry_the_tier_and_one_fee_line(chat: ChatHarness) -> None:
    binance = await chat.ask("/liq 50000 50x long binance btcusdt")
    assert (
        "Binance USDⓈ-M formula, tier 1 of the binance BTCUSDT table of 2025-26: mmr 0.400%, "
        "maintenance amount 0.00 USDT\nFees: not included.\n"
    ) in binance
    for internal in ("fixture", "verified", "leverageBracket", "recorded"):
        assert internal not in binance
    bybit = await chat.ask("/liq 50000 50x long bybit")
    assert bybit.count("Fees:") == 1 and "no fees" not in bybit
    assert "Fees: the fee to close sits in both of Bybit's margins and cancels out." in bybit
    okx = await chat.ask("/liq 50000 50x long okx")
    assert "Fees: the 0.050% taker fee to close is included." in okx


# -- 12 §2.4 and 16 §3: ids and digits -----------------------------------------------------


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "/unwatch 99999999999999999999",
            f"Which rule? Give its number from /watches.\n{USAGE_UNWATCH}",
        ),
        (
            "/unwatch 9223372036854775808",
            f"Which rule? Give its number from /watches.\n{USAGE_UNWATCH}",
        ),
        ("/unwatch ²", f"Which rule? Give its number from /watches.\n{USAGE_UNWATCH}"),
        ("/edit 99999999999999999999 1%", f"Which rule, and its new threshold?\n{USAGE_EDIT}"),
        ("/edit ² 5%", f"Which rule, and its new threshold?\n{USAGE_EDIT}"),
        (
            "/settings cooldown ²m",
            f"Give the cooldown in minutes (m) or hours (h), like 15m or 2h.\n{USAGE_SETTINGS}",
        ),
        (
            "/watch BTC liq 1h > 99999999999999999999999999999999999B",
            f"That number has too many digits.\n{USAGE_WATCH}",
        ),
        (
            "/watch BTC liq 1h > 9999999999999B",
            f"Liquidations are a positive USD amount up to 1000B, like 50M.\n{USAGE_WATCH}",
        ),
    ],
)
async def test_ids_and_digits_get_their_usage_line(
    chat: ChatHarness, message: str, expected: str
) -> None:
    assert await chat.ask(message) == expected


@pytest.mark.parametrize(
    "data", ["rule:mute:1h:²", "rule:del:9223372036854775808", "rule:del:99999999999999999999"]
)
async def test_forged_buttons_are_answered(chat: ChatHarness, data: str) -> None:
    calls = await chat.press(data)
    assert [(c.method, c.params["text"]) for c in calls] == [
        ("answerCallbackQuery", "That rule is already gone; see /watches.")
    ]


@pytest.mark.parametrize("zone", ["Europe", "America", "x" * 300, "../../etc/passwd", "Mars/Base"])
async def test_time_zones_are_validated(chat: ChatHarness, zone: str) -> None:
    assert await chat.ask(f"/settings quiet 23:00-07:00 {zone}") == (
        f"Unknown time zone {zone[:40]}: use a name like Europe/Berlin or America/New_York.\n"
        f"{USAGE_SETTINGS}"
    )


async def test_time_zone_names_in_any_case(chat: ChatHarness) -> None:
    assert (await chat.ask("/settings tz europe/berlin")).startswith("Time zone Europe/Berlin.")


@pytest.mark.parametrize(
    "span",
    [
        "23:00–07:00",  # as the bot itself writes it: copied back from its reply
        "23:00 - 07:00",  # as a phone spaces it
        "23:00 -07:00",
        "23:00— 07:00",
    ],
)
async def test_quiet_hours_as_people_write_them(chat: ChatHarness, span: str) -> None:
    reply = await chat.ask(f"/settings quiet {span} Europe/Berlin")
    assert reply.startswith("Quiet hours 23:00–07:00 Europe/Berlin.\n"), reply
    assert (await chat.ask(f"/settings quiet {span}")).startswith(
        "Quiet hours 23:00–07:00 Europe/Berlin.\n"
    )


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ("/settings tz", "tz needs a value, like /settings tz Asia/Tokyo."),
        ("/settings quiet", "quiet needs a value, like /settings quiet 23:00-07:00."),
        ("/settings cooldown", "cooldown needs a value, like /settings cooldown 15m."),
        ("/settings lang", "lang needs a value, like /settings lang ru."),
    ],
)
async def test_a_setting_without_its_value_says_so(
    chat: ChatHarness, message: str, problem: str
) -> None:
    """Not 'I don't know that setting': it does know it."""
    assert await chat.ask(message) == f"{problem}\n{USAGE_SETTINGS}"


# -- 12 §2.5 and 16 §3: impossible positions are said plainly --------------------------------


@pytest.mark.parametrize(
    ("message", "because"),
    [
        (
            "/liq 50000 50x long mmr=3%",
            "at 50x the margin is 2% of the position, not more than the 3% maintenance margin; "
            "below 33.33x it would hold",
        ),
        (
            "/liq 50000 100x long mmr=2%",
            "at 100x the margin is 1% of the position, not more than the 2% maintenance margin; "
            "below 50x it would hold",
        ),
        (
            "/liq 50000 200x short okx mmr=0.5%",
            "at 200x the margin is 0.5% of the position, not more than the 0.55% maintenance "
            "margin plus the fee to close; below 181.82x it would hold",
        ),
    ],
)
async def test_impossible_positions_are_liquidated_at_once(
    chat: ChatHarness, message: str, because: str
) -> None:
    assert await chat.ask(message) == (
        f"<b>This position would be liquidated at once</b>, because {because}."
    )


# -- 12 §2.6: durations for people -----------------------------------------------------------


async def test_minutes_read_as_minutes(chat: ChatHarness) -> None:
    reply = await chat.ask("/funding 10000 0.01% 20m")
    assert reply.startswith("<b>Long 10,000.00 USDT at +0.0100% per 8h, held 20 min</b>\n")
    assert "0.333" not in reply
    assert "held 1d 12h" in await chat.ask("/funding 10000 0.01% 36h")


# -- 12 §2.7: /watch knows which assets it watches -------------------------------------------


async def test_watch_refuses_unknown_assets_and_keeps_star(chat: ChatHarness) -> None:
    assert await chat.ask("/watch XYZ oi 1h > 5%") == (
        "I don&#x27;t watch XYZ. I watch ADA, APT, ARB, AVAX, BNB, BTC, DOGE, DOT, ETH, LINK, "
        "LTC, NEAR, OP, PEPE, SOL, SUI, TON, TRX, WIF, XRP; * means all.\n" + USAGE_WATCH
    )
    assert "(rule #1)" in await chat.ask("/watch * squeeze")


async def test_the_same_rule_twice_is_one_rule(chat: ChatHarness) -> None:
    """A double tap on send, or the line pasted again, would ring every alert twice."""
    assert "(rule #1)" in await chat.ask("/watch BTC oi 1h > 5%")
    assert await chat.ask("/watch btc OI 1H >5%") == (
        "Already watching BTC oi 1h &gt; 5% here as rule #1; /watches lists the rules."
    )
    assert "(rule #2)" in await chat.ask("/watch BTC oi 1h > 6%")
    chat.request.admins.add((-1003, USER))
    assert "(rule #3)" in await chat.ask("/watch BTC oi 1h > 5%", chat_id=-1003)  # another chat
    listing = await chat.ask("/watches")
    assert listing.count("<code>BTC oi 1h &gt; 5%</code>") == 1, listing


# -- 12 §2.8: captions and stickers ----------------------------------------------------------


async def test_photo_captions_are_commands_and_stickers_get_a_hint(chat: ChatHarness) -> None:
    [answer] = texts(await chat.photo("/liq 50000 50x long"))
    assert answer.startswith("<b>long 50x: liquidation at 49,250.00 USDT</b>")
    [unknown] = texts(await chat.photo("/moon"))
    assert unknown.startswith("I don't know that command.")
    hint = (
        "I read text: send a command like <code>/liq 50000 50x long</code> (in a photo's "
        "caption works too), or see /help."
    )
    assert texts(await chat.sticker()) == [hint]
    assert texts(await chat.photo(None)) == [hint]


# -- 12 §2.9 and 16 §3: budgets --------------------------------------------------------------

EASY = re.compile(r"Easy there: 30 commands a minute at most\. Try again in \d+s\.")


async def test_inline_typing_does_not_eat_the_command_budget(chat: ChatHarness) -> None:
    for prefix in range(42):  # three times `50000 50x long`, keystroke by keystroke
        await chat.inline("50000 50x long"[: prefix % 14 + 1])
    for _ in range(30):
        assert "liquidation at 49,250.00" in await chat.ask("/liq 50000 50x long")
    assert EASY.fullmatch(await chat.ask("/liq 50000 50x long"))
    assert await chat.ask("/liq 50000 50x long") == ""  # the line is said once per burst


async def test_inline_has_its_own_budget_and_says_so(chat: ChatHarness) -> None:
    for _ in range(120):
        await chat.inline("50000 50x long")
    [call] = await chat.inline("50000 50x long")
    assert call.params["results"] == []
    assert re.fullmatch(r"Slow down: try again in \d+s", call.params["button"]["text"])


async def test_button_presses_count_and_never_take_the_commands_line(chat: ChatHarness) -> None:
    for _ in range(30):
        await chat.press("chart:BTC")
    [refused] = await chat.press("chart:BTC")
    assert refused.method == "answerCallbackQuery" and EASY.fullmatch(refused.params["text"])
    assert EASY.fullmatch(await chat.ask("/liq 50000 50x long"))


# -- 12 §2.10: wording -----------------------------------------------------------------------


async def test_watch_usage_and_liq_rules_in_usd(chat: ChatHarness) -> None:
    assert "&lt;&gt;|&lt;&gt;" not in await chat.ask("/watch")
    assert await chat.ask("/watch BTC liq 1h > 5%") == (
        "Liquidation rules take a USD amount, not a percentage: /watch BTC liq 1h &gt; 50M.\n"
        + USAGE_WATCH
    )


async def test_mutes_show_the_date_in_the_chats_zone_and_the_list_refreshes(
    chat: ChatHarness,
) -> None:
    await chat.ask("/settings tz Europe/Berlin")
    await chat.ask("/watch BTC funding > 0.05%")
    await chat.ask("/watch ETH funding > 0.05%")
    berlin = ZoneInfo("Europe/Berlin")
    ends = [(datetime.now(UTC) + timedelta(hours=24, minutes=m)).astimezone(berlin) for m in (0, 1)]
    expected = {f"{end:%a} {end.day} {end:%b %H:%M}" for end in ends}  # 'Wed 2 Dec 11:04'
    answer, refreshed = await chat.press("rule:mute:24h:1")
    shown = re.fullmatch(r"Muted until (.+) Europe/Berlin\.", answer.params["text"])
    assert shown is not None and shown.group(1) in expected
    assert refreshed.method == "editMessageText"
    assert refreshed.params["text"] == (
        "<b>Watch rules</b>\n"
        f"#1 <code>BTC funding &gt; 0.05%</code> (muted until {shown.group(1)} Europe/Berlin)\n"
        "#2 <code>ETH funding &gt; 0.05%</code>"
    )
    answer, refreshed = await chat.press("rule:del:2")
    assert answer.params["text"] == "Rule removed."
    assert "ETH" not in refreshed.params["text"]
    assert [row[0]["callback_data"] for row in keyboard(refreshed.params)] == ["rule:del:1"]
    # An alert's buttons leave the alert as it was.
    assert [c.method for c in await chat.press("rule:mute:1h:1", message_text="BTC funding")] == [
        "answerCallbackQuery"
    ]


async def test_long_rule_lists_are_split_and_say_which_rules_have_buttons(tmp_path: Path) -> None:
    async with chat_harness(tmp_path, rules_per_chat=100, command_rate_per_minute=1000) as chat:
        for number in range(100):
            await chat.ask(f"/watch BTC oi$ 24h > {number}.12345678% on hyperliquid")
        for rule_id in range(1, 101):
            await chat.press(f"rule:mute:24h:{rule_id}", message_text="BTC oi$")
        calls = await chat.send("/watches")
        sent = [c.params for c in calls if c.method == "sendMessage"]
        assert len(sent) == 3 and all(len(p["text"]) <= 4096 for p in sent)
        assert sent[0]["text"].startswith("<b>Watch rules</b>\n#1 <code>BTC oi$ 24h &gt; ")
        assert sent[-1]["text"].endswith(
            "Buttons below are for the first 20 rules; for the others use "
            "<code>/unwatch 21</code> or <code>/edit 21 0.08%</code>."
        )
        assert sent[1]["text"].startswith("<b>Watch rules</b>, continued\n#")
        assert [p.get("reply_markup") is not None for p in sent] == [False, False, True]
        assert len(keyboard(sent[-1])) == 20
        # A button under the last part: the rule goes, the buttons follow (the text is too long
        # for one message, so it stays).
        answer, refreshed = await chat.press("rule:del:1", message_text="Watch rules, continued")
        assert (answer.params["text"], refreshed.method) == (
            "Rule removed.",
            "editMessageReplyMarkup",
        )
        assert keyboard(refreshed.params)[0][0]["callback_data"] == "rule:del:2"


async def test_tiny_sizes_and_the_assumed_size(chat: ChatHarness) -> None:
    assumed = await chat.ask("/liq 3200 20 short eth")
    assert "Size: 1 ETH (assumed; add size= for yours) = 3,200.00 USDT notional" in assumed
    tiny = await chat.ask("/liq 50000 50x long size=0.000001")
    assert "Size: 0.000001 coins = 0.05 USDT notional\nMargin: 0.001000 USDT on 0.05 USDT" in tiny


async def test_inverse_without_a_venue_says_so(chat: ChatHarness) -> None:
    generic = await chat.ask("/liq 50000 50x long inverse")
    assert "Coin-margined formula, default mmr: mmr 0.500%" in generic
    assert generic.endswith(
        "Assumes: one-way mode; isolated margin; no venue named: maintenance valued at entry"
    )
    assert (await chat.ask("/liq 50000 50x long inverse size=100")).startswith(
        "inverse contract sizes differ by venue (Binance 100 USD, Bybit 1 USD for BTC): name the "
        "venue, e.g. bybit btcusd inverse size=50000\n"
    )


async def test_inline_never_offers_an_error_to_share(chat: ChatHarness) -> None:
    for query in ("50000 50x", "50000 50x long mmr=lots", "1" * 40 + " 2x long", "XYZ 20x long"):
        [call] = await chat.inline(query)
        assert call.method == "answerInlineQuery" and call.params["results"] == [], query
        assert call.params["button"]["start_parameter"] == "help"
    [call] = await chat.inline("50000 50x long")
    [result] = call.params["results"]
    assert result["title"] == "long 50x: liquidation at 49,250.00 USDT"


async def test_help_fits_a_phone_screen_and_groups_the_rest(chat: ChatHarness) -> None:
    text = await chat.ask("/help")
    lines = text.split("\n")
    assert len(lines) <= 16
    assert [line.split("</code>")[0] for line in lines[2:7]] == [
        "<code>/liq 50000 50x long",
        "<code>/funding 10000 0.01% 3d",
        "<code>/oi BTC",
        "<code>/watch BTC oi 1h &gt; 5%",
        "<code>/chart BTC",
    ]
    assert "<b>Alerts</b>: /watch, /watches, /edit, /unwatch, /settings, /channel" in lines
    liq = await chat.ask("/help liq")
    assert "<code>/liq 50000 50x long bybit btcusd inverse</code>" in liq
    assert "Limits: entry and mark up to 10,000,000;" in liq
    # Every command's page has its usage line, the pictures' too.
    assert await chat.ask("/help levels") == (
        "<b>/levels</b>: Where liquidation clusters probably sit (model)\n"
        "Usage: <code>/levels &lt;asset&gt; [dark|light]</code>\n"
        "<code>/levels BTC</code>\n<code>/levels ETH light</code>"
    )
    assert "Usage: <code>/score &lt;asset&gt;</code>" in await chat.ask("/help score")
    # /market is /oi: its help is /oi's page, not the overview.
    assert await chat.ask("/help market") == await chat.ask("/help oi")
    assert (await chat.ask("/help market")).startswith("<b>/oi</b>: Open interest")


# -- 16 §3: what used to end in a traceback ---------------------------------------------------


@pytest.mark.parametrize(
    ("message", "first_line"),
    [
        (
            "/liq 100000000000000000000000000 2x long",
            "Entry price must be a positive number up to 10,000,000.",
        ),
        (
            "/liq 50000 2x long size=100000000000000000000000000",
            "size is in coins, like size=0.2, or in USD, like size=$10000.",
        ),
        (
            "/liq 50000 2x long mark=100000000000000000000000000",
            "mark must be a positive number up to 10,000,000.",
        ),
        (
            "/funding 100000000000000000000000000 0.01% 3d",
            "Notional must be a positive number up to 1,000,000,000,000.",
        ),
        (
            "/liq 50000 20x long cross balance=100000000000000000000000000",
            "balance must be a positive number up to 1,000,000,000,000.",
        ),
    ],
)
async def test_huge_numbers_get_their_bound(
    chat: ChatHarness, message: str, first_line: str
) -> None:
    assert (await chat.ask(message)).split("\n")[0] == first_line


async def test_cross_without_a_venue_is_answered(chat: ChatHarness) -> None:
    reply = await chat.ask("/liq 50000 20x long cross balance=5000")
    assert reply.startswith("<b>long 20x: liquidation at 45,226.13 USDT</b>")
    assert "Cross-margin formula (Binance form, no tiers), default mmr: mmr 0.500%" in reply


async def test_a_built_in_warning_says_what_it_sends_not_that_it_crosses(chat: ChatHarness) -> None:
    assert await chat.ask("/watch ETH overheating") == (
        "Watching <b>ETH overheating</b> (rule #1). You'll get an alert when overheating starts "
        "or grows more severe; /watches lists your rules."
    )


async def test_a_live_entry_without_market_data_says_how_to_give_one(chat: ChatHarness) -> None:
    assert await chat.ask("/liq BTC 20x long") == (
        "Market data is switched off on this bot: give an entry price.\n" + USAGE_LIQ
    )
    assert (await chat.ask("/funding BTC 10000 long 3d")).startswith(
        "Live funding is off on this bot; give a rate.\nUsage: "
    )


async def test_a_group_member_is_told_what_only_admins_may_change(chat: ChatHarness) -> None:
    """Not an admin: /settings refuses with its own words (it used to speak of watch rules)."""
    group = -1002
    assert await chat.ask("/settings quiet off", chat_id=group) == (
        "Only this group's admins can change its settings."
    )
    assert await chat.ask("/watch BTC squeeze", chat_id=group) == (
        "Only this group's admins can change its watch rules. You can watch privately: DM me."
    )
    assert (await chat.ask("/settings", chat_id=group)).startswith("<b>Settings</b>\n")


async def test_a_price_level_is_watched_listed_and_edited(tmp_path: Path) -> None:
    """`price` without a window is a USD level; BTC is marked 60,000, so `< 70k` already holds
    and the reply says it rings with the next poll, as every new rule already true does."""
    level_help = (
        "A price level is a USD amount, like /watch BTC price &gt; 100k; a % change needs a "
        "window: /watch BTC price 1h &lt; -3%."
    )
    async with live_chat_harness(tmp_path) as chat:
        assert await chat.ask("/watch BTC price > 100k") == (
            "Watching <b>BTC price &gt; 100K</b> (rule #1). "
            "You'll get one alert when it crosses; /watches lists your rules."
        )
        assert await chat.ask("/watch BTC price < $70,000") == (
            "Watching <b>BTC price &lt; 70K</b> (rule #2). "
            "You'll get one alert when it crosses; /watches lists your rules.\n"
            "BTC is already at 60,000.00 (binance): the first alert comes with the next poll."
        )
        assert await chat.ask("/watch BTC price > 5%") == f"{level_help}\n{USAGE_WATCH}"
        assert await chat.ask("/watch * price > 100k") == (
            "A price level is for one asset, like /watch BTC price &gt; 100k: each has its "
            f"own.\n{USAGE_WATCH}"
        )
        listing = await chat.ask("/watches")
        assert listing.split("\n")[1:] == [
            "#1 <code>BTC price &gt; 100K</code>",
            "#2 <code>BTC price &lt; 70K</code>",
        ]
        assert (
            await chat.ask("/edit 1 105k")
            == "Rule #1 is now <b>BTC price &gt; 105K</b>, armed again."
        )
        assert await chat.ask("/edit 1 5%") == f"{level_help}\n{USAGE_EDIT}"
        assert "#1 <code>BTC price &gt; 105K</code>" in await chat.ask("/watches")
        assert await chat.ask("/edit 1 > 55k") == (
            "Rule #1 is now <b>BTC price &gt; 55K</b>, armed again.\n"
            "BTC is already at 60,000.00 (binance): the first alert comes with the next poll."
        )
