"""Every way to remove a rule through the real handlers (/unwatch, /unwatch all, the remove
button, a group's admin, a linked channel's admin) takes the rule's alerts not yet sent with it,
its part of a held quiet-hours digest included; other rules' alerts and a built-in warning
stay, word for word."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage.repositories.outbox import OutgoingAlert
from tests.handlers.harness import USER, ChatHarness

GROUP, CHANNEL = -1001234, -1009999
REMOVED = "Removed rule #1 <code>BTC funding &gt; 0.05%</code>."
HEADER = "🌙 <b>Held during quiet hours</b> (23:00–07:00 UTC)"


async def _remove(chat: ChatHarness, how: str, target: int, rule_id: int) -> str:
    """Removes rule `rule_id` of chat `target` as `how` says; the answer the user reads."""
    if how == "button":
        calls = await chat.press(f"rule:del:{rule_id}")
        return next(str(c.params["text"]) for c in calls if c.method == "answerCallbackQuery")
    where = {"group": {"chat_id": GROUP}}.get(how, {})
    name = "@mydesk " if target == CHANNEL else ""
    command = "/unwatch all" if how == "all" else f"/unwatch {name}{rule_id}"
    return await chat.ask(command, **where)


@pytest.mark.parametrize(
    ("how", "target", "answer"),
    [
        ("command", USER, REMOVED),
        ("button", USER, "Rule removed."),
        ("group", GROUP, REMOVED),
        ("button", GROUP, "Rule removed."),
        ("command", CHANNEL, REMOVED),
        ("all", USER, "Removed 2 rules."),
    ],
)
async def test_removing_a_rule_takes_its_unsent_alerts_out_of_the_queue_and_the_digest(
    chat: ChatHarness, how: str, target: int, answer: str
) -> None:
    services, now = chat.services, datetime.now(UTC)
    chat.request.admins |= {(GROUP, USER), (CHANNEL, USER)}
    await services.channels.link(USER, CHANNEL, "mydesk", "Desk", now)
    removed = await services.watch.add(target, USER, "BTC funding > 0.05%", now)
    kept = await services.watch.add(target, USER, "ETH funding > 0.05%", now)
    outbox = services.outbox
    await outbox.enqueue(
        [
            OutgoingAlert(target, "queued", "BTC funding 0.06% crossed", rules=(removed.id,)),
            OutgoingAlert(target, "other", "ETH funding 0.07% crossed", rules=(kept.id,)),
        ],
        now,
    )
    for key, text, rules in (
        ("held:1", "<i>01:00</i> BTC funding 0.08% crossed", (removed.id,)),
        ("held:2", "<i>02:00</i> ⚠️ BTC overheating", ()),
        ("held:3", "<i>03:00</i> ETH funding 0.09% crossed", (kept.id,)),
    ):
        alert = OutgoingAlert(target, key, text, rules=rules)
        await outbox.hold(alert, now + timedelta(hours=5), now, into="digest", header=HEADER)

    assert await _remove(chat, how, target, removed.id) == answer

    everything = how == "all"
    digest = HEADER + "\n\n<i>02:00</i> ⚠️ BTC overheating"
    if not everything:
        digest += "\n\n<i>03:00</i> ETH funding 0.09% crossed"
    assert [(m.text, m.status, m.last_error) for m in await outbox.messages(target)] == [
        ("BTC funding 0.06% crossed", "dead", "rule removed"),
        (
            "ETH funding 0.07% crossed",
            *(("dead", "rule removed") if everything else ("pending", None)),
        ),
        (digest, "held", None),
    ]
