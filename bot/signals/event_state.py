"""The cascade tracker as plain JSON and back, so a restart resumes its events where they were.

Kept: the open events (stage, severity, onset, the points since it), when each asset and
side's last event was last seen (its later readings are not a new event), and what the other
kinds last said (an ongoing warning is not news again). Left out: the last 4 hours of points
per asset, which only date the market before an event that opens later; an event opening
soon after a restart may lack its "before" numbers in the summary, as it did before.

A document this version cannot read (another format) gives a fresh tracker: the events under
way are then announced as new, as they were before the tracker was saved at all.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

import orjson

from bot.signals.events import CascadeTracker, _Event
from bot.signals.kinds import Severity, Stage, WarningKind
from bot.signals.series import Point
from bot.signals.warning import SignalWarning

log = logging.getLogger(__name__)

VERSION = 1


def dumps(tracker: CascadeTracker) -> str:
    # orjson writes the warnings and points (dataclasses), their datetimes (ISO 8601, as
    # isoformat) and enums (their values) itself: the document json.dumps made of the same
    # dicts, 15 x faster in a market-wide cascade (bench/bench_live_path.py). A NaN or an
    # infinity, which JSON cannot spell, is written as null (loaded as an unknown number),
    # where json.dumps wrote a token only Python reads.
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
        document = json.loads(text)
        if not isinstance(document, dict):
            raise TypeError("not a JSON object")
        if document.get("version") != VERSION:
            raise ValueError(f"version {document.get('version')!r}")
        for item in document["events"]:
            event = _Event(
                first=_warning_of(item["first"]),
                start=_moment(item["start"]),
                stage=Stage(item["stage"]),
                severity=Severity(item["severity"]),
                last_seen=_moment(item["last_seen"]),
                last=_warning_of(item["last"]),
                before=_point_of(item["before"]) if item["before"] is not None else None,
            )
            event.points = {p.ts: p for p in map(_point_of, item["points"])}
            tracker._events[(item["asset"], WarningKind(item["kind"]))] = event
        for asset, kind, seen in document["closed"]:
            tracker._closed[(asset, WarningKind(kind))] = _moment(seen)
        for asset, kind, seen, level in document["others"]:
            active = (_moment(seen), int(level))
            tracker._others._active[(asset, WarningKind(kind))] = active
    except (ValueError, KeyError, TypeError) as error:
        log.warning("cascade tracker state not readable (%s): starting afresh", error)
        return CascadeTracker(quiet=quiet)
    return tracker


def _moment(text: str) -> datetime:
    """A saved time; one without its zone would make the next tick's comparisons raise, every
    tick, since the tracker that holds it is kept."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time {text!r} has no zone")
    return moment


def _point_of(data: dict[str, Any]) -> Point:
    return Point(**{**data, "ts": _moment(data["ts"])})


def _warning_of(data: dict[str, Any]) -> SignalWarning:
    start = data["event_start"]
    band = data["next_band"]
    return SignalWarning(
        **{
            **data,
            "ts": _moment(data["ts"]),
            "event_start": _moment(start) if start is not None else None,
            "checks": tuple(data["checks"]),
            "next_band": tuple(band) if band is not None else None,
        }
    )
