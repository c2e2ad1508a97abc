"""Delivery: the outbox sender and message rendering (the core's only other Telegram user)."""
