"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, String, Text
from sqlalchemy.types import TypeDecorator

from storage.digest import Digest, HeldAlert


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out: SQLite drops the offset, so it is restored on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class DecimalText(TypeDecorator[Decimal]):
    """Exact Decimal on both databases (SQLite has no decimal type): stored as its text."""

    impl = String(48)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> str | None:
        return None if value is None else format(value, "f")

    def process_result_value(self, value: str | None, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


class IdList(TypeDecorator[tuple[int, ...]]):
    """A few ids as '12,15' on both databases; none is NULL, so a query can tell rows that
    have ids from rows that have none."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: tuple[int, ...] | None, dialect: Any) -> str | None:
        return ",".join(map(str, value)) if value else None

    def process_result_value(self, value: str | None, dialect: Any) -> tuple[int, ...]:
        return tuple(int(part) for part in value.split(",")) if value else ()


class DigestAlerts(TypeDecorator[Digest]):
    """A held digest's header, alerts and closing line as JSON text on both databases."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Digest | None, dialect: Any) -> str | None:
        if value is None:
            return None
        alerts = [[a.text, None if a.rules is None else list(a.rules), a.key] for a in value.alerts]
        return json.dumps(
            {"header": value.header, "alerts": alerts, "full": value.full}, ensure_ascii=False
        )

    def process_result_value(self, value: str | None, dialect: Any) -> Digest | None:
        if value is None:
            return None
        stored = json.loads(value)
        # An alert stored before digests kept keys is [text, rules]: it has none.
        alerts = tuple(
            HeldAlert(text, None if rules is None else tuple(rules), key[0] if key else "")
            for text, rules, *key in stored["alerts"]
        )
        return Digest(stored["header"], alerts, stored["full"])
