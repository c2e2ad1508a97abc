"""oiwatch core: plain typed Python shared by the Telegram bot and the CLI."""
