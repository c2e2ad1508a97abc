"""Adding, listing and removing watch rules: the use case behind /watch, /watches and /unwatch.

Every change goes to the database (the truth) and to the core's WatchedRules at once, so a new
rule is evaluated on the very next tick, and a removed rule's alerts not yet sent go with it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.alerts.watched_rules import WatchedRules, to_watch_rule
from bot.errors import LimitReached, UserError, usage_on_error
from bot.i18n import _, ngettext
from bot.rules.grammar import (
    EXAMPLE,
    USAGE,
    RuleSyntaxError,
    describe,
    parse_rule,
    with_new_threshold,
)
from bot.rules.matcher import Matcher
from bot.rules.model import ALL_ASSETS, RuleSpec
from storage.models import WatchRuleRow
from storage.repositories.outbox import OutboxRepository
from storage.repositories.rules import RuleCapReached

EDIT_USAGE = "/edit <rule id> [>|<] <new value>"
EDIT_EXAMPLE = "/edit 12 0.08%"

DEFAULT_COOLDOWN = timedelta(minutes=30)
RULE_REMOVED = "rule removed"  # why its queued alerts were dropped (the outbox's last_error)
RULE_CHANGED = "rule changed"


@dataclass(frozen=True, slots=True)
class StoredRule:
    id: int
    chat_id: int
    spec: RuleSpec
    text: str
    muted_until: datetime | None
    paused: bool


def _to_stored(row: WatchRuleRow) -> StoredRule:
    assert row.id is not None
    return StoredRule(
        row.id, row.chat_id, parse_rule(row.text), row.text, row.muted_until, row.paused
    )


class WatchService:
    def __init__(self, watched: WatchedRules, cap: int, outbox: OutboxRepository) -> None:
        self.watched = watched
        self.rules = watched.rules
        self.cap = cap
        self.outbox = outbox

    @property
    def matcher(self) -> Matcher:
        """The watched rules' matcher, asked each time: a reload replaces it."""
        return self.watched.matcher

    async def add(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        now: datetime,
        cooldown: timedelta = DEFAULT_COOLDOWN,
        known_assets: Collection[str] | None = None,
    ) -> StoredRule:
        """Raises RuleSyntaxError with /watch's usage, or LimitReached at the chat's cap. With
        `known_assets`, a rule on any other asset is refused: it could never fire."""
        text = await self._checked(chat_id, text, known_assets)
        try:
            row = await self.rules.add(
                chat_id,
                user_id,
                text,
                now,
                cap=self.cap,
                cooldown_s=int(cooldown.total_seconds()),
            )
        except RuleCapReached as full:
            raise LimitReached(
                ngettext(
                    "This chat has {n} rule, the most allowed. Remove it with /watches.",
                    "This chat has {n} rules, the most allowed. Remove one with /watches.",
                    full.cap,
                )
            ) from None
        self.matcher.add(to_watch_rule(row))
        return _to_stored(row)

    async def replace(
        self,
        chat_id: int,
        rule_id: int,
        text: str,
        now: datetime,
        known_assets: Collection[str] | None = None,
    ) -> StoredRule | None:
        """An edited /watch: the rule its message made becomes `text`, armed again, keeping its
        id (buttons under its alerts and lists still act on it). None: the rule is gone. Raises
        what `add` raises, and UserError when the rule is another chat's (the edit added or
        dropped an @channel)."""
        row = await self.rules.get(rule_id)
        if row is None:
            return None
        if row.chat_id != chat_id:
            raise UserError(
                _(
                    "This message made rule #{id} in another chat; send a new /watch "
                    "instead of editing it.",
                    id=rule_id,
                )
            )
        return await self._rewrite(
            row, await self._checked(chat_id, text, known_assets, rule_id), now
        )

    async def _checked(
        self,
        chat_id: int,
        text: str,
        known_assets: Collection[str] | None,
        replacing: int | None = None,
    ) -> str:
        """The rule's normal text; raises RuleSyntaxError with /watch's usage, or UserError when
        the chat already has it (other than as rule `replacing`)."""
        with usage_on_error(USAGE, EXAMPLE):
            spec = parse_rule(text)
            if known_assets is not None and spec.asset not in (ALL_ASSETS, *known_assets):
                watched = ", ".join(sorted(known_assets)[:40]) or _("none yet")
                raise RuleSyntaxError(
                    _(
                        "I don't watch {asset}. I watch {watched}; * means all.",
                        asset=spec.asset,
                        watched=watched,
                    )
                )
        text = describe(spec)
        # A second tap on send (or the same line pasted again) would ring every alert twice.
        rules = await self.rules.for_chat(chat_id)
        same = next((r for r in rules if r.text == text and r.id != replacing), None)
        if same is not None:
            raise UserError(
                _(
                    "Already watching {rule} here as rule #{id}; /watches lists the rules.",
                    rule=text,
                    id=same.id,
                )
            )
        return text

    async def edit(
        self, chat_id: int, rule_id: int, change: str, now: datetime
    ) -> StoredRule | None:
        """A new threshold for one of the chat's rules (None: no such rule there). Raises
        RuleSyntaxError with /edit's usage."""
        row = await self.rules.get(rule_id)
        if row is None or row.chat_id != chat_id:
            return None
        with usage_on_error(EDIT_USAGE, EDIT_EXAMPLE):
            spec = with_new_threshold(parse_rule(row.text), change)
        return await self._rewrite(row, describe(spec), now)

    async def _rewrite(self, row: WatchRuleRow, text: str, now: datetime) -> StoredRule | None:
        """The stored rule `row` reads `text` from now on, armed again."""
        chat_id, rule_id = row.chat_id, row.id
        assert rule_id is not None
        if not await self.rules.rewrite(chat_id, rule_id, text):
            return None
        if rule_id in self.matcher.rules:
            self.matcher.remove(rule_id)  # re-added armed, with no history, by the sync
        await self.watched.sync(now)
        if text != row.text:
            # What it queued speaks of the rule as it was (a threshold the trader just moved, a
            # typo's asset); armed again, it rings on the next tick if it holds as it is now.
            # The same rule retyped keeps them: a built-in warning would not come again.
            await self.outbox.drop_gone_rules(chat_id, RULE_CHANGED, changed={rule_id})
        updated = await self.rules.get(rule_id)
        return _to_stored(updated) if updated is not None else None

    async def set_cooldown(self, chat_id: int, cooldown: timedelta, now: datetime) -> int:
        """Every rule of the chat gets the new cooldown; returns how many."""
        changed = await self.rules.set_cooldown(chat_id, int(cooldown.total_seconds()))
        await self.watched.sync(now)
        return len(changed)

    async def list(self, chat_id: int) -> list[StoredRule]:
        return [_to_stored(row) for row in await self.rules.for_chat(chat_id)]

    async def remove(self, chat_id: int, rule_id: int | None, *, reason: str = RULE_REMOVED) -> int:
        """Removes one rule of the chat (None: all of them) and every alert of theirs not yet
        sent, their part of a held digest included (`reason` says why, in the outbox); returns
        how many rules. Alerts go after the rules: an alert of a tick under way is then either
        refused for its rules gone or stored in time to be dropped (see the outbox)."""
        removed = await self.rules.delete(chat_id, rule_id)
        for rid in removed:
            if rid in self.matcher.rules:
                self.matcher.remove(rid)
        if removed:
            await self.outbox.drop_gone_rules(chat_id, reason)
        return len(removed)

    async def mute(self, chat_id: int, rule_id: int, until: datetime | None) -> bool:
        if not await self.rules.mute(chat_id, rule_id, until):
            return False
        if rule_id in self.matcher.rules:
            self.matcher.mute(rule_id, until)
        return True

    async def pause_chat(self, chat_id: int, paused: bool) -> int:
        """Pauses or resumes every rule of the chat; returns how many."""
        ids = await self.rules.pause_chat(chat_id, paused)
        if paused:
            for rid in ids:
                if rid in self.matcher.rules:
                    self.matcher.remove(rid)
        else:
            for row in await self.rules.for_chat(chat_id):
                if row.id not in self.matcher.rules:
                    self.watched.add_stored(row)
        return len(ids)

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        await self.rules.rewrite_chat(old_chat_id, new_chat_id)
        for rid, rule in list(self.matcher.rules.items()):
            if rule.chat_id == old_chat_id:
                state = self.matcher.states.get(rid)
                self.matcher.remove(rid)
                self.matcher.add(replace(rule, chat_id=new_chat_id), state)
