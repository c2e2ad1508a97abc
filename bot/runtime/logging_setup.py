"""Logging with the bot token scrubbed from every record.

PTB's DEBUG logs and httpx's INFO logs carry request URLs, and those contain the token
(`/bot<token>/sendMessage`). Redaction happens in the log-record factory, so it covers every
handler, including ones added later (pytest's caplog, an operator's own handler). The factory
only runs for records whose level is enabled, so disabled DEBUG logging costs nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime

import orjson

TOKEN_SHAPE = re.compile(r"\d{6,12}:[A-Za-z0-9_-]{20,}")
REDACTED = "<redacted>"

_secrets: list[str] = []
_base_factory: Callable[..., logging.LogRecord] | None = None


def redact(text: str) -> str:
    for secret in _secrets:
        text = text.replace(secret, REDACTED)
    return TOKEN_SHAPE.sub(REDACTED, text)


def _redacting_factory(*args: object, **kwargs: object) -> logging.LogRecord:
    assert _base_factory is not None
    record = _base_factory(*args, **kwargs)
    message = record.getMessage()
    cleaned = redact(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        # The traceback text is kept (redacted); the live exception object is dropped so no
        # formatter can render its unredacted repr again.
        record.exc_info = None
    return record


def add_secret(secret: str) -> None:
    if secret and secret not in _secrets:
        _secrets.append(secret)


def install_redaction() -> None:
    """Idempotent: wrap the current record factory once."""
    global _base_factory
    if _base_factory is None:
        _base_factory = logging.getLogRecordFactory()
        logging.setLogRecordFactory(_redacting_factory)


class JsonFormatter(logging.Formatter):
    """One JSON object per line (for log shippers); records are already redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_text:
            entry["exc"] = record.exc_text
        return orjson.dumps(entry).decode()


def configure_logging(
    level: str = "INFO", secrets: list[str] | None = None, *, json: bool = False
) -> None:
    install_redaction()
    for secret in secrets or []:
        add_secret(secret)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(
            JsonFormatter()
            if json
            else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        root.addHandler(handler)
    root.setLevel(level.upper())
    # httpx logs every request URL (with the token) at INFO; redaction covers it anyway, but
    # those lines are noise at one per poll.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # Alembic narrates its plugin setup at INFO on every start; a migration it runs still says so.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
