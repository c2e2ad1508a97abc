"""Alerts and digests speak each chat's /settings language, with its number format; a chat
that set none (a group, a channel) gets English."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.alerts.pipeline import AlertPipeline
from bot.rules.matcher import Matcher
from bot.usecases.watches import WatchService
from storage.db import make_session_factory
from storage.models import ChatSettings
from storage.repositories.chat_settings import ChatSettingsRepository
from storage.repositories.outbox import OutboxRepository
from storage.repositories.rules import RuleRepository
from tests.storage.test_alert_pipeline import NOW, crash_with_funding_spike

NB = "\u00a0"  # Russian puts a no-break space before %


async def test_each_chat_gets_its_alert_and_digest_in_its_language(engine: AsyncEngine) -> None:
    sessions = make_session_factory(engine)
    market = await crash_with_funding_spike(sessions)
    watch = WatchService(RuleRepository(sessions), Matcher(), cap=50)
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
        market, watch, outbox, asyncio.Event(), clock=lambda: NOW, chat_settings=settings
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
