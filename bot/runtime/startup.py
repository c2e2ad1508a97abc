"""Start-up failures an operator fixes outside the bot (a database that cannot be opened, a
token Telegram refuses): each becomes one line on stderr and exit code 2, never a traceback,
and never the token. Telegram-free: the runner tells which Bot API failure it met."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from alembic.util import CommandError
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.errors import StartupError
from bot.runtime.logging_setup import redact
from storage.db import UNAVAILABLE, make_engine
from storage.migrate import (
    database_revision,
    downgrade_database,
    known_revisions,
    latest_revision,
    upgrade_database,
)

DATABASE_ERRORS: tuple[type[Exception], ...] = (*UNAVAILABLE, CommandError)


@contextlib.asynccontextmanager
async def migrated_engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The database at the latest revision, or one StartupError saying why it cannot be used."""
    check_sqlite_file(database_url)
    engine = make_engine(database_url)
    try:
        try:
            await upgrade_database(engine)
        except DATABASE_ERRORS as error:
            raise database_failed(database_url, error) from None
        yield engine
    finally:
        await engine.dispose()


async def downgrade_to(database_url: str, revision: str) -> None:
    """`oiwatch db downgrade`: undone down to `revision`, or one StartupError saying why."""
    check_sqlite_file(database_url)
    engine = make_engine(database_url)
    try:
        await downgrade_database(engine, revision)
    except CommandError as error:  # an unknown revision, or one above the database's
        raise StartupError(f"cannot downgrade to {revision}: {_one_line(error)}") from None
    except UNAVAILABLE as error:
        raise database_failed(database_url, error) from None
    finally:
        await engine.dispose()


def _sqlite_file(url: URL) -> str | None:
    """The file an SQLite URL keeps its data in; None for another database or SQLite in memory
    (`sqlite+aiosqlite://`, `:memory:`)."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return url.database


def revision_status(database_url: str) -> tuple[bool, str]:
    """`oiwatch db current`: (at this version's latest revision, the line saying where the
    database stands and what to run). Reads only: a database behind stays behind."""
    url = make_url(database_url)
    latest = latest_revision()
    path = _sqlite_file(url)
    file = Path(path) if path is not None else None
    if file is not None and file.parent.is_dir() and not file.exists():
        # Checking must not create the file (sqlite3 would): a typo'd path stays visible. A
        # missing folder is check_sqlite_file's line.
        return False, (
            f"{_shown(url)}: no database file yet; oiwatch db upgrade (or run) creates it at "
            f"revision {latest}"
        )
    current = asyncio.run(_revision(database_url))
    if current == latest:
        return True, f"database is at revision {latest}, the latest"
    if current is None:
        return False, (
            f"database has no oiwatch tables yet; oiwatch db upgrade (or run) migrates it to "
            f"revision {latest}"
        )
    if current in known_revisions():
        return False, (
            f"database is at revision {current}, behind this version's {latest}; "
            "oiwatch db upgrade (or run) migrates it"
        )
    return False, (
        f"database is at revision {current}, which this version (latest {latest}) does not "
        "know: a newer oiwatch migrated it (docs/operations.md, Upgrade)"
    )


async def _revision(database_url: str) -> str | None:
    check_sqlite_file(database_url)
    engine = make_engine(database_url)
    try:
        return await database_revision(engine)
    except UNAVAILABLE as error:
        raise database_failed(database_url, error) from None
    finally:
        await engine.dispose()


def check_lasting(database_url: str) -> None:
    """`oiwatch run` keeps everything in its database; an in-memory one (`sqlite+aiosqlite://`,
    a slip for `:///file`) would lose every rule and queued alert at the next restart."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and _sqlite_file(url) is None:
        raise StartupError(
            f"OIWATCH_DATABASE_URL={database_url} is in memory: rules, settings and queued "
            "alerts would be lost when the process ends; name a file, e.g. "
            "sqlite+aiosqlite:///oiwatch.db"
        )


