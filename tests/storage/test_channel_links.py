"""Channel links and unlinking, on SQLite and PostgreSQL: a channel's rules are shared by every
admin who linked it and go, with their unsent alerts, when the last link does; a renamed
channel is found by its new name."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.alerts.pipeline import AlertPipeline
from bot.feed.market_feed import MarketFeed
from bot.market.models import TickResult, Venue, VenueResult
from bot.usecases.channels import ChannelService, ChatName, LinkedChannel, Unlinked
from storage.db import SessionFactory, make_session_factory
from storage.repositories.channels import ChannelRepository
from storage.repositories.outbox import OutboxRepository, OutgoingAlert
from storage.repositories.snapshots import SnapshotRepository
from tests.conftest import watch_service
from tests.storage.test_alert_pipeline import NOW, history
from tests.storage.test_outbox_and_rules import paused_after_the_rule_check

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
CHANNEL, OTHER = -1009999, -1008888
ALICE, BOB = 1001, 77


class Telegram:
    """Which chat Telegram calls @name now, and the names the bot asked it about."""

    def __init__(self, **names: ChatName) -> None:
        self.names = names
        self.asked: list[str] = []

    async def __call__(self, name: str) -> ChatName | None:
        self.asked.append(name)
        return self.names.get(name.lstrip("@").lower())


NO_RENAMES = Telegram()  # knows no channel: every name is the one it was linked under


def _channels(sessions: SessionFactory) -> ChannelService:
    """Links, rules and the outbox on one database, wired as the bot wires them."""
    watch = watch_service(sessions)
    return ChannelService(ChannelRepository(sessions), watch)


async def _btc_cascade(sessions: SessionFactory) -> MarketFeed:
    """A market whose tick at NOW finds BTC in a long squeeze on both venues."""
    snapshots = SnapshotRepository(sessions)
    await snapshots.save(history(crash_on={Venue.BYBIT, Venue.BINANCE}))
    market = MarketFeed(snapshots, None, {"BTC"}, clock=lambda: NOW)
    market.last_tick = TickResult(
        {v: VenueResult(v, (), False, None, 1, 0.1, NOW) for v in (Venue.BINANCE, Venue.BYBIT)}
    )
    return market


async def test_links_are_per_user_and_found_by_name_in_any_case(engine: AsyncEngine) -> None:
    links = ChannelRepository(make_session_factory(engine))
    await links.link(ALICE, CHANNEL, "MyDesk", "Desk", T0)
    await links.link(BOB, CHANNEL, "MyDesk", "Desk", T0)
    # Linking again: still one link, and every link to the channel has its title now.
    await links.link(ALICE, CHANNEL, "MyDesk", "Desk renamed", T0)
    await links.link(BOB, OTHER, "other", None, T0)
    assert (await links.links_to(CHANNEL), await links.links_to(OTHER)) == (2, 1)
    for user in (ALICE, BOB):
        found = await links.find(user, "@mydesk")
        assert found is not None and (found.channel_id, found.title) == (CHANNEL, "Desk renamed")
    assert await links.find(ALICE, "@other") is None  # Bob's, not Alice's

    assert await links.unlink(ALICE, CHANNEL) is True
    assert await links.unlink(ALICE, CHANNEL) is False
    assert await links.find(ALICE, "@mydesk") is None
    assert await links.links_to(CHANNEL) == 1


async def test_a_renamed_channel_is_found_by_its_new_name_which_its_links_then_keep(
    engine: AsyncEngine,
) -> None:
    """Linked as @mydesk, the channel is @newdesk now and another took @mydesk. The new name
    finds the link through Telegram, once: then every admin's link says @newdesk. The old name
    finds only the channel that has it now."""
    channels = _channels(make_session_factory(engine))
    await channels.link(ALICE, CHANNEL, "mydesk", "Desk", T0)
    await channels.link(BOB, CHANNEL, "mydesk", "Desk", T0)
    telegram = Telegram(
        newdesk=ChatName(CHANNEL, "newdesk", "Desk 2"), mydesk=ChatName(OTHER, "mydesk", "Other")
    )
    await channels.link(BOB, OTHER, "mydesk", "Other", T0)  # Bob runs the new @mydesk too
    assert await channels.find(BOB, "@mydesk", telegram) == LinkedChannel(OTHER, "mydesk")
    assert await channels.find(ALICE, "@mydesk", telegram) is None  # not Alice's
    assert await channels.find(ALICE, "@nosuch", telegram) is None

    assert await channels.find(ALICE, "@NewDesk", telegram) == LinkedChannel(CHANNEL, "newdesk")
    assert telegram.asked == ["@mydesk", "@nosuch", "@NewDesk"]
    assert await channels.unlink(BOB, "@newdesk", telegram) == Unlinked(0, shared=True)
    assert telegram.asked == ["@mydesk", "@nosuch", "@NewDesk"]  # Bob's link knew the name
    link = await channels.links.find(ALICE, "@newdesk")
    assert link is not None and (link.channel_id, link.title) == (CHANNEL, "Desk 2")


async def test_the_last_link_takes_the_channels_rules_and_unsent_alerts(
    engine: AsyncEngine,
) -> None:
    channels = _channels(make_session_factory(engine))
    watch, outbox = channels.watch, channels.watch.outbox
    await channels.link(ALICE, CHANNEL, "mydesk", "Desk", T0)
    await channels.link(BOB, CHANNEL, "mydesk", "Desk", T0)
    btc, eth = [
        await watch.add(CHANNEL, ALICE, rule, T0) for rule in ("BTC squeeze", "ETH squeeze")
    ]
    other = await watch.add(OTHER, BOB, "BTC squeeze", T0)
    await outbox.enqueue(
        [
            OutgoingAlert(CHANNEL, "k1", "queued", rules=(btc.id,)),
            OutgoingAlert(OTHER, "k2", "elsewhere", rules=(other.id,)),
        ],
        T0,
    )
    held = OutgoingAlert(CHANNEL, "held", "held", rules=(eth.id,))
    await outbox.hold(held, T0 + timedelta(hours=1), T0, into="digest")

    assert await channels.unlink(ALICE, "@nosuch", NO_RENAMES) is None
    # Bob still manages the channel: its rules and alerts stay.
    assert await channels.unlink(ALICE, "@mydesk", NO_RENAMES) == Unlinked(0, shared=True)
    assert await channels.unlink(ALICE, "@mydesk", NO_RENAMES) is None
    assert len(await watch.list(CHANNEL)) == 2
    assert await outbox.counts() == {"pending": 2, "held": 1}

    assert await channels.unlink(BOB, "@MyDesk", NO_RENAMES) == Unlinked(2, shared=False)
    assert await watch.list(CHANNEL) == []
    assert {r.chat_id for r in watch.matcher.rules.values()} == {OTHER}
    assert [(m.status, m.last_error) for m in await outbox.messages(CHANNEL)] == [
        ("dead", "channel unlinked"),
        ("dead", "channel unlinked"),
    ]
    assert [m.status for m in await outbox.messages(OTHER)] == ["pending"]


async def test_unlinked_at_once_by_both_admins_the_last_one_out_clears_the_channel(
    engine: AsyncEngine,
) -> None:
    """Both see the other's link before either removes theirs: the one removing last finds no
    link left and removes the rules, so they never outlive every link."""
    sessions = make_session_factory(engine)
    channels = _channels(sessions)
    links, watch = channels.links, channels.watch
    await links.link(ALICE, CHANNEL, "mydesk", "Desk", T0)
    await links.link(BOB, CHANNEL, "mydesk", "Desk", T0)
    await watch.add(CHANNEL, ALICE, "BTC squeeze", T0)

    class BobLeavesMeanwhile(ChannelRepository):
        async def unlink(self, user_id: int, channel_id: int) -> bool:
            await links.unlink(BOB, channel_id)
            return await super().unlink(user_id, channel_id)

    racing = ChannelService(BobLeavesMeanwhile(sessions), watch)
    assert await racing.unlink(ALICE, "@mydesk", NO_RENAMES) == Unlinked(1, shared=False)
    assert await watch.list(CHANNEL) == []


async def test_a_channel_unlinked_while_a_tick_runs_gets_nothing_of_it(
    engine: AsyncEngine,
) -> None:
    """The tick had matched the channel's rule when its admin unlinked it, before the tick's
    alerts were stored: the channel's alert is not stored, a private chat's is."""
    sessions = make_session_factory(engine)
    now = NOW  # the history's end
    market = await _btc_cascade(sessions)
    watch = watch_service(sessions)
    await watch.add(ALICE, ALICE, "BTC squeeze", now)
    await watch.add(CHANNEL, ALICE, "BTC squeeze", now)
    channels = ChannelService(ChannelRepository(sessions), watch)
    await channels.link(ALICE, CHANNEL, "mydesk", "Desk", now)

    class UnlinkedMeanwhile(OutboxRepository):
        async def enqueue(self, alerts: Sequence[OutgoingAlert], at: datetime) -> int:
            assert {a.chat_id for a in alerts} == {ALICE, CHANNEL}  # both matched
            assert await channels.unlink(ALICE, "@mydesk", NO_RENAMES) == Unlinked(1, shared=False)
            return await super().enqueue(alerts, at)

    outbox = UnlinkedMeanwhile(sessions)
    pipeline = AlertPipeline(market, watch.watched, outbox, asyncio.Event(), clock=lambda: now)
    assert await pipeline.after_poll() == 1
    assert await outbox.messages(CHANNEL) == []
    [private] = await outbox.messages(ALICE)
    assert "BTC long squeeze in progress" in private.text


async def test_unlinking_a_channel_the_operator_broadcasts_to_keeps_the_operators_posts(
    engine: AsyncEngine,
) -> None:
    """The operator broadcasts every asset's warnings to a channel whose admin also linked it
    and watches BTC squeezes there: one tick queues both the rule's alert and the operator's
    post. Unlinking drops the rule's alert; the operator's post still goes."""
    sessions = make_session_factory(engine)
    market = await _btc_cascade(sessions)
    channels = _channels(sessions)
    watch, outbox = channels.watch, channels.watch.outbox
    rule = await watch.add(CHANNEL, ALICE, "BTC squeeze", NOW)
    await channels.link(ALICE, CHANNEL, "mydesk", "Desk", NOW)
    pipeline = AlertPipeline(
        market, watch.watched, outbox, asyncio.Event(), clock=lambda: NOW, channels={"*": CHANNEL}
    )
    assert await pipeline.after_poll() == 2
    assert [m.rules for m in await outbox.messages(CHANNEL)] == [(rule.id,), ()]

    assert await channels.unlink(ALICE, "@mydesk", NO_RENAMES) == Unlinked(1, shared=False)
    alert, post = await outbox.messages(CHANNEL)
    assert (alert.status, alert.last_error) == ("dead", "channel unlinked")
    assert (post.status, post.last_error) == ("pending", None)
    assert post.text.startswith("🚨 <b>BTC long squeeze in progress")


async def test_an_unlink_waits_for_alerts_being_stored_and_drops_only_its_rules_ones(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tick has stored the channel's alert and the operator's post and found the rule still
    there, but not committed, when the admin unlinks: the unlink waits for it (PostgreSQL: the
    drop lock; SQLite: its one writer), so its drop finds the rule's alert, and leaves the
    post."""
    channels = _channels(make_session_factory(engine))
    outbox = channels.watch.outbox
    rule = await channels.watch.add(CHANNEL, ALICE, "BTC squeeze", T0)
    await channels.link(ALICE, CHANNEL, "mydesk", "Desk", T0)
    checked, resume = paused_after_the_rule_check(monkeypatch)
    alerts = [
        OutgoingAlert(CHANNEL, "tick", "the rule's alert", rules=(rule.id,)),
        OutgoingAlert(CHANNEL, "channel:post", "the operator's post"),
    ]
    storing = asyncio.create_task(outbox.enqueue(alerts, T0))
    await checked.wait()
    unlinking = asyncio.create_task(channels.unlink(ALICE, "@mydesk", NO_RENAMES))
    await asyncio.sleep(0.5)
    assert not unlinking.done()
    resume.set()
    assert await storing == 2
    assert await unlinking == Unlinked(1, shared=False)
    assert [(m.text, m.status) for m in await outbox.messages(CHANNEL)] == [
        ("the rule's alert", "dead"),
        ("the operator's post", "pending"),
    ]
