"""The same commands in every language: the reader's words and the reader's number format
(Russian groups thousands with a no-break space, Spanish with a dot; Turkish puts % first),
chosen by /settings lang, else Telegram's language_code, else English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.app import publish_menu
from bot.i18n import LANGUAGES, Language, use_language
from bot.runtime.ratelimit import CommandLimiter
from handlers.start import BY_NAME, help_text
from tests.handlers.harness import USER, ChatHarness, chat_harness

NB = "\u00a0"  # CLDR's group sign and percent spacing in Russian and Spanish

LIQ = {
    "en": [
        "<b>long 50x: liquidation at 49,250.00 USDT</b>",
        "Distance: 1.50% (750.00 USDT) from entry 50,000.00 USDT",
        "Margin: 1,000.00 USDT on 50,000.00 USDT notional",
    ],
    "ru": [
        f"<b>long 50x: ликвидация по 49{NB}250,00 USDT</b>",
        f"Расстояние: 1,50{NB}% (750,00 USDT) от входа 50{NB}000,00 USDT",
        f"Маржа: 1{NB}000,00 USDT на позицию 50{NB}000,00 USDT",
    ],
    "es": [
        "<b>long 50x: liquidación en 49.250,00 USDT</b>",
        f"Distancia: 1,50{NB}% (750,00 USDT) desde la entrada 50.000,00 USDT",
        "Margen: 1.000,00 USDT sobre un nocional de 50.000,00 USDT",
    ],
    "pt": [
        "<b>long 50x: liquidação em 49.250,00 USDT</b>",
        "Distância: 1,50% (750,00 USDT) da entrada 50.000,00 USDT",
        "Margem: 1.000,00 USDT sobre um nocional de 50.000,00 USDT",
    ],
    "tr": [
        "<b>long 50x: likidasyon fiyatı 49.250,00 USDT</b>",
        "Mesafe: giriş 50.000,00 USDT fiyatından %1,50 (750,00 USDT)",
        "Teminat: 50.000,00 USDT pozisyon için 1.000,00 USDT",
    ],
    "zh": [
        "<b>long 50x：强平价 49,250.00 USDT</b>",
        "距离：距开仓价 50,000.00 USDT 为 1.50%（750.00 USDT）",
        "保证金：1,000.00 USDT，仓位价值 50,000.00 USDT",
    ],
}
FUNDING = {
    "en": [
        "<b>Long 10,000.00 USDT at +0.0100% per 8h, held 3d</b>",
        "You pay: longs pay shorts.",
        "Settlements crossed: 9 × 1.00 = <b>9.00</b> USDT",
        "Annualized: 10.95% simple, 11.57% compounded",
    ],
    "ru": [
        f"<b>Лонг 10{NB}000,00 USDT, ставка +0,0100{NB}% за 8 ч, удержание 3 д</b>",
        "Вы платите: лонги платят шортам.",
        "Расчётов за срок: 9 × 1,00 = <b>9,00</b> USDT",
        f"Годовых: 10,95{NB}% простых, 11,57{NB}% сложных",
    ],
    "es": [
        f"<b>Long 10.000,00 USDT a +0,0100{NB}% cada 8 h, mantenido 3 d</b>",
        "Pagas tú: los largos pagan a los cortos.",
        "Cobros en el periodo: 9 × 1,00 = <b>9,00</b> USDT",
        f"Anualizado: 10,95{NB}% simple, 11,57{NB}% compuesto",
    ],
    "pt": [
        "<b>Long 10.000,00 USDT a +0,0100% a cada 8 h, mantido por 3 d</b>",
        "Você paga: longs pagam shorts.",
        "Cobranças no período: 9 × 1,00 = <b>9,00</b> USDT",
        "Anualizado: 10,95% simples, 11,57% composto",
    ],
    "tr": [
        "<b>Long 10.000,00 USDT, 8 sa başına +%0,0100, 3 g tutuluyor</b>",
        "Siz ödersiniz: long'lar short'lara öder.",
        "Dönemdeki ödemeler: 9 × 1,00 = <b>9,00</b> USDT",
        "Yıllık: %10,95 basit, %11,57 bileşik",
    ],
    "zh": [
        "<b>做多 10,000.00 USDT，每 8小时 费率 +0.0100%，持有 3天</b>",
        "你支付：多头付给空头。",
        "期间结算次数：9 × 1.00 = <b>9.00</b> USDT",
        "年化：单利 10.95%，复利 11.57%",
    ],
}
WATCH = {
    "en": "Watching <b>BTC funding &gt; 0.05%</b> (rule #1). You'll get one alert when it "
    "crosses; /watches lists your rules.",
    "ru": "Слежу за <b>BTC funding &gt; 0.05%</b> (правило #1). Придёт одно уведомление, когда "
    "условие сработает; /watches — список ваших правил.",
    "es": "Vigilando <b>BTC funding &gt; 0.05%</b> (regla #1). Recibirás una alerta cuando se "
    "cumpla; /watches muestra tus reglas.",
    "pt": "Monitorando <b>BTC funding &gt; 0.05%</b> (regra #1). Você recebe um alerta quando "
    "ela for atingida; /watches lista suas regras.",
    "tr": "<b>BTC funding &gt; 0.05%</b> takip ediliyor (kural #1). Koşul gerçekleşince bir "
    "uyarı gelir; kurallarınız: /watches.",
    "zh": "正在监控 <b>BTC funding &gt; 0.05%</b>（规则 #1）。触发时会收到一条提醒；/watches "
    "列出你的规则。",
}
WATCHES_TITLE = {
    "en": "Watch rules",
    "ru": "Правила отслеживания",
    "es": "Reglas de vigilancia",
    "pt": "Regras de alerta",
    "tr": "Takip kuralları",
    "zh": "监控规则",
}
CODES = list(LIQ)


@pytest.mark.parametrize("code", CODES)
async def test_liq_in_the_users_language(chat: ChatHarness, code: str) -> None:
    text = await chat.ask("/liq 50000 50x long", language_code=code)
    for line in LIQ[code]:
        assert line in text.split("\n"), f"{line!r} not in:\n{text}"
    assert "one-way" not in text or code == "en", text  # the assumptions are translated too


@pytest.mark.parametrize("code", CODES)
async def test_funding_in_the_users_language(chat: ChatHarness, code: str) -> None:
    text = await chat.ask("/funding 10000 0.01% 3d", language_code=code)
    lines = text.split("\n")
    for expected in FUNDING[code]:
        assert any(line.startswith(expected) for line in lines), f"{expected!r} not in:\n{text}"


@pytest.mark.parametrize("code", CODES)
async def test_watch_and_its_list_in_the_users_language(chat: ChatHarness, code: str) -> None:
    assert await chat.ask("/watch BTC funding > 0.05%", language_code=code) == WATCH[code]
    listing = await chat.ask("/watches", language_code=code)
    assert listing == f"<b>{WATCHES_TITLE[code]}</b>\n#1 <code>BTC funding &gt; 0.05%</code>"
    # The list's delete button refreshes a list written in any language.
    calls = await chat.press("rule:del:1", message_text=WATCHES_TITLE[code])
    edited = [call for call in calls if call.method == "editMessageText"]
    assert edited, [call.method for call in calls]


@pytest.mark.parametrize(
    ("telegram_code", "expected"),
    [("pt-br", "pt"), ("zh-hans", "zh"), ("ru-RU", "ru"), ("de", "en"), (None, "en")],
)
async def test_regional_codes_map_to_the_base_language(
    chat: ChatHarness, telegram_code: str | None, expected: str
) -> None:
    text = await chat.ask("/liq 50000 50x long", language_code=telegram_code)
    assert text.startswith(LIQ[expected][0]), text


async def test_settings_lang_wins_over_telegram_and_auto_gives_it_back(chat: ChatHarness) -> None:
    confirmed = await chat.ask("/settings lang es", language_code="ru")
    assert confirmed.startswith("Idioma: Español.\n\n<b>Ajustes</b>"), confirmed
    assert (await chat.ask("/liq 50000 50x long", language_code="ru")).startswith(LIQ["es"][0])
    automatic = await chat.ask("/settings lang auto", language_code="ru")
    assert automatic.startswith("Язык: автоматически.\n\n<b>Настройки</b>"), automatic
    assert (await chat.ask("/liq 50000 50x long", language_code="ru")).startswith(LIQ["ru"][0])
    refused = await chat.ask("/settings lang xx")
    assert refused.startswith("I speak en, ru, es, pt, tr, zh.\nUsage: <code>/settings"), refused


@pytest.mark.parametrize(
    ("word", "answer"),
    [
        ("Russian", "Язык: Русский."),
        ("русский", "Язык: Русский."),
        ("español", "Idioma: Español."),
        ("portugues", "Idioma: Português (Brasil)."),
        ("Turkish", "Dil: Türkçe."),
        ("中文", "语言：简体中文。"),
    ],
)
async def test_a_language_named_in_english_or_in_itself_is_chosen(
    chat: ChatHarness, word: str, answer: str
) -> None:
    """Before, only the two-letter code was taken: 'русский' got 'I speak en, ru, ...'."""
    reply = await chat.ask(f"/settings lang {word}")
    assert reply.split("\n")[0] == answer, reply


async def test_a_group_speaks_english_until_an_admin_sets_its_language(
    chat: ChatHarness,
) -> None:
    group = -1001
    text = await chat.ask("/liq 50000 50x long", chat_id=group, language_code="ru")
    assert text.startswith(LIQ["en"][0]), text  # members differ: one member's app does not decide
    chat.request.admins.add((group, USER))
    assert (await chat.ask("/settings lang tr", chat_id=group)).startswith("Dil: Türkçe.")
    text = await chat.ask("/liq 50000 50x long", chat_id=group, language_code="ru")
    assert text.startswith(LIQ["tr"][0]), text


async def test_numbers_typed_the_russian_or_spanish_way(chat: ChatHarness) -> None:
    english = await chat.ask("/liq 49250.5 50x long")
    assert english.startswith("<b>long 50x: liquidation at 48,511.74 USDT</b>"), english
    for typed in ("49 250,5", "49.250,5", "49250,5", "49,250.5"):
        assert await chat.ask(f"/liq {typed} 50x long") == english, typed
    russian = await chat.ask("/liq 49 250,5 50x long", language_code="ru")
    assert russian.startswith(f"<b>long 50x: ликвидация по 48{NB}511,74 USDT</b>"), russian
    funding = await chat.ask("/funding 10 000 0,01% 3d", language_code="es")
    assert "Cobros en el periodo: 9 × 1,00 = <b>9,00</b> USDT" in funding, funding


async def test_a_dollar_sign_on_an_amount_is_read(chat: ChatHarness) -> None:
    """'$50000' or '50000$', as traders write prices and sizes: every amount here is dollars."""
    plain = await chat.ask("/liq 50000 50x long")
    assert await chat.ask("/liq $50000 50x long") == plain
    assert await chat.ask("/liq 50000$ 50x long") == plain
    assert await chat.ask("/funding $10k 0.01% 3d") == await chat.ask("/funding 10k 0.01% 3d")
    assert (await chat.ask("/watch BTC liq 1h > $50M")).startswith(
        "Watching <b>BTC liq 1h &gt; 50M</b> (rule #1)."
    )


async def test_a_percent_written_apart_is_the_numbers(chat: ChatHarness) -> None:
    """'0,01 %' as the Russian, Spanish and Portuguese replies themselves write it (with a
    no-break space), copied back, or typed with a space."""
    russian = await chat.ask("/funding 10000 0,01% 3d", language_code="ru")
    assert f"ставка +0,0100{NB}% за 8 ч" in russian, russian
    for typed in (f"0,01{NB}%", "0,01 %"):
        assert await chat.ask(f"/funding 10000 {typed} 3d", language_code="ru") == russian
    assert (await chat.ask(f"/watch ETH funding > 0,05{NB}%")).startswith(
        "Watching <b>ETH funding &gt; 0.05%</b> (rule #1)."
    )
    assert (await chat.ask("/edit 1 0,08 %")).startswith(
        "Rule #1 is now <b>ETH funding &gt; 0.08%</b>, armed again."
    )


async def test_a_typographic_minus_is_a_minus(chat: ChatHarness) -> None:
    """'−0.05%' (U+2212) as a web page or a phone's math keyboard writes it."""
    hyphen = await chat.ask("/funding 10000 -0.01% 3d short")
    assert hyphen.startswith("<b>Short 10,000.00 USDT at -0.0100% per 8h, held 3d</b>"), hyphen
    assert await chat.ask("/funding 10000 \u22120.01% 3d short") == hyphen
    assert (await chat.ask("/watch BTC funding < \u22120.05%")).startswith(
        "Watching <b>BTC funding &lt; -0.05%</b> (rule #1)."
    )
    assert (await chat.ask("/edit 1 \u22120.1%")).startswith(
        "Rule #1 is now <b>BTC funding &lt; -0.1%</b>, armed again."
    )


