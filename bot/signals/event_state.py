"""The cascade tracker as plain JSON and back, so a restart resumes its events where they were.

Kept: the open events (stage, severity, onset, the points since it), when each asset and
side's last event was last seen (its later readings are not a new event), and what the other
kinds last said (an ongoing warning is not news again). Left out: the last 4 hours of points
per asset, which only date the market before an event that opens later: the first tick after
a restart takes them from the stored series (`CascadeTracker.update`).

A document this version cannot read (another format, a field of another type or missing or
unknown, a time without its zone) gives one log line and a fresh tracker: the events under
way are then announced as new, as they were before the tracker was saved at all. Every field
is checked as it is read (pydantic): a tracker loaded with a text where a number belongs, or
a list where a dict does, raised on every later tick, and since the pipeline keeps the
tracker of its last good tick, no rule rang again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Annotated, Literal, TypeVar, get_args, get_type_hints

import orjson
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, ValidationError

from bot.signals.events import CascadeTracker, _Event
from bot.signals.kinds import Severity, Stage, WarningKind
from bot.signals.series import Point
from bot.signals.warning import SignalWarning

log = logging.getLogger(__name__)

# A type, so the model below reads only this version; mypy ties the two together.
Version = Literal[1]
VERSION: Version = 1


def dumps(tracker: CascadeTracker) -> str:
    # orjson writes the warnings and points (dataclasses), their datetimes (ISO 8601, as
    # isoformat) and enums (their values) itself: the document json.dumps made of the same
    # dicts, 15 x faster in a market-wide cascade (bench/bench_live_path.py). A NaN or an
    # infinity, which JSON cannot spell, is written as null (loaded as an unknown number
    # where one may be unknown; elsewhere the document is not readable), where json.dumps
    # wrote a token only Python reads.
    events = [
        {
            "asset": asset,
            "kind": kind,
            "first": event.first,
            "start": event.start,
            "stage": event.stage,
            "severity": event.severity,
            "last_seen": event.last_seen,
            "last": event.last,
            "before": event.before,
            "points": [event.points[ts] for ts in sorted(event.points)],
        }
        for (asset, kind), event in tracker._events.items()
    ]
    closed = [[asset, kind, seen] for (asset, kind), seen in tracker._closed.items()]
    others = [
        [asset, kind, seen, level]
        for (asset, kind), (seen, level) in tracker._others._active.items()
    ]
    document = {"version": VERSION, "events": events, "closed": closed, "others": others}
    return orjson.dumps(document).decode()


def loads(text: str | None, quiet: timedelta) -> CascadeTracker:
    """The tracker saved as `text`, with this `quiet`; a fresh one if there is none."""
    tracker = CascadeTracker(quiet=quiet)
    if text is None:
        return tracker
    try:
        document = _Document.model_validate_json(text)
    except ValidationError as error:
        log.warning("cascade tracker state not readable (%s): starting afresh", _reason(error))
        return tracker
    for item in document.events:
        event = _Event(
            item.first,
            item.start,
            item.stage,
            item.severity,
            item.last_seen,
            item.last,
            item.before,
        )
        event.points = {point.ts: point for point in item.points}
        tracker._events[(item.asset, item.kind)] = event
    tracker._closed = {(asset, kind): seen for asset, kind, seen in document.closed}
    tracker._others._active = {
        (asset, kind): (seen, level) for asset, kind, seen, level in document.others
    }
    return tracker


def _reason(error: ValidationError) -> str:
    """The first thing wrong, where it is, on one line: a document gone bad in every event
    would otherwise fill the log."""
    errors = error.errors(include_url=False)
    where = ".".join(map(str, errors[0]["loc"])) or "document"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {errors[0]['msg']}{more}"


_Saved = TypeVar("_Saved", Point, SignalWarning)

# The times each saved dataclass holds: AwareDatetime cannot be said of their own fields.
_TIMES = {
    cls: [name for name, hint in get_type_hints(cls).items() if datetime in (hint, *get_args(hint))]
    for cls in (Point, SignalWarning)
}


def _zoned(value: _Saved) -> _Saved:
    """A time without its zone would make the next tick's comparisons raise, every tick, since
    the tracker that holds it is kept."""
    for name in _TIMES[type(value)]:
        moment = getattr(value, name)
        if moment is not None and moment.tzinfo is None:
            raise ValueError(f"{name} {moment.isoformat()} has no zone")
    return value


_SavedPoint = Annotated[Point, AfterValidator(_zoned)]
_SavedWarning = Annotated[SignalWarning, AfterValidator(_zoned)]
# Strict: a string, a list or a bool is no number, nor a number a severity; JSON's 5 still
# reads as the float 5.0 (orjson writes an int held where a float is typed, a test's price
# 100, as 100). The points and warnings, plain dataclasses, are checked under the same
# config. Forbidden extras: a field this version does not know is another format.
_STRICT = ConfigDict(strict=True, extra="forbid")


class _SavedEvent(BaseModel):
    model_config = _STRICT

    asset: str
    kind: WarningKind
    first: _SavedWarning
    start: AwareDatetime
    stage: Stage
    severity: Severity
    last_seen: AwareDatetime
    last: _SavedWarning
    before: _SavedPoint | None
    points: list[_SavedPoint]


class _Document(BaseModel):
    model_config = _STRICT

    version: Version
    events: list[_SavedEvent]
    closed: list[tuple[str, WarningKind, AwareDatetime]]
    others: list[tuple[str, WarningKind, AwareDatetime, int]]
