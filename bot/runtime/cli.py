"""`oiwatch run` runs the Telegram bot; `liq | funding | pos check | ask | snapshot | replay |
evaluate | latency | db upgrade | db current` need no Telegram."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import ValidationError

from bot.config import (
    MalformedTokenError,
    MissingTokenError,
    RunMode,
    Settings,
    WebhookConfigError,
    describe_errors,
)
from bot.errors import StartupError, UserError
from bot.positions.model import GUARD_VENUES
from bot.risk.funding import quote_funding
from bot.risk.models import FundingRequest, LiqRequest, MarginMode, RiskInputError
from bot.risk.quote import SUPPORTED_VENUES, quote_liquidation
from bot.risk.side import Side
from bot.runtime.logging_setup import configure_logging

EXIT_USAGE = 2
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for a tool SIGPIPE ended
MAX_LOOKBACK_HOURS = 36_500 * 24  # the longest outbox retention


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _hours(text: str) -> float:
    """A look-back for `latency`: the outbox keeps at most OIWATCH_OUTBOX_RETENTION_DAYS."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value <= MAX_LOOKBACK_HOURS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of hours from above 0 to {MAX_LOOKBACK_HOURS}, e.g. 24"
        )
    return value


def _jsonable(value: Any) -> Any:
    """Decimals become JSON numbers (not strings); enums their value; dataclasses dicts."""
    if isinstance(value, Decimal):
        # Quantized to 10 places, float's shortest repr prints the same digits back.
        return int(value) if value == value.to_integral_value() else float(round(value, 10))
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _print_result(result: Any, as_json: bool, **extra: Any) -> None:
    data = {**_jsonable(result), **extra}
    if as_json:
        print(json.dumps(data))
        return
    for key, value in data.items():
        if key != "request" and value is not None:
            print(f"{key}: {value}")


def _cmd_liq(args: argparse.Namespace, settings: Settings) -> int:
    request = LiqRequest(
        entry=args.entry,
        leverage=args.leverage,
        side=Side(args.side),
        mark=args.mark,
        mmr=args.mmr,
        venue=args.venue,
        symbol=args.symbol.upper() if args.symbol else None,
        size=args.size,
        inverse=args.inverse,
        margin_mode=MarginMode.CROSS if args.cross_balance else MarginMode.ISOLATED,
        cross_balance=args.cross_balance,
        fee_rate=args.fee,
    )
    quote = quote_liquidation(request, default_mmr=settings.default_mmr)
    _print_result(quote, args.json)
    return 0


def _cmd_funding(args: argparse.Namespace, settings: Settings) -> int:
    request = FundingRequest(
        notional=args.notional,
        rate=args.rate,
        hold_hours=args.hours,
        interval_hours=args.interval_hours,
        side=Side(args.side),
        leverage=args.leverage,
        entry=args.entry,
    )
    _print_result(quote_funding(request), args.json)
    return 0


def _cmd_pos_check(args: argparse.Namespace, settings: Settings) -> int:
    """The guard's evaluation of one position at a given mark, for scripts."""
    from datetime import UTC, datetime

    from bot.positions.evaluate import MarketPoint, evaluate, quote
    from bot.positions.levels import crossed
    from bot.positions.model import PositionClaim

    try:
        levels = tuple(sorted((Decimal(w) for w in args.levels.split(",")), reverse=True))
    except ArithmeticError:
        raise RiskInputError("levels are percentages like 5,2,1") from None
    claim = PositionClaim(
        asset=args.asset.upper(),
        side=Side(args.side),
        entry=args.entry,
        leverage=args.leverage,
        size=args.size,
        venue=args.venue,
        margin_mode=MarginMode.CROSS if args.cross_balance else MarginMode.ISOLATED,
        cross_balance=args.cross_balance,
        levels=levels,
    )
    mark = args.mark or args.entry
    now = datetime.now(UTC)
    point = MarketPoint(
        args.venue or "given", mark, now, args.funding_rate, int(args.interval_hours)
    )
    base = quote(claim, default_mmr=settings.default_mmr, mark=mark)
    result = evaluate(claim, base, point, now, funding_paid=args.funding_paid, atr=args.atr)
    inside = crossed(levels, result.distance_pct)
    _print_result(result, args.json, levels_crossed=[_jsonable(v) for v in levels[:inside]])
    return 0


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """The real services on a throwaway SQLite database: the reply a new user would get, with
    one live poll of the configured venues first (OIWATCH_VENUES= for none)."""
    import tempfile
    from pathlib import Path

    from bot.app import ask
    from bot.runtime.runner import open_services

    async def answer(folder: str) -> str:
        database = f"sqlite+aiosqlite:///{Path(folder) / 'ask.db'}"
        scratch = settings.model_copy(update={"database_url": database, "http_port": 0})
        async with open_services(scratch) as services:
            await services.feed.poll()
            return await ask(services, args.message)

    with tempfile.TemporaryDirectory(prefix="oiwatch-ask-") as folder:
        print(asyncio.run(answer(folder)))
    return 0