async def test_the_command_menu_is_published_in_every_language(chat: ChatHarness) -> None:
    before = len(chat.request.calls)
    await publish_menu(chat.app)
    menus = {
        call.params.get("language_code"): call.params["commands"]
        for call in chat.request.calls[before:]
        if call.method == "setMyCommands"
    }
    assert set(menus) == {None, "ru", "es", "pt", "tr", "zh"}
    for commands in menus.values():  # the same command names everywhere
        assert [c["command"] for c in commands] == [c["command"] for c in menus[None]]
    descriptions = {code: menus[code][0]["description"] for code in menus}
    assert descriptions == {
        None: "Liquidation price, distance, margin and loss",
        "ru": "Цена ликвидации, расстояние до неё, маржа и убыток",
        "es": "Precio de liquidación, distancia, margen y pérdida",
        "pt": "Preço de liquidação, distância, margem e perda",
        "tr": "Likidasyon fiyatı, mesafe, teminat ve zarar",
        "zh": "强平价、距离、保证金和亏损",
    }


async def test_inline_answers_speak_the_users_language(chat: ChatHarness) -> None:
    calls = await chat.inline("50000 50x long", language_code="es")
    [answer] = [call for call in calls if call.method == "answerInlineQuery"]
    [result] = answer.params["results"]
    assert result["title"] == "long 50x: liquidación en 49.250,00 USDT"
    assert result["description"] == "Toca para enviar"
    calls = await chat.inline("", language_code="tr")
    [answer] = [call for call in calls if call.method == "answerInlineQuery"]
    assert answer.params["button"]["text"] == "Yazın: giriş kaldıraç yön, örn. 50000 50x long"


