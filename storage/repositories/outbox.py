"""The alert outbox: written before sending, drained by the sender, safe across crashes.

A row is `pending` until claimed, `sending` while its message is in flight, then `sent` or
`dead`. A crash leaves at most the in-flight rows in `sending`; `recover` puts them back to
`pending`, so they are sent again (the one in-flight message per chat may repeat; nothing is
lost). A row whose outcome was never written (the database failed after the send) is claimed
again once its claim is older than the lease: again at most one repeat, and no chat stuck.

Claim order: urgent before normal across all chats, oldest first within a priority; within a
chat, one message in flight at a time, urgent ones ahead of the chat's older normal ones.

A row keeps the ids of the watch rules it is for. An alert whose rules were all removed or
changed while its tick ran (/unwatch, a channel unlinked, /edit meanwhile) is not stored, one
merged from several rules' lines is stored without those of the ones that were, and a drop
finds every alert stored before it: see `_revisions`. A held digest is one row, one
message, that also keeps the alerts it merged (storage/digest.py), so a drop can take some out
and leave the rest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, case, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.delivery.priority import Priority
from storage.db import SessionFactory
from storage.digest import Digest, HeldAlert
from storage.models import OutboxMessage, WatchRuleRow
from storage.statements import batches, count_rows, execute_count, not_null, table_of, upsert


class OutboxStatus(StrEnum):
    """A row's place in its life (the stored strings of `outbox.status`)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    # Held for a digest (quiet hours): invisible to the sender until `release_held` makes it
    # pending at its due time, so a held digest never blocks the chat's urgent alerts.
    HELD = "held"


# Longer than any send takes (PTB's timeouts plus the limiter's queue): a claim older than this
# lost its outcome, so the row is claimed again.
LEASE = timedelta(seconds=60)
# PostgreSQL: a drop (`drop_chat`, `drop_gone_rules`) holds it alone, storing alerts holds it
# shared (see `_revisions`).
DROP_LOCK_KEY = 0x6F69776174636802
QUEUED = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.HELD)  # not yet sent
URGENT_FIRST = case((col(OutboxMessage.priority) == Priority.URGENT.value, 0), else_=1)


@dataclass(frozen=True, slots=True)
class OutgoingAlert:
    chat_id: int
    dedup_key: str  # same key enqueued twice (a repeated tick) is stored once
    text: str
    reply_markup: str | None = None
    priority: Priority = Priority.NORMAL
    thread: str | None = None  # same chat and thread: a reply to the thread's first message
    silent: bool = False  # no notification sound
    seen_at: datetime | None = None  # when the evidence was seen; enqueue time if not given
    # The watch rules it is for: with all of them removed (/unwatch, a channel unlinked) while
    # the tick ran, it is not stored, and once stored it goes with them. None given (an operator's
    # broadcast post, a position warning): always stored, and only a chat gone drops it.
    rules: tuple[int, ...] = ()
    # Each of `rules`' revision (WatchRuleRow.revision) the tick matched: a rule changed since
    # (/edit) counts as removed, its alert speaking of a threshold the trader moved. None given
    # (a notice about the rules, not matched on them): only their removal counts.
    revisions: tuple[int, ...] = ()
    # A message merged from several rules' lines, built again without some of them (their
    # lines and buttons): with only some removed or changed while the tick ran, it goes as
    # that. None: it goes whole, or not at all once all its rules are.
    without: Callable[[frozenset[int]], OutgoingAlert] | None = field(default=None, compare=False)

    def stale(self, revisions: Mapping[int, int]) -> frozenset[int]:
        """Its rules removed or changed since it was made, given the revisions of those still
        there."""
        seen = dict(zip(self.rules, self.revisions, strict=True)) if self.revisions else {}
        return frozenset(
            rule
            for rule in self.rules
            if (revision := revisions.get(rule)) is None or seen.get(rule, revision) != revision
        )

    def outdated(self, revisions: Mapping[int, int]) -> bool:
        """Its rules are all removed or changed: it speaks of none of them as they are."""
        return bool(self.rules) and self.stale(revisions) == set(self.rules)


def tick_stamp(now: datetime) -> str:
    """The tick in a dedup key ('20261201T112555'): the same tick enqueued again after a crash
    builds the same keys, so its alerts are stored once."""
    return now.strftime("%Y%m%dT%H%M%S")


