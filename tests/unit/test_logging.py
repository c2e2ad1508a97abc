"""JSON log lines: parseable, and the token never in them (message or traceback)."""

from __future__ import annotations

import logging
import sys

import orjson

from bot.runtime.logging_setup import JsonFormatter, add_secret, install_redaction
from tests.e2e.conftest import TOKEN


def test_json_lines_are_redacted() -> None:
    install_redaction()
    add_secret(TOKEN)
    logger = logging.getLogger("oiwatch.test.json")
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{TOKEN}/sendMessage failed")
    except RuntimeError:
        record = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 1, "send to %s", (f"/bot{TOKEN}/x",), None
        )
        failing = logger.makeRecord(
            logger.name, logging.ERROR, __file__, 2, "boom", (), sys.exc_info()
        )
    line = JsonFormatter().format(record)
    entry = orjson.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "oiwatch.test.json"
    assert entry["msg"] == "send to /bot<redacted>/x"
    failed = orjson.loads(JsonFormatter().format(failing))
    assert "RuntimeError" in failed["exc"] and TOKEN not in failed["exc"]