async def test_inline_answers_are_cached_for_their_asker_only(chat: ChatHarness) -> None:
    """Telegram hands a shared cached answer to anyone typing the same query: a Spanish
    answer must not reach the next English user who types '50000 50x long'."""
    for query in ("50000 50x long", "50000", ""):
        calls = await chat.inline(query, language_code="es")
        [answer] = [call for call in calls if call.method == "answerInlineQuery"]
        assert answer.params["is_personal"] is True, query


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_help_fits_one_message_in_every_language(language: Language) -> None:
    with use_language(language):
        texts = [help_text("oiwatch_bot"), *(help_text(None, name) for name in BY_NAME)]
    assert max(len(text) for text in texts) < 4096


async def test_rule_mistakes_and_european_decimals_in_watch(chat: ChatHarness) -> None:
    refused = await chat.ask("/watch BTC oi > 5%", language_code="ru")
    assert refused.split("\n")[:2] == [
        "Для «oi» нужно окно: 5m, 15m, 1h, 4h, 24h.",
        "Формат: <code>/watch &lt;asset|*&gt; &lt;oi|oi$|funding|basis|price|liq|squeeze|"
        "overheating&gt; [5m|15m|1h|4h|24h] [&gt; or &lt;] [value] [on venue]</code>",
    ], refused
    watching = await chat.ask("/watch ETH funding > 0,05%", language_code="es")
    assert watching.startswith("Vigilando <b>ETH funding &gt; 0.05%</b> (regla #1)."), watching