@dataclass(frozen=True, slots=True)
class Hold:
    """`alert` to hold in its chat's digest, the outbox row whose dedup key is `into`, sent at
    `due_at` under `header`."""

    alert: OutgoingAlert
    into: str
    due_at: datetime
    header: str = ""


@dataclass(frozen=True, slots=True)
class Accepted:
    """Telegram took this row's message at `at`, as its message `telegram_id`."""

    row_id: int
    at: datetime
    telegram_id: int | None = None
    paid: bool = False


@dataclass(frozen=True, slots=True)
class Delivery:
    """One sent alert's path: evidence seen, then accepted by Telegram."""

    priority: Priority
    seconds: float


class OutboxRepository:
    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def hold(
        self,
        alert: OutgoingAlert,
        due_at: datetime,
        now: datetime,
        *,
        into: str,
        header: str = "",
        full: str = "",
    ) -> None:
        """One alert held, as `hold_many` holds it."""
        await self.hold_many([Hold(alert, into, due_at, header)], now, full=full)

    async def hold_many(self, holds: Sequence[Hold], now: datetime, *, full: str = "") -> None:
        """Adds each alert's text, in order, to its chat's held digest `into` (created, under
        its `header`, on first use), unless the digest holds the alert's dedup key already (its
        tick run again after a crash). Past what one message holds, the closing line `full`
        says so (the caller words both). An alert whose rules were all removed or changed
        meanwhile is left out, the others held. A digest no longer held (released) takes none.

        One transaction per BATCH digests: a cold start holds hundreds of thousands of
        firings in one tick, and one transaction each took longer than the tick."""
        by_digest: dict[str, list[Hold]] = defaultdict(list)
        for held in holds:
            by_digest[held.into].append(held)
        for keys in batches(sorted(by_digest)):
            async with self._sessions() as session:
                await _drop_lock(session, shared=True)
                found = await session.execute(
                    select(OutboxMessage)
                    .where(col(OutboxMessage.dedup_key).in_(keys))
                    .order_by(col(OutboxMessage.dedup_key))
                    .with_for_update()
                )
                rows = {row.dedup_key: row for row in found.scalars()}
                # What each digest held before: a new one nothing yet, one released no more.
                before = {
                    key: _digest_of(rows[key], full)
                    if key in rows
                    else Digest(by_digest[key][0].header, ())
                    for key in keys
                    if key not in rows or rows[key].status == OutboxStatus.HELD
                }
                for key, digest in before.items():
                    added = _added(digest, by_digest[key], full)
                    if key in rows:
                        _set_digest(rows[key], added)
                        continue
                    first = by_digest[key][0]
                    rows[key] = OutboxMessage(
                        chat_id=first.alert.chat_id,
                        dedup_key=key,
                        text=added.text,
                        reply_markup=None,
                        status=OutboxStatus.HELD,
                        attempts=0,
                        due_at=first.due_at,
                        created_at=now,
                        rules=added.rules,
                        digest=added,
                    )
                    session.add(rows[key])
                # Written before their rules are read (SQLite: the write takes the one writer's
                # lock, so no drop comes between), then again without the alerts whose rules
                # are all gone or changed.
                await session.flush()
                held_now = [held for key in before for held in by_digest[key]]
                revisions = await _revisions(
                    session, {r for held in held_now for r in held.alert.rules}
                )
                for key, digest in before.items():
                    kept = [held for held in by_digest[key] if not held.alert.outdated(revisions)]
                    if len(kept) == len(by_digest[key]):
                        continue
                    if kept or digest.alerts:
                        _set_digest(rows[key], _added(digest, kept, full))
                    else:
                        await session.delete(rows[key])  # created for outdated alerts only
                await session.commit()

    async def release_held(self, now: datetime) -> int:
        """Digests whose quiet hours are over become pending, to be sent like any alert."""
        async with self._sessions() as session:
            count = await execute_count(
                session,
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.status) == OutboxStatus.HELD, col(OutboxMessage.due_at) <= now
                )
                .values(status=OutboxStatus.PENDING),
            )
            await session.commit()
            return count

    async def enqueue(self, alerts: Sequence[OutgoingAlert], now: datetime) -> int:
        if not alerts:
            return 0
        rows = [
            {
                "chat_id": a.chat_id,
                "dedup_key": a.dedup_key,
                "text": a.text,
                "reply_markup": a.reply_markup,
                "status": OutboxStatus.PENDING,
                "attempts": 0,
                "due_at": now,
                "created_at": now,
                "priority": a.priority.value,
                "thread": a.thread,
                "silent": a.silent,
                "seen_at": a.seen_at or now,
                "rules": a.rules,
            }
            for a in alerts
        ]
        table = table_of(OutboxMessage)
        async with self._sessions() as session:
            await _drop_lock(session, shared=True)
            result = await session.execute(
                upsert(session, OutboxMessage)
                .on_conflict_do_nothing(index_elements=["dedup_key"])
                .returning(table.c.id, table.c.dedup_key),
                rows,
            )
            inserted = {key: row_id for row_id, key in result.all()}
            stored = [a for a in alerts if a.dedup_key in inserted]
            revisions = await _revisions(session, {r for a in stored for r in a.rules})
            unwanted = [inserted[a.dedup_key] for a in stored if a.outdated(revisions)]
            if unwanted:
                await session.execute(
                    delete(OutboxMessage).where(col(OutboxMessage.id).in_(unwanted))
                )
            for alert in stored:
                stale = alert.stale(revisions)
                if stale and alert.without is not None and not alert.outdated(revisions):
                    await _store_as(session, inserted[alert.dedup_key], alert.without(stale), now)
            await session.commit()
        return len(inserted) - len(unwanted)

    async def recover(self) -> int:
        """After a crash: messages that were in flight go back to the queue."""
        async with self._sessions() as session:
            count = await execute_count(
                session,
                update(OutboxMessage)
                .where(col(OutboxMessage.status) == OutboxStatus.SENDING)
                .values(status=OutboxStatus.PENDING),
            )
            await session.commit()
            return count

    async def claim(
        self,
        now: datetime,
        *,
        limit: int,
        skip_chats: frozenset[int] = frozenset(),
        only: Priority | None = None,
        lease: timedelta = LEASE,
    ) -> list[OutboxMessage]:
        """The head of each chat's queue (one per chat: per-chat order and pacing), urgent
        chats first, marked `sending`. SKIP LOCKED keeps two senders from claiming the same row
        on PostgreSQL. `only` claims just that priority."""
        table = OutboxMessage
        stale = and_(
            col(table.status) == OutboxStatus.SENDING, col(table.claimed_at) <= now - lease
        )
        in_flight = and_(
            col(table.status) == OutboxStatus.SENDING, or_(col(table.claimed_at).is_(None), ~stale)
        )
        # A chat's head: its message in flight if any (then nothing else of it goes), else its
        # most urgent, oldest message, due or not (a 429 keeps the chat's order).
        place = func.row_number().over(
            partition_by=col(table.chat_id),
            order_by=(case((in_flight, -1), else_=URGENT_FIRST), col(table.id)),
        )
        # Claiming urgent ones only, a chat's head is its in-flight row or an urgent one (a
        # normal row never outranks an urgent one): ranking just those keeps each urgent batch
        # from sorting every normal row queued (0.6 s behind 200,000 of them, 0.2 s now).
        claimable = or_(
            and_(col(table.status) == OutboxStatus.PENDING, col(table.due_at) <= now), stale
        )
        wanted = [col(table.priority) == only.value] if only is not None else []
        ranked = (
            select(
                col(table.id),
                place.label("place"),
                and_(claimable, *wanted).label("wanted"),
                URGENT_FIRST.label("urgency"),
            )
            .where(
                col(table.status).in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
                *(
                    [or_(col(table.priority) == only.value, in_flight)]
                    if only is Priority.URGENT
                    else []
                ),
            )
            .subquery()
        )
        # The batch's ids are picked first, then locked by id: one statement that joined the
        # heads to the table let PostgreSQL, with statistics older than a burst (a table of
        # `sent` rows guessed 1 pending), rescan the heads once per pending row: 0.3-0.5 s a
        # claim behind 1,000 alerts, over 40 s behind 30,000.
        heads = (
            select(ranked.c.id)
            .where(ranked.c.place == 1, ranked.c.wanted)
            .order_by(ranked.c.urgency, ranked.c.id)
            .limit(limit + len(skip_chats))
        )
        async with self._sessions() as session:
            ids = list((await session.execute(heads)).scalars())
            # Checked again on the locked row: another sender may have claimed it meanwhile.
            query = (
                select(table)
                .where(col(table.id).in_(ids), claimable, *wanted)
                .order_by(URGENT_FIRST, col(table.id))
                .with_for_update(skip_locked=True)
            )
            rows = [
                r for r in (await session.execute(query)).scalars() if r.chat_id not in skip_chats
            ]
            rows = rows[:limit]
            if rows:
                await session.execute(
                    update(table)
                    .where(col(table.id).in_([r.id for r in rows]))
                    .values(status=OutboxStatus.SENDING, claimed_at=now)
                )
            await session.commit()
        return rows

    async def mark_sent(self, message_id: int, now: datetime) -> None:
        await self.mark_accepted([Accepted(message_id, now)])

    async def mark_accepted(self, accepted: Sequence[Accepted]) -> None:
        """A batch of sends Telegram took, in one transaction (one per message held the
        paid 1,000/s back to a few hundred)."""
        if not accepted:
            return
        async with self._sessions() as session:
            await session.execute(
                update(OutboxMessage),
                [
                    {
                        "id": a.row_id,
                        "status": OutboxStatus.SENT,
                        "sent_at": a.at,
                        "message_id": a.telegram_id,
                        "paid": a.paid,
                    }
                    for a in accepted
                ],
            )
            await session.commit()

    async def thread_root(self, chat_id: int, thread: str) -> int | None:
        """Telegram's id of the first message sent in this chat's thread, if any."""
        async with self._sessions() as session:
            return (
                await session.execute(
                    select(col(OutboxMessage.message_id))
                    .where(
                        col(OutboxMessage.chat_id) == chat_id,
                        col(OutboxMessage.thread) == thread,
                        col(OutboxMessage.message_id).is_not(None),
                    )
                    .order_by(col(OutboxMessage.id))
                    .limit(1)
                )
            ).scalar_one_or_none()

    async def threads_begun(self, pairs: Iterable[tuple[int, str]]) -> set[tuple[int, str]]:
        """Of these (chat, thread) pairs, the ones with a message queued or sent in that chat:
        the thread has begun there, so its next message is a quiet reply. Asked of the outbox
        rather than kept in memory, so a restart mid-event does not ring again."""
        by_chat: dict[int, set[str]] = {}
        for chat_id, thread in pairs:
            by_chat.setdefault(chat_id, set()).add(thread)
        chats = sorted(by_chat)
        threads = set().union(*by_chat.values()) if by_chat else set()
        begun: set[tuple[int, str]] = set()
        async with self._sessions() as session:
            for batch in batches(chats):
                query = select(col(OutboxMessage.chat_id), not_null(OutboxMessage.thread)).where(
                    col(OutboxMessage.chat_id).in_(batch),
                    col(OutboxMessage.thread).in_(sorted(threads)),
                    col(OutboxMessage.status) != OutboxStatus.DEAD,
                )
                rows = await session.execute(query)
                begun.update((c, t) for c, t in rows.all() if t in by_chat[c])
        return begun

    async def paid_since(self, since: datetime) -> int:
        """Messages sent with allow_paid_broadcast since then: the day's spent budget."""
        async with self._sessions() as session:
            return await count_rows(
                session,
                OutboxMessage,
                col(OutboxMessage.paid).is_(True),
                col(OutboxMessage.sent_at) >= since,
            )

    async def deliveries(self, since: datetime) -> list[Delivery]:
        """Every alert Telegram accepted since then, with the time from evidence to accept."""
        table = OutboxMessage
        async with self._sessions() as session:
            rows = await session.execute(
                select(
                    col(table.priority),
                    col(table.seen_at),
                    col(table.created_at),
                    not_null(table.sent_at),
                ).where(col(table.status) == OutboxStatus.SENT, col(table.sent_at) >= since)
            )
            return [
                Delivery(Priority(priority), (sent - (seen or created)).total_seconds())
                for priority, seen, created, sent in rows.all()
            ]

    async def retry_later(self, message_id: int, due_at: datetime, error: str) -> None:
        """Queued again, unless the row was dropped while it was being sent (its chat gone, its
        rules removed meanwhile): a dropped alert stays dropped."""
        async with self._sessions() as session:
            await session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == message_id,
                    col(OutboxMessage.status) == OutboxStatus.SENDING,
                )
                .values(
                    status=OutboxStatus.PENDING,
                    due_at=due_at,
                    last_error=error[:200],
                    attempts=col(OutboxMessage.attempts) + 1,
                )
            )
            await session.commit()

    async def mark_dead(self, message_id: int, error: str) -> None:
        await self._set(message_id, status=OutboxStatus.DEAD, last_error=error[:200])

    async def prune(self, before: datetime) -> int:
        """Sent and dead rows created before `before`: their threads are over and their dedup
        keys carry a tick long past, so nothing reads them again. Queued and held rows stay."""
        async with self._sessions() as session:
            count = await execute_count(
                session,
                delete(OutboxMessage).where(
                    col(OutboxMessage.status).in_((OutboxStatus.SENT, OutboxStatus.DEAD)),
                    col(OutboxMessage.created_at) < before,
                ),
            )
            await session.commit()
            return count

    async def drop_chat(self, chat_id: int, error: str) -> int:
        """The chat is gone (blocked us, deleted): nothing queued for it may go, held digests
        included."""
        async with self._sessions() as session:
            await _drop_lock(session, shared=False)
            return await _drop(session, [col(OutboxMessage.chat_id) == chat_id], error)

    async def drop_gone_rules(
        self, chat_id: int, error: str, *, changed: Collection[int] = ()
    ) -> int:
        """Some of the chat's rules were removed (/unwatch, a channel unlinked), or `changed`
        (/edit, an edited /watch): nothing queued for it from those rules may go (one being
        sent that Telegram takes stays sent). A held digest loses their alerts and keeps the
        rest; what no rule made (an operator's broadcast post to the same channel, a built-in
        warning) still goes. Returns how many queued messages were dropped or cut."""
        async with self._sessions() as session:
            await _drop_lock(session, shared=False)
            rows = list(
                (
                    await session.execute(
                        select(OutboxMessage).where(
                            col(OutboxMessage.chat_id) == chat_id,
                            col(OutboxMessage.status).in_(QUEUED),
                            or_(
                                col(OutboxMessage.rules).is_not(None),
                                col(OutboxMessage.status) == OutboxStatus.HELD,
                            ),
                        )
                    )
                ).scalars()
            )
            named = {r for row in rows for r in row.rules}
            removed = (named - (await _revisions(session, named)).keys()) | set(changed)
            left = await count_rows(session, WatchRuleRow, col(WatchRuleRow.chat_id) == chat_id)
            no_rules_left = not left
            unwanted, cut = [], 0
            for row in rows:
                digest = _digest_of(row)
                kept = digest.without(removed, no_rules_left=no_rules_left)
                if kept is None:
                    unwanted.append(row.id)
                elif kept != digest:
                    # Still queued: a send under way that Telegram took stays sent.
                    cut += await execute_count(
                        session,
                        update(OutboxMessage)
                        .where(
                            col(OutboxMessage.id) == row.id, col(OutboxMessage.status).in_(QUEUED)
                        )
                        .values(text=kept.text, rules=kept.rules, digest=kept),
                    )
            return cut + await _drop(session, [col(OutboxMessage.id).in_(unwanted)], error)

    async def rewrite_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: what is queued for it goes to the new id, to be sent
        again, and a held digest waits there for its hour, where the chat's rules and their
        removal now are."""
        held = col(OutboxMessage.status) == OutboxStatus.HELD
        async with self._sessions() as session:
            await session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.chat_id) == old_chat_id,
                    col(OutboxMessage.status).in_(QUEUED),
                )
                .values(
                    chat_id=new_chat_id,
                    status=case((held, OutboxStatus.HELD), else_=OutboxStatus.PENDING),
                    claimed_at=None,
                )
            )
            await session.commit()

    async def counts(self) -> dict[str, int]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(col(OutboxMessage.status), func.count()).group_by(col(OutboxMessage.status))
            )
            return {status: count for status, count in rows.all()}

    async def next_due(self) -> datetime | None:
        async with self._sessions() as session:
            return (
                await session.execute(
                    select(func.min(col(OutboxMessage.due_at))).where(
                        col(OutboxMessage.status) == OutboxStatus.PENDING
                    )
                )
            ).scalar_one_or_none()

    async def messages(self, chat_id: int) -> list[OutboxMessage]:
        async with self._sessions() as session:
            query = select(OutboxMessage).where(col(OutboxMessage.chat_id) == chat_id)
            return list((await session.execute(query.order_by(col(OutboxMessage.id)))).scalars())

    async def _set(self, row_id: int, **values: object) -> None:
        async with self._sessions() as session:
            await session.execute(
                update(OutboxMessage).where(col(OutboxMessage.id) == row_id).values(**values)
            )
            await session.commit()


async def _store_as(
    session: AsyncSession, row_id: int, alert: OutgoingAlert, now: datetime
) -> None:
    """The stored row `row_id` becomes `alert` (its key stays)."""
    await session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == row_id)
        .values(
            text=alert.text,
            reply_markup=alert.reply_markup,
            priority=alert.priority.value,
            seen_at=alert.seen_at or now,
            rules=alert.rules,
        )
    )


def _added(digest: Digest, holds: Iterable[Hold], full: str) -> Digest:
    """`digest` with the alerts of `holds` added in order (see Digest.add)."""
    for held in holds:
        alert = held.alert
        digest = digest.add(HeldAlert(alert.text, alert.rules, alert.dedup_key), full)
    return digest


def _set_digest(row: OutboxMessage, digest: Digest) -> None:
    row.text, row.rules, row.digest = digest.text, digest.rules, digest


def _digest_of(row: OutboxMessage, full: str = "") -> Digest:
    """The row as the alerts it holds: any row but a digest held since migration 0012 is one
    alert (a digest held before it, its merged text, closed if it ends with `full`)."""
    if row.digest is not None:
        return row.digest
    # Rows from before migration 0011 name no rules. A held one is a digest, and only rules'
    # alerts were ever held: it goes with the chat's last rule (HeldAlert.gone). A queued one
    # may be an operator's post, as like as a rule's alert: it stays, since a lost post is
    # worse than one last alert, and it is sent within seconds unless Telegram holds it back.
    rules = None if row.status == OutboxStatus.HELD and not row.rules else row.rules
    if full and row.text.endswith(full):
        return Digest("", (HeldAlert(row.text.removesuffix(full), rules),), full)
    return Digest("", (HeldAlert(row.text, rules),))


async def _drop_lock(session: AsyncSession, *, shared: bool) -> None:
    """On PostgreSQL, alerts being stored hold this shared and a chat's drop holds it alone, so
    a drop waits for the alerts under way. SQLite needs none: one writer at a time, and the
    alerts are written before their rules are checked."""
    if session.get_bind().dialect.name == "postgresql":
        take = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        await session.execute(text(f"SELECT {take}(:key)"), {"key": DROP_LOCK_KEY})


async def _drop(session: AsyncSession, which: list[ColumnElement[bool]], error: str) -> int:
    """Marks the queued rows `which` picks dead, and commits."""
    count = await execute_count(
        session,
        update(OutboxMessage)
        .where(*which, col(OutboxMessage.status).in_(QUEUED))
        .values(status=OutboxStatus.DEAD, last_error=error[:200]),
    )
    await session.commit()
    return count


async def _revisions(session: AsyncSession, rule_ids: set[int]) -> dict[int, int]:
    """Of these rules, the revision of each still there (one missing is removed), asked in the
    transaction that stores their alerts. Removing or changing a chat's rules comes before
    dropping their alerts (`drop_gone_rules`), so an alert of a tick that was under way then is
    either refused here (its rules already gone or changed, see OutgoingAlert.outdated) or
    stored, with its rules, before the drop, which then finds it."""
    wanted = sorted(rule_ids)
    found: dict[int, int] = {}
    for batch in batches(wanted):
        query = select(not_null(WatchRuleRow.id), col(WatchRuleRow.revision)).where(
            col(WatchRuleRow.id).in_(batch)
        )
        found.update((rule, revision) for rule, revision in (await session.execute(query)).all())
    return found
