"""The CLI runs the same core: exact JSON numbers, clear refusals, a live snapshot."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.exchange import FakeExchange

LATEST = "0017"  # the newest of storage/migrations/versions


def oiwatch(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_liq_json_has_numbers() -> None:
    result = oiwatch(
        "liq",
        "--entry",
        "50000",
        "--leverage",
        "50",
        "--side",
        "long",
        "--venue",
        "binance",
        "--symbol",
        "BTCUSDT",
        "--json",
    )
    data = json.loads(result.stdout)
    assert round(data["liquidation_price"], 2) == 49196.79
    assert round(data["distance_pct"], 3) == 1.606 and data["margin"] == 1000


def test_funding_json_has_numbers() -> None:
    result = oiwatch(
        "funding", "--notional", "10000", "--rate", "0.0001", "--hours", "72", "--json"
    )
    data = json.loads(result.stdout)
    assert data["total_cost"] == 9
    assert (data["intervals"], data["payer"], data["apr_simple"]) == (9, "long", 0.1095)


def test_pos_check_json_is_the_guards_evaluation() -> None:
    """B9 and P2 of risk-math §8: 50x long at 50,000 on Binance, mark 49,800."""
    args = ["--entry", "50000", "--leverage", "50", "--side", "long", "--venue", "binance"]
    result = oiwatch("pos", "check", *args, "--mark", "49800", "--atr", "300", "--json")
    data = json.loads(result.stdout)
    assert round(data["liquidation_price"], 2) == 49196.79
    assert round(data["distance_pct"], 4) == 1.2113
    assert round(data["distance_atr"], 4) == 2.0107  # 603.21 of room / 300
    assert (data["pnl"], data["levels_crossed"]) == (-200, [5, 2])
    bad = oiwatch("pos", "check", *args[:3], "160", *args[4:])
    assert bad.returncode == 2 and "binance BTCUSDT allows at most 150x" in bad.stderr


def test_ask_prints_the_bot_reply_and_refusals_exit_2() -> None:
    no_venues = {"OIWATCH_VENUES": ""}  # ask polls the configured venues once: none here
    assert "liquidation at 49,250.00" in oiwatch("ask", "/liq 50000 50x long", env=no_venues).stdout
    bad = oiwatch("liq", "--entry", "50000", "--leverage", "0", "--side", "long")
    assert bad.returncode == 2 and "leverage must be between 1 and 200" in bad.stderr
    run = oiwatch("run", env={"OIWATCH_TELEGRAM_TOKEN": ""})
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "OIWATCH_TELEGRAM_TOKEN" in run.stderr


def test_snapshot_with_no_venue_to_poll_says_so() -> None:
    result = oiwatch("snapshot", "btc", env={"OIWATCH_VENUES": ""})
    # It said "no data for BTC: not listed", as if the venues had been asked.
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "oiwatch: OIWATCH_VENUES is empty: no venue to poll; e.g. "
        "OIWATCH_VENUES=binance,okx oiwatch snapshot BTC\n",
    )


@pytest.mark.parametrize("as_json", [False, True])
async def test_snapshot_polls_the_venues(as_json: bool) -> None:
    async with FakeExchange() as fx:
        fx.set("BTC", mark=60000, index=60000, oi_coin=90000)
        e = fx.endpoints
        env = {
            "OIWATCH_BINANCE_URL": e.binance,
            "OIWATCH_BYBIT_URL": e.bybit,
            "OIWATCH_OKX_URL": e.okx,
            "OIWATCH_HYPERLIQUID_URL": e.hyperliquid,
        }
        args = ["snapshot", "btc", *(["--json"] if as_json else [])]
        result = await asyncio.to_thread(oiwatch, *args, env=env)
    assert result.returncode == 0, result.stderr
    if as_json:
        data = json.loads(result.stdout)
        assert {s["venue"] for s in data["snapshots"]} == {"binance", "bybit", "okx", "hyperliquid"}
        assert all(s["oi_usd"] == 5400000000 for s in data["snapshots"])
    else:
        assert "BTC perpetuals · 4 venues" in result.stdout
        assert "ALL         60,000   360k  21.6B" in result.stdout


@pytest.mark.parametrize("hours", ["-5", "0", "inf", "nan", "1e12", "x"])
def test_latency_refuses_a_look_back_that_is_no_span(hours: str) -> None:
    result = oiwatch("latency", "--hours", hours)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        f"oiwatch latency: error: argument --hours: {hours!r} is not a number of hours from "
        "above 0 to 876000, e.g. 24"
    )


def test_help_says_which_commands_need_telegram_and_what_db_upgrade_does() -> None:
    top = " ".join(oiwatch("--help").stdout.split())
    assert "`oiwatch run` runs the Telegram bot; `liq | funding | pos check | ask" in top
    assert "no Telegram needed" not in top  # it was said of run too
    db = " ".join(oiwatch("db", "--help").stdout.split())
    assert "upgrade: migrate OIWATCH_DATABASE_URL to this version (run also does at start)" in db


def test_db_downgrade_rolls_back_to_a_revision_and_upgrade_comes_back(tmp_path: Path) -> None:
    env = {"OIWATCH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"}
    assert (
        oiwatch("db", "upgrade", env=env).stdout
        == f"database is at revision {LATEST}, the latest\n"
    )
    down = oiwatch("db", "downgrade", "0012", env=env)
    assert (down.returncode, down.stdout) == (0, "database is at revision 0012\n")
    with sqlite3.connect(tmp_path / "bot.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("0012",)]
    assert oiwatch("db", "upgrade", env=env).returncode == 0

    for args, line in [
        (
            ("db", "downgrade"),
            "oiwatch: db downgrade needs the revision to go back to, e.g. oiwatch db downgrade "
            "0012 (revisions: storage/migrations/versions/NNNN_*.py)",
        ),
        (
            ("db", "downgrade", "9999"),
            "oiwatch: cannot downgrade to 9999: Can't locate revision identified by '9999'",
        ),
        (
            ("db", "upgrade", "0012"),
            "oiwatch: db upgrade takes no revision: it goes to the latest; to go back, "
            "db downgrade 0012",
        ),
    ]:
        result = oiwatch(*args, env=env)
        assert (result.returncode, result.stderr) == (2, line + "\n")


def test_db_current_says_where_the_database_is_and_migrates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    env = {"OIWATCH_DATABASE_URL": f"sqlite+aiosqlite:///{path}"}

    def current() -> tuple[int, str]:
        result = oiwatch("db", "current", env=env)
        return result.returncode, result.stdout + result.stderr

    assert current() == (
        1,
        f"OIWATCH_DATABASE_URL=sqlite+aiosqlite:///{path}: no database file yet; oiwatch db "
        f"upgrade (or run) creates it at revision {LATEST}\n",
    )
    assert not path.exists()
    path.touch()
    assert current() == (
        1,
        "database has no oiwatch tables yet; oiwatch db upgrade (or run) migrates it to "
        f"revision {LATEST}\n",
    )
    assert oiwatch("db", "upgrade", env=env).returncode == 0
    assert current() == (0, f"database is at revision {LATEST}, the latest\n")
    assert oiwatch("db", "downgrade", "0012", env=env).returncode == 0
    assert current() == (
        1,
        f"database is at revision 0012, behind this version's {LATEST}; oiwatch db upgrade "
        "(or run) migrates it\n",
    )
    with sqlite3.connect(path) as db:  # still behind: current only read it
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("0012",)]
        db.execute("UPDATE alembic_version SET version_num = '0099'")
    assert current() == (
        1,
        f"database is at revision 0099, which this version (latest {LATEST}) does not know: "
        "a newer oiwatch migrated it (docs/operations.md, Upgrade)\n",
    )


@pytest.mark.parametrize(
    "args",
    [
        ["replay", "tests/data/real/ipf_binance_um_BTCUSDT_metrics_5m_2025-10-10_cascade.csv"],
        ["liq", "--entry", "50000", "--leverage", "50", "--side", "long", "--json"],
    ],
    ids=["replay", "liq"],
)
def test_output_into_a_closed_pipe_ends_without_a_traceback(args: list[str]) -> None:
    # `oiwatch replay ... | head`: the reader is gone before the output is written.
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "OIWATCH_VENUES": ""},
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert (process.wait(timeout=60), stderr) == (141, "")
