from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.delivery.latency import latency_report
from bot.delivery.priority import Priority
from storage.db import make_session_factory
from storage.models import ChatSettings, OutboxMessage
from storage.repositories import outbox as outbox_module
from storage.repositories.chat_settings import ChatSettingsRepository
from storage.repositories.outbox import Hold, OutboxRepository, OutgoingAlert
from storage.repositories.rules import RuleCapReached, RuleRepository, RuleStateRow
from tests.conftest import watch_service

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def paused_after_the_rule_check(
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[asyncio.Event, asyncio.Event]:
    """(checked, resume): the next alerts stored stop once they have found their rules as they
    were matched, uncommitted, until `resume` is set; the check after it (a drop's) is as ever."""
    checked, resume = asyncio.Event(), asyncio.Event()
    check = outbox_module._revisions

    async def paused(session: AsyncSession, rule_ids: set[int]) -> dict[int, int]:
        monkeypatch.setattr(outbox_module, "_revisions", check)
        there = await check(session, rule_ids)
        checked.set()
        await resume.wait()
        return there

    monkeypatch.setattr(outbox_module, "_revisions", paused)
    return checked, resume


async def test_enqueue_is_idempotent_per_dedup_key(engine: AsyncEngine) -> None:
    outbox = OutboxRepository(make_session_factory(engine))
    alerts = [OutgoingAlert(1, "tick1:1", "a"), OutgoingAlert(2, "tick1:2", "b")]
    assert await outbox.enqueue(alerts, T0) == 2
    assert await outbox.enqueue(alerts, T0) == 0
    assert await outbox.counts() == {"pending": 2}


async def test_claim_takes_one_due_message_per_chat_in_order(engine: AsyncEngine) -> None:
    outbox = OutboxRepository(make_session_factory(engine))
    await outbox.enqueue(
        [
            OutgoingAlert(1, "k1", "first"),
            OutgoingAlert(1, "k2", "second"),
            OutgoingAlert(2, "k3", "other chat"),
        ],
        T0,
    )
    claimed = await outbox.claim(T0, limit=10)
    assert [(m.chat_id, m.text) for m in claimed] == [(1, "first"), (2, "other chat")]
    # Chat 1's first message is in flight: its second waits, whatever the limit.
    assert await outbox.claim(T0, limit=10) == []
    await outbox.mark_sent(claimed[0].id, T0)
    assert [m.text for m in await outbox.claim(T0, limit=10)] == ["second"]


async def test_retry_after_holds_the_chat_until_due(engine: AsyncEngine) -> None:
    outbox = OutboxRepository(make_session_factory(engine))
    await outbox.enqueue([OutgoingAlert(1, "k1", "x"), OutgoingAlert(1, "k2", "y")], T0)
    [first] = await outbox.claim(T0, limit=5)
    await outbox.retry_later(first.id, T0 + timedelta(seconds=3), "429 retry after 3")
    assert await outbox.claim(T0 + timedelta(seconds=2), limit=5) == []
    [again] = await outbox.claim(T0 + timedelta(seconds=3), limit=5)
    assert (again.text, again.attempts, again.last_error) == ("x", 1, "429 retry after 3")
    # The second message stays queued behind the first, although it is due.
    assert await outbox.next_due() == T0
    assert await outbox.claim(T0 + timedelta(seconds=3), limit=5) == []


async def test_recover_requeues_in_flight_messages_after_a_crash(engine: AsyncEngine) -> None:
    sessions = make_session_factory(engine)
    await OutboxRepository(sessions).enqueue([OutgoingAlert(1, "k1", "x")], T0)
    await OutboxRepository(sessions).claim(T0, limit=5)
    restarted = OutboxRepository(sessions)
    assert await restarted.recover() == 1
    assert [m.text for m in await restarted.claim(T0, limit=5)] == ["x"]


async def test_drop_and_rewrite_chat(engine: AsyncEngine) -> None:
    outbox = OutboxRepository(make_session_factory(engine))
    await outbox.enqueue([OutgoingAlert(1, "k1", "x"), OutgoingAlert(-5, "k2", "y")], T0)
    assert await outbox.drop_chat(1, "403 blocked") == 1
    await outbox.rewrite_chat(-5, -1005)
    [message] = await outbox.claim(T0, limit=5)
    assert message.chat_id == -1005
    assert (await outbox.counts())["dead"] == 1


async def test_group_upgrade_moves_every_setting_and_keeps_the_supergroups_own(
    engine: AsyncEngine,
) -> None:
    settings = ChatSettingsRepository(make_session_factory(engine))
    group = ChatSettings(
        chat_id=-5,
        timezone="Europe/Moscow",
        quiet_start=1380,
        quiet_end=420,
        cooldown_s=600,
        language="ru",
    )
    await settings.save(group)
    await settings.rewrite_chat(-5, -1005)
    moved = await settings.get(-1005)
    assert moved.model_dump() == {**group.model_dump(), "chat_id": -1005}
    assert await settings.for_chats([-5]) == {}

    # An admin who already set the supergroup's own settings said the newer word.
    await settings.save(ChatSettings(chat_id=-6, language="es"))
    await settings.save(ChatSettings(chat_id=-1006, language="tr"))
    await settings.rewrite_chat(-6, -1006)
    assert (await settings.get(-1006)).language == "tr"
    assert await settings.for_chats([-6]) == {}


async def test_rules_cap_list_delete_and_state(engine: AsyncEngine) -> None:
    rules = RuleRepository(make_session_factory(engine))
    first = await rules.add(-100, 7, "BTC oi 1h > 5%", T0, cap=2)
    await rules.add(-100, 7, "BTC squeeze", T0, cap=2)
    with pytest.raises(RuleCapReached):
        await rules.add(-100, 7, "ETH squeeze", T0, cap=2)
    assert [r.text for r in await rules.for_chat(-100)] == ["BTC oi 1h > 5%", "BTC squeeze"]

    await rules.save_states([RuleStateRow(first.id, False, T0, None, first.revision)])
    stored = await rules.get(first.id)
    assert stored is not None and (stored.armed, stored.last_fired) == (False, T0)

    assert await rules.pause_chat(-100, True) != []
    assert await rules.active() == []
    await rules.pause_chat(-100, False)
    await rules.rewrite_chat(-100, -1000100)
    assert len(await rules.for_chat(-1000100)) == 2
    assert await rules.delete(-1000100, first.id) == [first.id]
    assert await rules.delete(-999, None) == []
    assert len(await rules.delete(-1000100)) == 1


async def test_a_tick_firing_many_rules_saves_their_states_in_one_statement(
    engine: AsyncEngine,
) -> None:
    """A cold start fires hundreds of thousands of rules in its first tick; one UPDATE each took
    12.6 s per 20,000 rules on PostgreSQL before the next tick could begin. A state of a rule
    changed since (another revision) is still not written over the new one's."""
    rules = RuleRepository(make_session_factory(engine))
    made = [await rules.add(-100 - n, 7, "BTC funding > 0.05%", T0, cap=5) for n in range(300)]
    stale = made[0]
    states = [RuleStateRow(r.id, False, T0, None, r.revision) for r in made[1:]]
    states.append(RuleStateRow(stale.id, False, T0, None, stale.revision + 1))
    updates: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("UPDATE"):
            updates.append(statement)

    sqlalchemy.event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        await rules.save_states(states)
    finally:
        sqlalchemy.event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert len(updates) == 1
    stored = {r.id: (r.armed, r.last_fired) for r in await rules.active()}
    assert sum(1 for state in stored.values() if state == (False, T0)) == 299
    assert stored[stale.id] == (True, None)


async def test_claim_puts_urgent_first_across_and_within_chats_then_age(
    engine: AsyncEngine,
) -> None:
    outbox = OutboxRepository(make_session_factory(engine))
    await outbox.enqueue(
        [
            OutgoingAlert(1, "n1", "chat 1 normal, oldest"),
            OutgoingAlert(2, "n2", "chat 2 normal"),
            OutgoingAlert(2, "u2", "chat 2 urgent", priority=Priority.URGENT),
            OutgoingAlert(3, "u3", "chat 3 urgent", priority=Priority.URGENT),
        ],
        T0,
    )
    claimed = await outbox.claim(T0, limit=2)
    assert [m.text for m in claimed] == ["chat 2 urgent", "chat 3 urgent"]
    assert [m.text for m in await outbox.claim(T0, limit=10)] == ["chat 1 normal, oldest"]
    for message in claimed:
        await outbox.mark_sent(message.id, T0)
    assert [m.text for m in await outbox.claim(T0, limit=10)] == ["chat 2 normal"]


async def test_latency_per_priority_from_evidence_seen_to_accepted(engine: AsyncEngine) -> None:
    """What `oiwatch latency` prints: seconds from the evidence (or the queueing, when no
    evidence time was given) to Telegram accepting the alert, per priority."""
    outbox = OutboxRepository(make_session_factory(engine))
    seen = T0 - timedelta(seconds=40)
    await outbox.enqueue(
        [
            OutgoingAlert(1, "u1", "a", priority=Priority.URGENT, seen_at=seen),
            OutgoingAlert(2, "u2", "b", priority=Priority.URGENT, seen_at=seen),
            OutgoingAlert(3, "n3", "c"),
        ],
        T0,
    )
    rows = {m.chat_id: m for m in await outbox.claim(T0, limit=10)}
    await outbox.mark_sent(rows[1].id, T0 + timedelta(seconds=2))
    await outbox.mark_sent(rows[2].id, T0 + timedelta(seconds=20))
    await outbox.mark_sent(rows[3].id, T0 + timedelta(seconds=300))
    deliveries = await outbox.deliveries(T0)
    assert sorted((d.priority, d.seconds) for d in deliveries) == [
        (Priority.NORMAL, 300.0),
        (Priority.URGENT, 42.0),
        (Priority.URGENT, 60.0),
    ]
    assert latency_report(deliveries, 24) == (
        "alert latency over the last 24 h (evidence seen -> Telegram accepted)\n"
        "urgent: 2 sent, p50 42.0 s, p99 60.0 s, max 60.0 s\n"
        "normal: 1 sent, p50 300.0 s, p99 300.0 s, max 300.0 s"
    )


async def test_claiming_urgent_only_waits_for_a_chats_alert_in_flight(engine: AsyncEngine) -> None:
    """Paid broadcast claims urgent alerts only: a chat whose normal alert is in flight waits
    for it, unless that claim is past the lease; one urgent alert per chat; a chat with none
    gives nothing."""
    outbox = OutboxRepository(make_session_factory(engine))
    lease = timedelta(minutes=1)
    await outbox.enqueue(
        [OutgoingAlert(1, "n1", "1 normal"), OutgoingAlert(2, "n2", "2 normal")], T0 - 2 * lease
    )
    lost = await outbox.claim(T0 - 2 * lease, limit=10, skip_chats=frozenset({1}), lease=lease)
    sending = await outbox.claim(T0, limit=10, skip_chats=frozenset({2}), lease=lease)
    assert [m.text for m in lost + sending] == ["2 normal", "1 normal"]
    await outbox.enqueue(
        [
            OutgoingAlert(1, "u1", "1 urgent", priority=Priority.URGENT),
            OutgoingAlert(2, "u2", "2 urgent", priority=Priority.URGENT),
            OutgoingAlert(3, "u3", "3 urgent", priority=Priority.URGENT),
            OutgoingAlert(3, "v3", "3 second urgent", priority=Priority.URGENT),
            OutgoingAlert(4, "n4", "4 normal"),
        ],
        T0,
    )
    urgent = await outbox.claim(T0, limit=10, only=Priority.URGENT, lease=lease)
    assert [m.text for m in urgent] == ["2 urgent", "3 urgent"]
    assert [m.text for m in await outbox.claim(T0, limit=10, lease=lease)] == ["4 normal"]


async def test_an_alert_dropped_while_in_flight_stays_dropped(engine: AsyncEngine) -> None:
    """The chat was gone while its message was being sent: a 429 written afterwards does not
    queue it again."""
    outbox = OutboxRepository(make_session_factory(engine))
    await outbox.enqueue([OutgoingAlert(-5, "k1", "x")], T0)
    [in_flight] = await outbox.claim(T0, limit=5)
    assert await outbox.drop_chat(-5, "403 blocked") == 1
    await outbox.retry_later(in_flight.id, T0 + timedelta(seconds=3), "429 retry after 3")
    assert await outbox.claim(T0 + timedelta(hours=1), limit=5) == []
    [row] = await outbox.messages(-5)
    assert (row.status, row.last_error, row.attempts) == ("dead", "403 blocked", 0)


async def test_dropping_a_chats_gone_rules_leaves_what_no_rule_made(engine: AsyncEngine) -> None:
    """A channel unlinked, its rule removed: what the rule queued is dropped, the alert in
    flight (a 429 written afterwards does not queue it again) and a held digest included.
    A digest that also holds a kept rule's alert stays without the removed rule's, and the
    operator's broadcast post, which no rule made, stays as it was."""
    sessions = make_session_factory(engine)
    rules, outbox = RuleRepository(sessions), OutboxRepository(sessions)
    kept = await rules.add(-5, 7, "BTC squeeze", T0, cap=5)
    removed = await rules.add(-5, 7, "ETH squeeze", T0, cap=5)
    await outbox.enqueue([OutgoingAlert(-5, "flight", "in flight", rules=(removed.id,))], T0)
    [in_flight] = await outbox.claim(T0, limit=5)
    await outbox.enqueue(
        [
            OutgoingAlert(-5, "gone", "its rule gone", rules=(removed.id,)),
            OutgoingAlert(-5, "both", "one rule left", rules=(kept.id, removed.id)),
            OutgoingAlert(-5, "channel:post", "operator's post"),
        ],
        T0,
    )
    later = T0 + timedelta(hours=1)
    await outbox.hold(
        OutgoingAlert(-5, "h1", "held", rules=(removed.id,)), later, T0, into="digest"
    )
    await outbox.hold(OutgoingAlert(-5, "h2", "ETH", rules=(removed.id,)), later, T0, into="mixed")
    await outbox.hold(OutgoingAlert(-5, "h3", "BTC", rules=(kept.id,)), later, T0, into="mixed")
    await rules.delete(-5, removed.id)

    assert await outbox.drop_gone_rules(-5, "channel unlinked") == 4
    await outbox.retry_later(in_flight.id, T0 + timedelta(seconds=3), "429 retry after 3")
    assert [(m.text, m.status, m.rules) for m in await outbox.messages(-5)] == [
        ("in flight", "dead", (removed.id,)),
        ("its rule gone", "dead", (removed.id,)),
        ("one rule left", "pending", (kept.id, removed.id)),
        ("operator's post", "pending", ()),
        ("held", "dead", (removed.id,)),
        ("BTC", "held", (kept.id,)),
    ]
    assert await outbox.drop_gone_rules(-5, "channel unlinked") == 0


async def test_a_digest_loses_only_the_alerts_of_removed_rules(engine: AsyncEngine) -> None:
    """Quiet hours held, in this order: an alert of a rule the unlink removes, an operator's
    post no rule made, an alert of a rule that stays, the removed rule's next alert, and one
    alert of both rules. The removed rule's two alerts leave the digest; the rest goes, in the
    order held, as one message, once."""
    sessions = make_session_factory(engine)
    rules, outbox = RuleRepository(sessions), OutboxRepository(sessions)
    kept = await rules.add(-5, 7, "BTC funding > 0.05%", T0, cap=5)
    removed = await rules.add(-5, 7, "ETH funding > 0.05%", T0, cap=5)
    due = T0 + timedelta(hours=1)
    for text, ids in (
        ("ETH 0.06%", (removed.id,)),
        ("operator's post", ()),
        ("BTC 0.07%", (kept.id,)),
        ("ETH 0.08%", (removed.id,)),
        ("BTC and ETH", (kept.id, removed.id)),
    ):
        alert = OutgoingAlert(-5, text, text, rules=ids)
        await outbox.hold(alert, due, T0, into="digest:-5", header="Held during quiet hours")
    await rules.delete(-5, removed.id)

    assert await outbox.drop_gone_rules(-5, "channel unlinked") == 1
    assert await outbox.drop_gone_rules(-5, "channel unlinked") == 0
    [row] = await outbox.messages(-5)
    assert (row.status, row.text, row.rules) == (
        "held",
        "Held during quiet hours\n\noperator's post\n\nBTC 0.07%\n\nBTC and ETH",
        (kept.id, removed.id),
    )
    assert await outbox.release_held(due) == 1
    [sent] = await outbox.claim(due, limit=10)
    assert sent.id == row.id and sent.text == row.text
    await outbox.mark_sent(sent.id, due)
    assert await outbox.claim(due + timedelta(hours=1), limit=10) == []


async def test_a_digest_no_rule_made_survives_its_chats_rules(engine: AsyncEngine) -> None:
    """An operator's post and a built-in warning held without a rule, with a rule's alert
    between them: the chat's rules all gone, the rule's alert leaves, the two stay, and the
    next alert held joins them."""
    sessions = make_session_factory(engine)
    rules, outbox = RuleRepository(sessions), OutboxRepository(sessions)
    removed = await rules.add(-5, 7, "ETH funding > 0.05%", T0, cap=5)
    due = T0 + timedelta(hours=1)
    for text, ids in (
        ("operator's post", ()),
        ("ETH 0.06%", (removed.id,)),
        ("BTC overheating", ()),
    ):
        await outbox.hold(OutgoingAlert(-5, text, text, rules=ids), due, T0, into="digest:-5")
    await rules.delete(-5, removed.id)

    assert await outbox.drop_gone_rules(-5, "channel unlinked") == 1
    await outbox.hold(OutgoingAlert(-5, "over", "ETH squeeze over"), due, T0, into="digest:-5")
    assert [(m.status, m.text) for m in await outbox.messages(-5)] == [
        ("held", "operator's post\n\nBTC overheating\n\nETH squeeze over"),
    ]


async def test_an_alert_held_again_is_in_the_digest_once(engine: AsyncEngine) -> None:
    """A tick run again after a crash holds its alerts again: each stays in the digest once,
    while another alert of the same words (another tick's) still joins it."""
    outbox = OutboxRepository(make_session_factory(engine))
    due = T0 + timedelta(hours=1)
    for key, words in (
        ("held:1", "BTC 0.06%"),
        ("held:2", "ETH 0.07%"),
        ("held:1", "BTC 0.06%"),
        ("held:3", "BTC 0.06%"),
        ("held:2", "ETH 0.07%"),
    ):
        await outbox.hold(OutgoingAlert(-5, key, words), due, T0, into="digest:-5", header="Held")
    [row] = await outbox.messages(-5)
    assert row.text == "Held\n\nBTC 0.06%\n\nETH 0.07%\n\nBTC 0.06%"


async def test_a_ticks_holds_for_many_chats_take_one_transaction(engine: AsyncEngine) -> None:
    """A cold start holds hundreds of thousands of firings for chats in quiet hours in one
    tick; a transaction each (20,000 took 28 s on SQLite) held the tick up. 300 firings over 30
    chats are one transaction, each chat's digest holding its 10 in order."""
    sessions = make_session_factory(engine)
    rules, outbox = RuleRepository(sessions), OutboxRepository(sessions)
    made = [
        await rules.add(-100 - n % 30, 7, f"A{n} funding > 0.05%", T0, cap=10) for n in range(300)
    ]
    due = T0 + timedelta(hours=4)
    holds = [
        Hold(
            OutgoingAlert(r.chat_id, f"held:{r.id}", f"A{n}", rules=(r.id,)),
            f"d:{r.chat_id}",
            due,
            "Held",
        )
        for n, r in enumerate(made)
    ]
    commits: list[object] = []

    def count(conn: object) -> None:
        commits.append(conn)

    sqlalchemy.event.listen(engine.sync_engine, "commit", count)
    try:
        await outbox.hold_many(holds, T0)
    finally:
        sqlalchemy.event.remove(engine.sync_engine, "commit", count)
    assert len(commits) == 1
    assert await outbox.counts() == {"held": 30}
    [row] = await outbox.messages(-101)
    assert row.text == "Held\n\n" + "\n\n".join(f"A{n}" for n in range(1, 300, 30))
    assert row.due_at == due


async def test_a_batch_of_holds_leaves_out_only_its_outdated_and_repeated_alerts(
    engine: AsyncEngine,
) -> None:
    """One tick's holds: into chat -5's digest (holding one alert already) an alert of a rule
    changed since the tick matched it, that alert held before (the tick run again), and two
    new ones; into chat -6's a new one; into chat -7's, none held yet, only an alert of a
    rule removed meanwhile. The changed rule's alert and the repeat leave -5's digest as it
    was plus the two new ones, -6 gets its digest, -7 none."""
    sessions = make_session_factory(engine)
    rules, outbox = RuleRepository(sessions), OutboxRepository(sessions)
    kept = await rules.add(-5, 7, "BTC funding > 0.05%", T0, cap=5)
    changed = await rules.add(-5, 7, "ETH funding > 0.05%", T0, cap=5)
    other = await rules.add(-6, 7, "SOL funding > 0.05%", T0, cap=5)
    removed = await rules.add(-7, 7, "XRP funding > 0.05%", T0, cap=5)
    due = T0 + timedelta(hours=4)
    first = OutgoingAlert(-5, "held:1", "BTC 0.06%", rules=(kept.id,), revisions=(0,))
    await outbox.hold(first, due, T0, into="digest:-5", header="Held")
    assert await rules.rewrite(-5, changed.id, "ETH funding > 0.08%")
    await rules.delete(-7, removed.id)

    await outbox.hold_many(
        [
            Hold(
                OutgoingAlert(-5, "held:2", "ETH 0.06%", rules=(changed.id,), revisions=(0,)),
                "digest:-5",
                due,
                "Held",
            ),
            Hold(first, "digest:-5", due, "Held"),
            Hold(OutgoingAlert(-7, "held:3", "XRP 0.06%", rules=(removed.id,)), "digest:-7", due),
            Hold(OutgoingAlert(-5, "held:4", "BTC 0.07%", rules=(kept.id,)), "digest:-5", due),
            Hold(OutgoingAlert(-6, "held:5", "SOL 0.06%", rules=(other.id,)), "digest:-6", due),
            Hold(OutgoingAlert(-5, "held:6", "BTC 0.08%", rules=(kept.id,)), "digest:-5", due),
        ],
        T0,
    )
    assert [(m.status, m.text, m.rules) for m in await outbox.messages(-5)] == [
        ("held", "Held\n\nBTC 0.06%\n\nBTC 0.07%\n\nBTC 0.08%", (kept.id,))
    ]
    assert [(m.status, m.text, m.due_at) for m in await outbox.messages(-6)] == [
        ("held", "SOL 0.06%", due)
    ]
    assert await outbox.messages(-7) == []
    assert await outbox.counts() == {"held": 2}


async def test_a_digest_held_before_alerts_kept_their_keys_still_loads(
    engine: AsyncEngine,
) -> None:
    """A digest written before its alerts kept their dedup keys (each alert [text, rules]):
    it loads, takes new alerts once each, and still loses a removed rule's alert."""
    sessions = make_session_factory(engine)
    rules, outbox = RuleRepository(sessions), OutboxRepository(sessions)
    removed = await rules.add(-5, 7, "ETH funding > 0.05%", T0, cap=5)
    kept = await rules.add(-5, 7, "BTC funding > 0.05%", T0, cap=5)
    due = T0 + timedelta(hours=1)
    await outbox.hold(OutgoingAlert(-5, "held:1", "ETH 0.06%"), due, T0, into="digest:-5")
    alerts = [["ETH 0.06%", [removed.id]], ["BTC 0.07%", [kept.id]]]
    stored = json.dumps({"header": "Held", "alerts": alerts, "full": ""})
    async with sessions() as session:
        await session.execute(sqlalchemy.text("UPDATE outbox SET digest = :d"), {"d": stored})
        await session.commit()
    for _ in range(2):
        alert = OutgoingAlert(-5, "held:2", "BTC 0.08%", rules=(kept.id,))
        await outbox.hold(alert, due, T0, into="digest:-5")
    await rules.delete(-5, removed.id)
    assert await outbox.drop_gone_rules(-5, "rule removed") == 1
    [row] = await outbox.messages(-5)
    assert row.text == "Held\n\nBTC 0.07%\n\nBTC 0.08%"


async def test_alerts_queued_before_rows_kept_their_rules(engine: AsyncEngine) -> None:
    """Rows from before migration 0011 name no rules. Only rules' alerts were ever held, so a
    digest of then goes once the chat has no rules left; a queued one may be an operator's
    post, so it stays (and goes within seconds anyway)."""
    sessions = make_session_factory(engine)
    rules, outbox = RuleRepository(sessions), OutboxRepository(sessions)
    kept = await rules.add(-5, 7, "BTC funding > 0.05%", T0, cap=5)
    due = T0 + timedelta(hours=1)
    async with sessions() as session:
        for key, status in (("channel:old:-5:0", "pending"), ("digest:-5:old", "held")):
            session.add(
                OutboxMessage(
                    chat_id=-5,
                    dedup_key=key,
                    text=f"before 0011 ({status})",
                    status=status,
                    due_at=due,
                    created_at=T0,
                )
            )
        await session.commit()

    assert await outbox.drop_gone_rules(-5, "channel unlinked") == 0  # its rules may be there
    await outbox.hold(OutgoingAlert(-5, "after", "after 0011"), due, T0, into="digest:-5:old")
    await rules.delete(-5, kept.id)
    assert await outbox.drop_gone_rules(-5, "channel unlinked") == 1
    assert [(m.text, m.status) for m in await outbox.messages(-5)] == [
        ("before 0011 (pending)", "pending"),
        ("after 0011", "held"),
    ]


async def test_an_alert_whose_rules_are_all_gone_is_not_stored(engine: AsyncEngine) -> None:
    """Its rules were removed (a channel unlinked) while the tick that matched them ran."""
    sessions = make_session_factory(engine)
    rules, outbox = RuleRepository(sessions), OutboxRepository(sessions)
    kept = await rules.add(-5, 7, "BTC squeeze", T0, cap=5)
    removed = await rules.add(-5, 7, "ETH squeeze", T0, cap=5)
    await rules.delete(-5, removed.id)
    stored = await outbox.enqueue(
        [
            OutgoingAlert(-5, "both", "one rule left", rules=(kept.id, removed.id)),
            OutgoingAlert(-5, "gone", "no rule left", rules=(removed.id,)),
            OutgoingAlert(-5, "broadcast", "no rules behind it"),
        ],
        T0,
    )
    assert stored == 2
    assert [m.text for m in await outbox.messages(-5)] == ["one rule left", "no rules behind it"]
    held = OutgoingAlert(-5, "digest", "held", rules=(removed.id,))
    await outbox.hold(held, T0 + timedelta(hours=1), T0, into="digest")
    assert await outbox.counts() == {"pending": 2}


async def test_an_alert_of_rules_all_changed_since_it_was_matched_is_not_stored(
    engine: AsyncEngine,
) -> None:
    """A rule's threshold moved (/edit) while the tick that matched it ran: its alert of the
    old threshold is refused, queued or held; one that also speaks of a rule still as matched
    stays (as a drop of the changed rule leaves it), and so does a notice about the rule that
    was not matched on it, and an alert matched on the rule as it is now."""
    sessions = make_session_factory(engine)
    rules, outbox = RuleRepository(sessions), OutboxRepository(sessions)
    kept = await rules.add(-5, 7, "BTC funding > 0.05%", T0, cap=5)
    changed = await rules.add(-5, 7, "ETH funding > 0.05%", T0, cap=5)
    assert await rules.rewrite(-5, changed.id, "ETH funding > 0.08%")
    was, now = changed.revision, changed.revision + 1
    stored = await outbox.enqueue(
        [
            OutgoingAlert(-5, "old", "ETH 0.06% > 0.05%", rules=(changed.id,), revisions=(was,)),
            OutgoingAlert(
                -5, "both", "BTC and ETH", rules=(kept.id, changed.id), revisions=(0, was)
            ),
            OutgoingAlert(-5, "notice", "bybit degraded", rules=(changed.id,)),
            OutgoingAlert(-5, "new", "ETH 0.09% > 0.08%", rules=(changed.id,), revisions=(now,)),
        ],
        T0,
    )
    assert stored == 3
    assert [m.text for m in await outbox.messages(-5)] == [
        "BTC and ETH",
        "bybit degraded",
        "ETH 0.09% > 0.08%",
    ]
    held = OutgoingAlert(-5, "held", "ETH 0.06% > 0.05%", rules=(changed.id,), revisions=(was,))
    await outbox.hold(held, T0 + timedelta(hours=1), T0, into="digest")
    assert await outbox.counts() == {"pending": 3}


async def test_an_edit_waits_for_alerts_being_stored_and_drops_its_rules_old_ones(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tick has stored its alerts and found their rules as it matched them, but not
    committed, when a trader moves a threshold (/edit): the edit's drop waits for the tick
    (PostgreSQL: the drop lock; SQLite: its one writer), then finds the old threshold's alert
    and drops it; the other rule's alert stays."""
    watch = watch_service(make_session_factory(engine))
    edited = await watch.add(-5, 7, "BTC funding > 0.05%", T0)
    other = await watch.add(-6, 7, "BTC funding > 0.05%", T0)
    checked, resume = paused_after_the_rule_check(monkeypatch)
    alerts = [
        OutgoingAlert(chat, f"tick:{chat}", "BTC funding 0.06% crossed", rules=(r,), revisions=(0,))
        for chat, r in ((-5, edited.id), (-6, other.id))
    ]
    storing = asyncio.create_task(watch.outbox.enqueue(alerts, T0))
    await checked.wait()
    editing = asyncio.create_task(watch.edit(-5, edited.id, "0.08%", T0))
    await asyncio.sleep(0.5)
    assert not editing.done()
    resume.set()
    assert await storing == 2
    assert (await editing) is not None
    assert [(m.status, m.last_error) for m in await watch.outbox.messages(-5)] == [
        ("dead", "rule changed")
    ]
    assert [m.status for m in await watch.outbox.messages(-6)] == ["pending"]


async def test_prune_deletes_only_old_sent_and_dead_alerts(engine: AsyncEngine) -> None:
    """The outbox would otherwise keep every alert ever sent: a month-old delivered or dead
    one goes; anything still queued or held stays, however old, and so does a recent one."""
    outbox = OutboxRepository(make_session_factory(engine))
    old, cutoff = T0 - timedelta(days=40), T0 - timedelta(days=30)
    await outbox.enqueue([OutgoingAlert(chat, f"old{chat}", "a") for chat in (1, 2, 3)], old)
    await outbox.hold(OutgoingAlert(4, "old-held", "held"), T0, old, into="old-digest")
    await outbox.enqueue([OutgoingAlert(5, "new", "b")], T0)
    sent, dead, _queued, recent = sorted(await outbox.claim(T0, limit=10), key=lambda m: m.chat_id)
    await outbox.mark_sent(sent.id, old)
    await outbox.mark_dead(dead.id, "403 blocked")
    await outbox.mark_sent(recent.id, T0)

    assert await outbox.prune(cutoff) == 2
    assert await outbox.counts() == {"sending": 1, "held": 1, "sent": 1}
    assert await outbox.prune(cutoff) == 0
