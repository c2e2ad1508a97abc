"""`oiwatch run` with a bad setting, a database it cannot use or a token Telegram refuses: one
line on stderr naming what to fix, exit code 2, no traceback, never the token. Real processes."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from tests.e2e.conftest import TOKEN, spawn_bot
from tests.fakes.local_server import serve_locally
from tests.fakes.telegram_api import FakeTelegramAPI

EXIT_USAGE = 2


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


async def oiwatch_run(env: dict[str, str], *, max_file_bytes: int | None = None) -> Outcome:
    def limit_files() -> None:
        # A full disk, as SQLite meets it: every write past this size fails (EFBIG, not a
        # signal that would kill the process).
        assert max_file_bytes is not None
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=limit_files if max_file_bytes is not None else None,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return Outcome(process.returncode, stdout.decode(), stderr.decode())


def base_env(tmp_path: Path) -> dict[str, str]:
    return {
        "OIWATCH_TELEGRAM_TOKEN": TOKEN,
        "OIWATCH_TELEGRAM_API_URL": "http://127.0.0.1:9/bot",  # never reached in these cases
        "OIWATCH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        "OIWATCH_VENUES": "",
        "OIWATCH_HTTP_PORT": "0",
        "OIWATCH_LOG_LEVEL": "WARNING",
    }


def assert_one_line(outcome: Outcome, *needles: str) -> str:
    assert outcome.code == EXIT_USAGE, outcome.stderr
    lines = outcome.stderr.splitlines()
    assert len(lines) == 1, outcome.stderr
    assert "Traceback" not in outcome.stderr and outcome.stdout == ""
    for needle in needles:
        assert needle in lines[0]
    return lines[0]


# (variable, value, words of the line that say what is allowed)
BAD_SETTINGS = [
    ("OIWATCH_DATABASE_URL", "garbage", "SQLAlchemy URL"),
    ("OIWATCH_DATABASE_URL", "mysql://oiwatch:hunter2@db/oiwatch", "sqlite+aiosqlite"),
    ("OIWATCH_HTTP_PORT", "99999", "65535"),
    ("OIWATCH_LOG_LEVEL", "LOUD", "'WARNING'"),
    ("OIWATCH_VENUES", "nonsense", "binance, binance_coinm, bybit"),
    ("OIWATCH_SYMBOLS", "BTC,<b>", "letters or digits"),
    ("OIWATCH_SYMBOLS", "", "name at least one asset, e.g. BTC,ETH; OIWATCH_VENUES= turns"),
    ("OIWATCH_SYMBOLS", " , ", "name at least one asset"),
    ("OIWATCH_POLL_SECONDS", "nan", "finite"),
    ("OIWATCH_POLL_SECONDS", "-1", "greater than or equal to 0.5"),
    ("OIWATCH_POLL_SECONDS", "0", "greater than or equal to 0.5"),
    ("OIWATCH_DEFAULT_MMR", "2", "less than 0.5"),
    ("OIWATCH_RULES_PER_CHAT", "-1", "greater than or equal to 1"),
    ("OIWATCH_COMMAND_RATE_PER_MINUTE", "0", "greater than or equal to 1"),
    ("OIWATCH_ADMIN_CACHE_SECONDS", "inf", "finite"),
    ("OIWATCH_SNAPSHOT_RETENTION_DAYS", "0", "greater than or equal to 1"),
    ("OIWATCH_OUTBOX_RETENTION_DAYS", "0", "greater than or equal to 1"),
    ("OIWATCH_LEADER_RETRY_SECONDS", "-2", "greater than 0"),
    ("OIWATCH_MODE", "push", "'polling' or 'webhook'"),
    ("OIWATCH_TELEGRAM_API_URL", "api.telegram.org/bot", "https://"),
    ("OIWATCH_OKX_WS_URL", "https://ws.okx.com", "wss://"),
    ("OIWATCH_WEBHOOK_URL", "http://bot.example.com/hook", "https://"),
    ("OIWATCH_WEBHOOK_URL", "https://bot.example.com:8080/hook", "ports 80, 88, 443, 8443 only"),
    ("OIWATCH_WEBHOOK_URL", "https://bot.example.com:x/hook", "ports 80, 88, 443, 8443 only"),
    ("OIWATCH_CASCADE_QUIET_MINUTES", "0", "greater than 0"),
    ("OIWATCH_BROADCAST_CHANNELS", "BTC=oiwatch_btc", "ASSET=@channel"),
]


@pytest.mark.parametrize(("name", "value", "allowed"), BAD_SETTINGS)
async def test_a_bad_setting_is_one_line_and_exit_2(
    tmp_path: Path, name: str, value: str, allowed: str
) -> None:
    outcome = await oiwatch_run({**base_env(tmp_path), name: value})
    line = assert_one_line(outcome, f"{name}=", "is not allowed", allowed)
    assert "hunter2" not in line  # a password in the URL is never echoed
    assert not (tmp_path / "bot.db").exists()  # refused before anything was touched


@pytest.mark.parametrize(
    "token",
    [f"bot{TOKEN}", f'"{TOKEN}"', f"{TOKEN} x", TOKEN.replace(":", ""), f"{TOKEN}/", "garbage"],
    ids=["bot before it", "quoted", "a space", "no colon", "a slash", "a word"],
)
async def test_a_token_not_shaped_like_botfathers_is_one_line_without_it(
    tmp_path: Path, token: str
) -> None:
    outcome = await oiwatch_run({**base_env(tmp_path), "OIWATCH_TELEGRAM_TOKEN": token})
    assert_one_line(
        outcome,
        "oiwatch: OIWATCH_TELEGRAM_TOKEN is not shaped like a token from @BotFather: expected "
        "digits, a colon, then letters, digits, _ or -",
    )
    assert TOKEN.split(":")[1][:8] not in outcome.stderr and "garbage" not in outcome.stderr
    assert not (tmp_path / "bot.db").exists()  # refused before the database was migrated


@pytest.mark.parametrize("mode", ["WEBHOOK", "Webhook", " webhook "])
async def test_the_mode_is_read_in_any_case(tmp_path: Path, mode: str) -> None:
    outcome = await oiwatch_run({**base_env(tmp_path), "OIWATCH_MODE": mode})
    assert_one_line(outcome, "oiwatch: OIWATCH_MODE=webhook needs OIWATCH_WEBHOOK_URL")


@pytest.mark.parametrize("password", ["hun@ter2/x", "a:b@hunter2"])
async def test_a_password_holding_an_at_sign_is_refused_and_never_shown(
    tmp_path: Path, password: str
) -> None:
    url = f"postgresql+asyncpg://oiwatch:{password}@127.0.0.1:9/oiwatch"
    outcome = await oiwatch_run({**base_env(tmp_path), "OIWATCH_DATABASE_URL": url})
    # It was read as host "ter2/x" or "hunter2@127.0.0.1", and that part of it printed.
    assert assert_one_line(outcome) == (
        "oiwatch: OIWATCH_DATABASE_URL=postgresql+asyncpg://oiwatch:***@127.0.0.1:9/oiwatch is "
        "not allowed: more than one '@': write an '@' in the user name or password as %40, or "
        "pick a password of letters and digits (openssl rand -hex 24)"
    )


@pytest.mark.parametrize("url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"])
async def test_an_in_memory_database_is_refused(tmp_path: Path, url: str) -> None:
    # It ran, and a restart lost every rule, setting and queued alert.
    outcome = await oiwatch_run({**base_env(tmp_path), "OIWATCH_DATABASE_URL": url})
    assert assert_one_line(outcome) == (
        f"oiwatch: OIWATCH_DATABASE_URL={url} is in memory: rules, settings and queued alerts "
        "would be lost when the process ends; name a file, e.g. sqlite+aiosqlite:///oiwatch.db"
    )


async def test_a_missing_folder_for_sqlite_is_named(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'bot.db'}"
    outcome = await oiwatch_run({**base_env(tmp_path), "OIWATCH_DATABASE_URL": url})
    assert_one_line(outcome, "OIWATCH_DATABASE_URL=", f"no folder {tmp_path / 'missing'};")


async def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    url = "postgresql+asyncpg://oiwatch:hunter2@127.0.0.1:9/oiwatch"  # nothing listens on 9
    outcome = await oiwatch_run({**base_env(tmp_path), "OIWATCH_DATABASE_URL": url})
    line = assert_one_line(outcome, "OIWATCH_DATABASE_URL=", "cannot use the database")
    assert "Connect call failed" in line and "hunter2" not in line


async def test_a_full_disk_is_one_line(tmp_path: Path) -> None:
    outcome = await oiwatch_run(base_env(tmp_path), max_file_bytes=16_384)
    assert_one_line(outcome, "OIWATCH_DATABASE_URL=", "cannot use the database: disk I/O error")


@pytest.mark.parametrize("refusal", ["revoked token", "wrong API URL"])
@pytest.mark.parametrize("level", ["WARNING", "DEBUG"])
async def test_a_refused_token_is_one_line_without_the_token(
    tmp_path: Path, refusal: str, level: str
) -> None:
    # The fake answers 401 to any other token; a path it does not serve answers 404.
    async with FakeTelegramAPI(token="987654321:" + "Z" * 35) as api:
        url = api.base_url if refusal == "revoked token" else api.base_url.replace("/bot", "/x/bot")
        env = {**base_env(tmp_path), "OIWATCH_TELEGRAM_API_URL": url, "OIWATCH_LOG_LEVEL": level}
        outcome = await oiwatch_run(env)
    assert TOKEN not in outcome.stdout + outcome.stderr
    assert TOKEN.split(":")[1] not in outcome.stdout + outcome.stderr
    expected = (
        "oiwatch: Telegram refused the token (401)"
        if refusal == "revoked token"
        else f"oiwatch: no Bot API at {url} (404)"
    )
    assert outcome.code == EXIT_USAGE and "Traceback" not in outcome.stderr
    # At DEBUG, worker threads may still log after it: the line is there once, not last.
    ours = [line for line in outcome.stderr.splitlines() if line.startswith("oiwatch: ")]
    assert len(ours) == 1 and ours[0].startswith(expected)
    if level == "WARNING":
        assert_one_line(outcome)


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/bot", "http://127.0.0.1:9"])
async def test_an_unreachable_bot_api_is_one_line(tmp_path: Path, url: str) -> None:
    # A local Bot API server's address given without /bot is read as its /bot endpoint, not
    # glued to the token ("Invalid port: '9123:...'").
    env = {**base_env(tmp_path), "OIWATCH_TELEGRAM_API_URL": url}
    outcome = await oiwatch_run(env)  # nothing listens on port 9
    assert_one_line(outcome, "cannot reach the Bot API at http://127.0.0.1:9/bot: httpx.")
    assert TOKEN not in outcome.stderr


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            200,
            "no Bot API at {url}: it answered a page that is not JSON; check "
            "OIWATCH_TELEGRAM_API_URL",
        ),
        (
            403,
            "no Bot API at {url}: it answered Forbidden (403) with a body that is not JSON; "
            "check OIWATCH_TELEGRAM_API_URL",
        ),
        (502, "cannot reach the Bot API at {url}: Bad Gateway (502) with a body that is not JSON"),
    ],
    ids=["a 200 page", "a proxy's 403", "a proxy's 502"],
)
async def test_a_web_page_where_the_bot_api_should_be_is_one_line(
    tmp_path: Path, status: int, expected: str
) -> None:
    # A wrong OIWATCH_TELEGRAM_API_URL (a site, a proxy's refusal): its HTML page used to end
    # the start in a traceback, or be quoted whole in the line.
    async def page(_request: web.Request) -> web.Response:
        return web.Response(status=status, text="<html>" + "x" * 500 + "</html>")

    site = web.Application()
    site.router.add_route("*", "/{tail:.*}", page)
    runner, port = await serve_locally(site)
    try:
        url = f"http://127.0.0.1:{port}/bot"
        outcome = await oiwatch_run({**base_env(tmp_path), "OIWATCH_TELEGRAM_API_URL": url})
    finally:
        await runner.cleanup()
    assert assert_one_line(outcome) == "oiwatch: " + expected.format(url=url)


async def test_a_sqlite_path_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    # The path is a folder: SQLite cannot open it. aiosqlite's worker thread used to outlive
    # the loop and print its own traceback after the line (about every other start), so
    # several starts at once.
    env = {**base_env(tmp_path), "OIWATCH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}"}
    for outcome in await asyncio.gather(*(oiwatch_run(env) for _ in range(4))):
        assert_one_line(
            outcome, "cannot use the database: unable to open database file", str(tmp_path)
        )


@pytest.mark.parametrize(
    "command", [["db", "upgrade"], ["db", "downgrade", "0012"], ["db", "current"], ["latency"]]
)
@pytest.mark.parametrize(
    "url", ["postgresql+asyncpg://oiwatch:hunter2@127.0.0.1:9/oiwatch", "sqlite+aiosqlite:///"]
)
def test_db_commands_on_a_database_they_cannot_use_are_one_line(
    tmp_path: Path, command: list[str], url: str
) -> None:
    url = url if url.startswith("postgresql") else f"{url}{tmp_path / 'missing' / 'bot.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "bot", *command],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "OIWATCH_DATABASE_URL": url},
    )
    outcome = Outcome(result.returncode, result.stdout, result.stderr)
    line = assert_one_line(outcome, "oiwatch: OIWATCH_DATABASE_URL=")
    assert "hunter2" not in line
    assert ("Connect call failed" if "hunter2" in url else "no folder") in line


async def test_a_busy_webhook_port_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        async with FakeTelegramAPI(token=TOKEN) as api:
            env = {
                **base_env(tmp_path),
                "OIWATCH_TELEGRAM_API_URL": api.base_url,
                "OIWATCH_MODE": "webhook",
                "OIWATCH_WEBHOOK_URL": "https://bot.example.test/telegram",
                "OIWATCH_WEBHOOK_SECRET": "s3cret_token-for-tests",
                "OIWATCH_HTTP_HOST": "127.0.0.1",
                "OIWATCH_HTTP_PORT": str(port),
            }
            outcome = await oiwatch_run(env)
    assert_one_line(
        outcome,
        f"oiwatch: cannot listen on 127.0.0.1:{port} (address already in use): webhook mode "
        "needs it; set OIWATCH_HTTP_PORT to a free port",
    )


async def test_a_second_run_on_the_same_sqlite_file_is_one_line(tmp_path: Path) -> None:
    # Both would lead (SQLite has no leader lock): poll Telegram and queue every alert twice.
    env = base_env(tmp_path)
    async with FakeTelegramAPI(token=TOKEN) as api:
        first = await spawn_bot(api, env["OIWATCH_DATABASE_URL"])
        try:
            await api.wait_for("getUpdates", timeout=30)
            second = await oiwatch_run({**env, "OIWATCH_TELEGRAM_API_URL": api.base_url})
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        assert_one_line(
            second,
            f"oiwatch: OIWATCH_DATABASE_URL={env['OIWATCH_DATABASE_URL']}: another oiwatch run "
            "uses this database; stop it first (two would both lead: poll Telegram, run the "
            "alerts and send them), or run replicas on PostgreSQL",
        )
        gets = len(api.calls("getUpdates"))
        # The lock goes with the process, however it ended: the next start runs.
        after = await spawn_bot(api, env["OIWATCH_DATABASE_URL"])
        try:
            await api.wait_for(lambda: len(api.calls("getUpdates")) > gets, timeout=30)
        finally:
            after.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(after.wait(), timeout=15) == 0


async def test_a_database_a_newer_version_migrated_says_how_to_roll_back(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    with sqlite3.connect(tmp_path / "bot.db") as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        db.execute("INSERT INTO alembic_version VALUES ('0099')")
    assert_one_line(
        await oiwatch_run(env),
        "cannot use the database: Can't locate revision identified by '0099': a newer oiwatch "
        "migrated it; run that version, or restore the backup taken before the upgrade",
    )