def _cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    secrets = [settings.require_token()]
    if settings.mode is RunMode.WEBHOOK:
        secrets.append(settings.require_webhook()[1])
    configure_logging(settings.log_level, secrets=secrets, json=settings.log_json)
    from bot.runtime.runner import run
    from bot.runtime.startup import check_lasting, sole_sqlite_process

    check_lasting(settings.database_url)
    with sole_sqlite_process(settings.database_url):
        run(settings)
    return 0


def _cmd_snapshot(args: argparse.Namespace, settings: Settings) -> int:
    """One live poll of the configured venues for one asset, printed like /oi (no history, so no
    changes or readings)."""
    from datetime import UTC, datetime

    from bot.market.collector import Collector
    from bot.market.models import Venue
    from bot.market.overview import build_overview
    from bot.market.overview_text import named, render
    from bot.market.venues.registry import make_fetchers
    from storage.models import MarketSnapshot
    from storage.repositories.snapshots import snapshot_row

    asset = args.asset.upper()
    if not settings.venues:
        raise UserError(
            "OIWATCH_VENUES is empty: no venue to poll; e.g. OIWATCH_VENUES=binance,okx "
            "oiwatch snapshot " + asset
        )

    async def poll() -> int:
        venues = [Venue(v) for v in settings.venues]
        collector = Collector(make_fetchers(settings.endpoints, venues), [asset])
        try:
            tick = await collector.tick()
        finally:
            await collector.aclose()
        snapshots = tick.for_asset(asset)
        degraded = {str(v): reason for v, reason in tick.degraded().items()}
        if args.json:
            print(
                json.dumps(
                    {
                        "asset": asset,
                        "snapshots": [_jsonable(s) for s in snapshots],
                        "degraded": degraded,
                    },
                    default=str,
                )
            )
            return 0 if snapshots else 1
        left_out = {venue: f"({reason})" for venue, reason in degraded.items()}
        if not snapshots:
            print(f"no data for {asset}: " + (named(left_out) or "not listed"), file=sys.stderr)
            return 1
        rows = [MarketSnapshot(**snapshot_row(s)) for s in snapshots]
        overview = build_overview(asset, rows, [], [], datetime.now(UTC))
        print(render(overview, left_out, html=False))
        return 0

    return asyncio.run(poll())


def _cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    from bot.signals.replay import replay_files

    try:
        warnings = replay_files(args.files, args.format, args.asset.upper())
    except (OSError, ValueError, KeyError) as error:
        print(f"oiwatch: cannot replay: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "ts": w.ts.isoformat(),
                        "kind": w.kind,
                        "severity": w.severity,
                        "stage": w.stage,
                        "event_start": w.event_start.isoformat() if w.event_start else None,
                        "window": w.window,
                        "summary": w.summary,
                        "numbers": w.numbers,
                        "checks": list(w.checks),
                    }
                    for w in warnings
                ]
            )
        )
        return 0
    for w in warnings:
        print(
            f"{w.ts:%Y-%m-%d %H:%M} UTC  {w.kind:<17} {w.stage or '':<9} {w.severity:<8} "
            f"{w.window:>3}  "
            f"{w.summary}\n    evidence: {w.evidence()}"
        )
    print(f"{len(warnings)} warnings")
    return 0