async def test_a_database_outage_keeps_replies_in_telegrams_language(
    chat: ChatHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(_chat_id: int) -> None:
        raise OSError("connection refused")

    assert chat.services.chat_settings is not None
    monkeypatch.setattr(chat.services.chat_settings, "get", down)
    text = await chat.ask("/liq 50000 50x long", language_code="es")
    assert text.startswith(LIQ["es"][0]), text


async def test_russian_plurals_count_like_russian(chat: ChatHarness) -> None:
    for rule in ("BTC funding > 0.05%", "ETH funding > 0.05%"):
        await chat.ask(f"/watch {rule}", language_code="ru")
    assert await chat.ask("/unwatch all", language_code="ru") == "Удалено 2 правила."
    await chat.ask("/watch BTC funding > 0.05%", language_code="ru")
    assert await chat.ask("/unwatch all", language_code="ru") == "Удалено 1 правило."
    # Nothing left: not "no such rule", which answers a rule id.
    assert await chat.ask("/unwatch all", language_code="ru") == (
        "Правил пока нет. Попробуйте <code>/watch BTC oi 1h &gt; 5%</code>"
    )
    assert await chat.ask("/unwatch all") == (
        "No rules here yet. Try <code>/watch BTC oi 1h &gt; 5%</code>"
    )


async def test_pos_mistakes_in_russian(chat: ChatHarness) -> None:
    text = await chat.ask("/pos add BTC long 50000 50x", language_code="ru")
    assert text.split("\n")[0] == "Укажите размер позиции в монетах: size=0.2."
    text = await chat.ask("/pos moon", language_code="ru")
    assert text.split("\n")[0] == "Что сделать с вашими позициями?"


async def test_score_refusals_in_russian(chat: ChatHarness) -> None:
    empty = await chat.ask("/score BTC", language_code="ru")
    assert empty == "Для оценки BTC пока нет сохранённой истории."
    extra = await chat.ask("/score BTC ETH", language_code="ru")
    assert extra.split("\n")[0] == "Только актив, пожалуйста."


async def test_a_size_in_coins_takes_the_russian_plural(chat: ChatHarness) -> None:
    """No symbol, so the size is counted in 'coins': ru one/few/many, a fraction genitive."""
    lines = []
    for size in ("1", "2", "5", "21", "0,5"):
        text = await chat.ask(f"/liq 50000 50x long size={size}", language_code="ru")
        lines += [line for line in text.split("\n") if line.startswith("Размер")]
    assert lines == [
        f"Размер: 1 монета = позиция 50{NB}000,00 USDT",
        f"Размер: 2 монеты = позиция 100{NB}000,00 USDT",
        f"Размер: 5 монет = позиция 250{NB}000,00 USDT",
        f"Размер: 21 монета = позиция 1{NB}050{NB}000,00 USDT",
        f"Размер: 0,5 монеты = позиция 25{NB}000,00 USDT",
    ]
    inverse = await chat.ask("/liq 50000 50x long bybit btcusd inverse size=1", language_code="ru")
    assert "Размер: 1 контракт по 1 USD = позиция 1,00 USD, 0,00002 BTC по цене входа" in inverse


async def test_a_budget_of_one_command_is_said_in_the_singular(chat: ChatHarness) -> None:
    chat.services.limiter = CommandLimiter(1)
    said = []
    for code, other_user in (("en", USER + 1), ("ru", USER + 2)):
        await chat.ask("/liq 50000 50x long", user_id=other_user, language_code=code)
        said.append(await chat.ask("/liq 50000 50x long", user_id=other_user, language_code=code))
    assert [re.sub(r"\d+(?= ?[sс]\.$)", "N", line) for line in said] == [
        "Easy there: 1 command a minute at most. Try again in Ns.",
        "Не так быстро: не больше 1 команды в минуту. Попробуйте через N с.",
    ]


async def test_a_cap_of_one_rule_is_said_in_the_singular(tmp_path: Path) -> None:
    said = []
    async with chat_harness(tmp_path, rules_per_chat=1) as chat:
        for code, user in (("en", USER + 1), ("ru", USER + 2)):
            await chat.ask("/watch BTC squeeze", chat_id=user, user_id=user, language_code=code)
            said.append(
                await chat.ask("/watch ETH squeeze", chat_id=user, user_id=user, language_code=code)
            )
    assert said == [
        "This chat has 1 rule, the most allowed. Remove it with /watches.",
        "В этом чате уже 1 правило — это максимум. Удалите одно через /watches.",
    ]
