"""While the database is down the leader keeps polling Telegram: commands that need no
database answer as always, the others say storage is unavailable; once it is back, everything
answers again, with no restart. Real bot over HTTP, on SQLite and on a PostgreSQL we cut."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from handlers.errors import NO_STORAGE
from tests.e2e.conftest import RunningBot, start_bot
from tests.e2e.test_supervision import health, health_until
from tests.e2e.test_webhook_and_ops import free_port
from tests.fakes.tcp_cut import CuttableRelay

POSTGRES_PORT = 5432


async def assert_db_free_commands_answer(bot: RunningBot) -> None:
    assert "long 50x: liquidation at 49,250.00" in await bot.ask("/liq 50000 50x long")
    funding = await bot.ask("/funding 10000 0.01% 3d")
    assert "Settlements crossed: 9 × 1.00 = <b>9.00</b>" in funding
    assert "/watch" in await bot.ask("/help")
    assert await bot.ask("/start")


@contextlib.contextmanager
def sqlite_unavailable() -> Iterator[None]:
    """Every statement on every engine fails as an unreadable database file does."""

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise OperationalError("", {}, Exception("unable to open database file"))

    event.listen(Engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(Engine, "before_cursor_execute", refuse)


async def test_sqlite_down_db_free_commands_answer_the_rest_say_so(tmp_path: Path) -> None:
    async with start_bot(tmp_path, http_host="127.0.0.1", http_port=free_port()) as bot:
        assert "No rules here yet" in await bot.ask("/watches")
        with sqlite_unavailable():
            await assert_db_free_commands_answer(bot)
            assert await bot.ask("/watches") == NO_STORAGE
            assert await bot.ask("/watch BTC funding > 0.05%") == NO_STORAGE
            status, body = await health(bot)
            assert (status, body["status"], body["role"]) == (503, "down", "leader")
        assert "No rules here yet" in await bot.ask("/watches")
        status, _body = await health(bot)
        assert status == 200


@pytest.mark.timeout(60)
async def test_postgres_cut_leader_keeps_polling_and_takes_the_lock_back(
    tmp_path: Path, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set OIWATCH_TEST_DATABASE_URL)")
    url = make_url(database_url)
    async with CuttableRelay(url.host or "127.0.0.1", url.port or POSTGRES_PORT) as relay:
        through_relay = url.set(host="127.0.0.1", port=relay.port)
        async with start_bot(
            tmp_path,
            database_url=through_relay.render_as_string(hide_password=False),
            http_host="127.0.0.1",
            http_port=free_port(),
            leader_retry_seconds=0.2,
        ) as bot:
            assert "No rules here yet" in await bot.ask("/watches")
            await relay.cut()
            # The leader notices within a retry period; before this fix it stopped polling
            # Telegram here, and /liq went unanswered until the database was back.
            await health_until(bot, lambda status, _body: status == 503)
            await assert_db_free_commands_answer(bot)
            assert await bot.ask("/watches") == NO_STORAGE
            assert (await health(bot))[1]["role"] == "leader"
            relay.restore()
            _status, body = await health_until(bot, lambda status, _body: status == 200)
            assert body["role"] == "leader"
            assert "No rules here yet" in await bot.ask("/watches")
            assert "rule #1" in await bot.ask("/watch BTC funding > 0.05%")
