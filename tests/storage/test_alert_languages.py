"""Alerts and digests speak each chat's /settings language, with its number format; a chat
that set none (a group, a channel) gets English."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.alerts.pipeline import AlertPipeline
from bot.alerts.watched_rules import WatchedRules
from storage.db import make_session_factory
from storage.models import ChatSettings
from storage.repositories.chat_settings import ChatSettingsRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.rules import RuleRepository
from tests.conftest import watch_service
from tests.storage.test_alert_pipeline import NOW, crash_with_funding_spike

NB = "\u00a0"  # Russian puts a no-break space before %


async def test_each_chat_gets_its_alert_and_digest_in_its_language(engine: AsyncEngine) -> None:
    sessions = make_session_factory(engine)
    market = await crash_with_funding_spike(sessions)
    watch = watch_service(sessions)
    for chat_id in (301, 302, -303):
        await watch.add(chat_id, 1, "BTC funding > 0.03% on bybit", NOW)
    settings = ChatSettingsRepository(sessions)
    await settings.save(
        ChatSettings(
            chat_id=301, timezone="Europe/Berlin", quiet_start=750, quiet_end=840, language="ru"
        )
    )
    await settings.save(ChatSettings(chat_id=302, language="tr"))
    outbox = OutboxRepository(sessions)
    pipeline = AlertPipeline(
        market, watch.watched, outbox, asyncio.Event(), clock=lambda: NOW, chat_settings=settings
    )
    await pipeline.after_poll()

    [held] = await outbox.messages(301)
    assert held.text.split("\n") == [
        "🌙 <b>Отложено на время тихих часов</b> (12:30–14:00 Europe/Berlin)",
        "",
        "<i>13:00</i> 🔔 <b>BTC funding &gt; 0.03% on bybit</b> — сработало (#1)",
        f"сейчас +0,0800{NB}% за 8 ч при пороге +0,0300{NB}% за 8 ч · bybit · данным 0 с",
    ]
    [turkish] = await outbox.messages(302)
    assert turkish.text.split("\n") == [
        "🔔 <b>BTC funding &gt; 0.03% on bybit</b> gerçekleşti (#2)",
        "şu an 8 saatte +%0,0800 eşik 8 saatte +%0,0300 · bybit · veri 0 sn önce",
    ]
    [group] = await outbox.messages(-303)
    assert group.text.split("\n") == [
        "🔔 <b>BTC funding &gt; 0.03% on bybit</b> crossed (#3)",
        "now +0.0800% per 8h vs +0.0300% per 8h · bybit · data 0s old",
    ]


async def test_a_broadcast_channel_posts_in_the_language_its_admin_set(
    engine: AsyncEngine,
) -> None:
    sessions = make_session_factory(engine)
    market = await crash_with_funding_spike(sessions)
    settings = ChatSettingsRepository(sessions)
    await settings.save(ChatSettings(chat_id=-1001501, language="ru"))
    outbox = OutboxRepository(sessions)
    pipeline = AlertPipeline(
        market,
        WatchedRules(RuleRepository(sessions)),
        outbox,
        asyncio.Event(),
        clock=lambda: NOW,
        chat_settings=settings,
        channels={"*": -1001500, "BTC": -1001501},
    )
    await pipeline.after_poll()
    [english] = await outbox.messages(-1001500)
    [russian] = await outbox.messages(-1001501)
    # The channel nobody set a language for gets the engine's English sentence.
    assert english.text.split("\n") == [
        "🚨 <b>BTC long squeeze in progress: OI -12.6% from its peak while price fell 10.0%; "
        "longs are being force-closed</b>",
        "<i>OI (contracts) from peak % -12.57, price from OI peak % -9.95, minutes since OI "
        "peak 110, funding 8h % +0.05; window 1h; checks: 1 price regime, 2 OI contracts vs "
        "notional, 4 funding; data 0s old</i>",
    ]
    assert russian.text.split("\n") == [
        f"🚨 <b>BTC: идёт лонг-сквиз: открытый интерес -12,6{NB}% от пика, цена упала на "
        f"10,0{NB}%; лонги закрывают принудительно</b>",
        "<i>ОИ (контракты) от пика % -12,57, цена от пика ОИ % -9,95, минут с пика ОИ 110, "
        "фандинг 8 ч % +0,05; окно 1h; проверки: 1 режим цены, 2 ОИ в контрактах и в "
        "долларах, 4 фандинг; возраст данных 0 мин</i>",
    ]