def _cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bot.signals.labels import windows, write_events
    from bot.signals.scorecard import as_json, evaluate_folder, table

    folder = Path(args.folder)
    events = Path(args.events) if args.events else folder / "events.csv"
    if not folder.is_dir() or not windows(folder):
        print(
            f"oiwatch: no *_metrics_5m_*.csv windows in {folder}; "
            "e.g. oiwatch evaluate tests/data/real",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.write_events:
        labelled = write_events(folder, events)
        print(f"{len(labelled)} events written to {events}")
        return 0
    if not events.is_file():
        print(
            f"oiwatch: no events file {events}; write one from the onset rule first: "
            f"oiwatch evaluate {folder} --write-events",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        card = evaluate_folder(folder, events)
    except (OSError, ValueError, KeyError) as error:
        print(f"oiwatch: cannot evaluate: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(as_json(card)) if args.json else table(card))
    return 0


def _cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime.startup import migrated_engine
    from storage.migrate import latest_revision

    if args.action == "downgrade":
        return _db_downgrade(args.revision, settings)
    if args.action == "current":
        return _db_current(args.revision, settings)
    if args.revision is not None:
        raise UserError(
            "db upgrade takes no revision: it goes to the latest; to go back, db downgrade 0012"
        )

    async def upgrade() -> None:
        async with migrated_engine(settings.database_url):
            pass

    asyncio.run(upgrade())
    print(f"database is at revision {latest_revision()}, the latest")
    return 0


def _db_current(revision: str | None, settings: Settings) -> int:
    from bot.runtime.startup import revision_status

    if revision is not None:
        raise UserError("db current takes no revision: it says where the database is")
    latest, line = revision_status(settings.database_url)
    print(line, file=sys.stdout if latest else sys.stderr)
    return 0 if latest else 1


def _db_downgrade(revision: str | None, settings: Settings) -> int:
    """For a rollback without a backup, run by the newer version, which knows how to undo its
    own migrations; the older one cannot read them."""
    from bot.runtime.startup import downgrade_to

    if revision is None:
        raise UserError(
            "db downgrade needs the revision to go back to, e.g. "
            "oiwatch db downgrade 0012 (revisions: storage/migrations/versions/NNNN_*.py)"
        )
    asyncio.run(downgrade_to(settings.database_url, revision))
    print(f"database is at revision {revision}")
    return 0


def _cmd_health(args: argparse.Namespace, settings: Settings) -> int:
    from bot.runtime.health_probe import probe

    healthy, line = probe(settings)
    print(line, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


def _cmd_latency(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime, timedelta

    from bot.delivery.latency import latency_report
    from bot.runtime.startup import migrated_engine
    from storage.db import make_session_factory
    from storage.repositories.outbox import OutboxRepository

    async def report() -> str:
        async with migrated_engine(settings.database_url) as engine:
            outbox = OutboxRepository(make_session_factory(engine))
            since = datetime.now(UTC) - timedelta(hours=args.hours)
            return latency_report(await outbox.deliveries(since), args.hours)

    print(asyncio.run(report()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oiwatch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser(
        "run",
        help="run the Telegram bot (needs OIWATCH_TELEGRAM_TOKEN)",
        description="Runs the Telegram bot: migrates OIWATCH_DATABASE_URL, then polls Telegram "
        "(or serves the webhook) and the venues. Every setting is an OIWATCH_* environment "
        "variable, checked before anything starts; the list with defaults and bounds is in "
        "docs/operations.md.",
    )

    liq = sub.add_parser("liq", help="liquidation price")
    liq.add_argument("--entry", type=_decimal, required=True)
    liq.add_argument("--leverage", type=_decimal, required=True)
    liq.add_argument("--side", choices=["long", "short"], required=True)
    liq.add_argument("--mark", type=_decimal)
    liq.add_argument("--mmr", type=_decimal, help="maintenance margin rate as a fraction: 0.005")
    liq.add_argument("--venue", choices=[str(v) for v in SUPPORTED_VENUES])
    liq.add_argument("--symbol")
    liq.add_argument("--size", type=_decimal, help="base coin (linear) or contracts (inverse)")
    liq.add_argument("--inverse", action="store_true")
    liq.add_argument("--cross-balance", type=_decimal, help="cross margin wallet balance")
    liq.add_argument("--fee", type=_decimal, help="fee to close as a fraction: 0.0005")
    liq.add_argument("--json", action="store_true")

    funding = sub.add_parser("funding", help="funding cost over a hold")
    funding.add_argument("--notional", type=_decimal, required=True)
    funding.add_argument("--rate", type=_decimal, required=True, help="per interval: 0.0001")
    funding.add_argument("--hours", type=_decimal, required=True)
    funding.add_argument("--interval-hours", type=_decimal, default=Decimal(8))
    funding.add_argument("--side", choices=["long", "short"], default="long")
    funding.add_argument("--leverage", type=_decimal)
    funding.add_argument("--entry", type=_decimal)
    funding.add_argument("--json", action="store_true")

    snapshot = sub.add_parser("snapshot", help="poll the venues once and print one asset")
    snapshot.add_argument("asset")
    snapshot.add_argument("--json", action="store_true")

    replay = sub.add_parser("replay", help="run the signal engine over recorded series")
    replay.add_argument("files", nargs="+")
    replay.add_argument(
        "--format", choices=["binance-metrics", "oiwatch-csv"], default="binance-metrics"
    )
    replay.add_argument("--asset", default="BTC")
    replay.add_argument("--json", action="store_true")

    pos = sub.add_parser("pos", help="the position guard")
    check = pos.add_subparsers(dest="pos_command", required=True).add_parser(
        "check", help="evaluate one position as the guard does"
    )
    check.add_argument("--asset", default="BTC")
    check.add_argument("--side", choices=["long", "short"], required=True)
    check.add_argument("--entry", type=_decimal, required=True)
    check.add_argument("--leverage", type=_decimal, required=True)
    check.add_argument("--size", type=_decimal, default=Decimal(1), help="base coin")
    check.add_argument("--venue", choices=[str(v) for v in GUARD_VENUES])
    check.add_argument("--mark", type=_decimal, help="defaults to the entry")
    check.add_argument("--cross-balance", type=_decimal, help="cross margin wallet balance")
    check.add_argument("--funding-rate", type=_decimal, help="live rate per interval: 0.0001")
    check.add_argument("--interval-hours", type=_decimal, default=Decimal(8))
    check.add_argument("--funding-paid", type=_decimal, default=Decimal(0), help="signed, to you")
    check.add_argument("--atr", type=_decimal, help="the asset's hourly ATR, in price")
    check.add_argument("--levels", default="5,2,1", help="percent from liquidation")
    check.add_argument("--json", action="store_true")

    evaluate = sub.add_parser(
        "evaluate", help="score the signal engine on real windows against labelled events"
    )
    evaluate.add_argument("folder")
    evaluate.add_argument("--events", help="events CSV (default: <folder>/events.csv)")
    evaluate.add_argument(
        "--write-events",
        action="store_true",
        help="label the onsets from the raw data by the flush-bar rule and write the events file",
    )
    evaluate.add_argument("--json", action="store_true")

    ask_parser = sub.add_parser("ask", help="print exactly what the bot would reply")
    ask_parser.add_argument("message")

    latency = sub.add_parser("latency", help="alert delivery time per priority, from the outbox")
    latency.add_argument("--hours", type=_hours, default=24.0, help="look back this far")

    db = sub.add_parser("db", help="database maintenance")
    db.add_argument(
        "action",
        choices=["upgrade", "downgrade", "current"],
        help="upgrade: migrate OIWATCH_DATABASE_URL to this version (run also does at start); "
        "downgrade REVISION: undo this version's migrations down to REVISION (rollback); "
        "current: say which revision the database is at, migrating nothing (exit 0 at this "
        "version's latest, 1 otherwise)",
    )
    db.add_argument("revision", nargs="?", help="with downgrade: e.g. 0012")

    sub.add_parser(
        "health", help="ask this replica's /healthz (exit 0 healthy, 1 not): the HEALTHCHECK"
    )
    return parser


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "run": _cmd_run,
    "liq": _cmd_liq,
    "funding": _cmd_funding,
    "ask": _cmd_ask,
    "db": _cmd_db,
    "health": _cmd_health,
    "latency": _cmd_latency,
    "snapshot": _cmd_snapshot,
    "replay": _cmd_replay,
    "pos": _cmd_pos_check,
    "evaluate": _cmd_evaluate,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        for line in describe_errors(error):
            print(f"oiwatch: {line}", file=sys.stderr)
        return EXIT_USAGE
    try:
        code = COMMANDS[args.command](args, settings)
        sys.stdout.flush()  # a reader gone (`| head`) shows here, not in the exit's own flush
        return code
    except BrokenPipeError:
        # The reader has what it wanted: end quietly, as a tool SIGPIPE stops, with no
        # second error when the interpreter flushes stdout on the way out.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (MissingTokenError, MalformedTokenError, WebhookConfigError, StartupError) as error:
        print(f"oiwatch: {error}", file=sys.stderr)
        return EXIT_USAGE
    except UserError as error:
        print(f"oiwatch: {error}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