@contextlib.contextmanager
def sole_sqlite_process(database_url: str) -> Iterator[None]:
    """`oiwatch run` alone on its SQLite file: SQLite has no leader lock, so a second process
    (a second `make run`, a replica pointed at the same volume) would lead too: poll Telegram
    beside the first and run its own pipeline and sender on the same rules and outbox. The
    kernel drops the lock with the process, however it ends."""
    url = make_url(database_url)
    path = _sqlite_file(url)
    if path is None:
        yield
        return
    check_sqlite_file(database_url)  # a missing folder is its own line
    with open(f"{path}.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StartupError(
                f"{_shown(url)}: another oiwatch run uses this database; stop it first (two "
                "would both lead: poll Telegram, run the alerts and send them), or run "
                "replicas on PostgreSQL"
            ) from None
        yield


def check_sqlite_file(database_url: str) -> None:
    """Before any connection: a failed SQLite connect leaves aiosqlite's thread behind, which
    then trips over the closed event loop and prints a traceback of its own. Plain sqlite3
    finds out first (a missing folder, a path that is a folder or not writable)."""
    url = make_url(database_url)
    path = _sqlite_file(url)
    if path is None:
        return
    if url.query.get("uri"):
        return  # a file: URI with its own mode=; sqlite3 would read it as a plain file name
    folder = Path(path).parent
    if not folder.is_dir():
        raise StartupError(
            f"{_shown(url)}: no folder {folder}; create it or point the URL elsewhere"
        )
    try:
        sqlite3.connect(path).close()
    except sqlite3.Error as error:
        raise StartupError(f"{_shown(url)}: cannot use the database: {_one_line(error)}") from None


def database_failed(database_url: str, error: BaseException) -> StartupError:
    # The driver's own words ("database or disk is full", "Connect call failed"), not
    # SQLAlchemy's multi-line wrapper with the statement and a link.
    reason = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    why = _one_line(reason)
    if isinstance(error, CommandError) and "Can't locate revision" in str(error):
        # An older version started on a database a newer one migrated (a rollback).
        why += (
            ": a newer oiwatch migrated it; run that version, or restore the backup taken "
            "before the upgrade (docs/operations.md, Upgrade)"
        )
    return StartupError(f"{_shown(make_url(database_url))}: cannot use the database: {why}")


def _shown(url: URL) -> str:
    return f"OIWATCH_DATABASE_URL={url.render_as_string(hide_password=True)}"


def token_refused(api_url: str, error: Exception) -> StartupError:
    """For the Bot API's 401 or 404 to getMe (PTB's InvalidToken)."""
    # PTB rewrites the server's answer into a message holding the token; the answer itself
    # is the cause: "Unauthorized" (401) for a revoked token, anything else is a 404.
    if "unauthorized" in str(error.__cause__ or "").lower():
        return StartupError(
            "Telegram refused the token (401): check OIWATCH_TELEGRAM_TOKEN with @BotFather"
        )
    return StartupError(
        f"no Bot API at {redact(api_url)} (404): check OIWATCH_TELEGRAM_API_URL and the "
        "token's shape"
    )


def bot_api_unreachable(api_url: str, error: Exception) -> StartupError:
    return StartupError(f"cannot reach the Bot API at {redact(api_url)}: {_api_reason(error)}")


def bot_api_refused(api_url: str, error: Exception) -> StartupError:
    """For any other answer to getMe: a web page or a proxy's 403 where the Bot API should be."""
    return StartupError(
        f"no Bot API at {redact(api_url)}: it answered {_api_reason(error)}; check "
        "OIWATCH_TELEGRAM_API_URL"
    )


# PTB quotes a body that is not JSON whole (a proxy's HTML page) after these words.
NOT_JSON = ". Parsing the server response"


def _api_reason(error: Exception) -> str:
    text = _one_line(error)
    if text == "Invalid server response":  # PTB's words for a 2xx body that is not JSON
        return "a page that is not JSON"
    status, cut, _body = text.partition(NOT_JSON)
    return f"{status} with a body that is not JSON" if cut else text


@contextlib.contextmanager
def ptb_request_log_muted() -> Iterator[None]:
    """For the getMe at start: an answer that is not JSON (a wrong URL's HTML 404) makes PTB
    log a traceback before it raises; the one line from `telegram_failed` says it better."""
    logger = logging.getLogger("telegram.request.BaseRequest")
    before, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = before


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return redact(text)
