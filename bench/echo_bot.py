"""The baseline for bench/bench_load.py: a bare PTB bot that replies each text with itself.

PTB's defaults throughout (no rate limiter, updates handled one at a time, no logging), so
the difference to oiwatch under the same load is oiwatch's own overhead.

Run: ECHO_TOKEN=... ECHO_API_URL=http://127.0.0.1:PORT/bot .venv/bin/python bench/echo_bot.py
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is not None and message.text is not None:
        await message.reply_text(message.text)


def main() -> None:
    api_url = os.environ["ECHO_API_URL"]
    head, _, tail = api_url.rstrip("/").rpartition("/")
    app = (
        Application.builder()
        .token(os.environ["ECHO_TOKEN"])
        .base_url(api_url)
        .base_file_url(f"{head}/file/{tail}")
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    # Same long-poll timeout as `oiwatch run`; SIGTERM stops it cleanly (PTB's default).
    app.run_polling(allowed_updates=Update.ALL_TYPES, timeout=10)


if __name__ == "__main__":
    main()
