"""The watch rules the pipeline evaluates: the in-process matcher, filled from the database
(the truth) and kept in step with the changes every replica makes, its rule states written back
after each tick so a restart resumes."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.rules.grammar import parse_rule
from bot.rules.matcher import Matcher, RuleState, WatchRule
from storage.models import WatchRuleRow
from storage.repositories.rules import RuleRepository, RuleStateRow

# A replica that has not synced for a day reloads everything when it leads (see reload).
CHANGE_LOG_KEEP = timedelta(days=1)
CHANGE_LOG_PRUNE_EVERY = timedelta(hours=1)


def to_watch_rule(row: WatchRuleRow) -> WatchRule:
    assert row.id is not None
    cooldown = timedelta(seconds=row.cooldown_s)
    return WatchRule(row.id, row.chat_id, parse_rule(row.text), cooldown, row.revision)


class WatchedRules:
    def __init__(self, rules: RuleRepository) -> None:
        self.rules = rules
        self.matcher = Matcher()
        self._cursor = 0  # the last rule change this matcher reflects
        self._pruned: datetime | None = None

    async def load(self) -> int:
        """Fill the matcher from the database, state included (after a start or a takeover)."""
        # Cursor first: a change made while loading is replayed by the next sync, not lost.
        self._cursor = await self.rules.last_change()
        for row in await self.rules.active():
            self.add_stored(row)
        return len(self.matcher)

    def add_stored(self, row: WatchRuleRow) -> None:
        """A stored rule into the matcher with the state the database kept for it."""
        self.matcher.add(to_watch_rule(row), RuleState(row.armed, row.last_fired, row.muted_until))

    async def reload(self) -> int:
        """A fresh matcher from the database: a follower that becomes leader starts here."""
        self.matcher = Matcher()
        return await self.load()

    async def sync(self, now: datetime) -> int:
        """Apply rule changes made since the last sync, by this replica or another (each is
        idempotent, so our own come back harmlessly). Returns how many rules changed."""
        cursor, ids = await self.rules.changes_since(self._cursor)
        if self._pruned is None or now - self._pruned > CHANGE_LOG_PRUNE_EVERY:
            self._pruned = now
            await self.rules.prune_changes(now - CHANGE_LOG_KEEP)
        if not ids:
            return 0
        self._cursor = cursor
        rows = {row.id: row for row in await self.rules.by_ids(ids)}
        for rid in ids:
            row = rows.get(rid)
            current = self.matcher.rules.get(rid)
            if row is None or row.paused:
                if current is not None:
                    self.matcher.remove(rid)
                continue
            rule = to_watch_rule(row)
            if current != rule:
                # Keep what the matcher knows (armed, last fired): it is newer than the row. A
                # new revision (/edit on another replica) starts as its rewrite left it, armed.
                state = self.matcher.states.get(rid)
                if state is None or (current is not None and current.revision != rule.revision):
                    state = RuleState(row.armed, row.last_fired)
                if current is not None:
                    self.matcher.remove(rid)
                self.matcher.add(rule, state)
            if row.muted_until is not None or rid in self.matcher.states:
                self.matcher.mute(rid, row.muted_until)
        return len(ids)

    async def persist_states(self, rule_ids: set[int]) -> None:
        """After a tick: the states of rules that fired or re-armed, so a restart resumes."""
        rows = [
            RuleStateRow(rid, s.armed, s.last_fired, s.muted_until, rule.revision)
            for rid in rule_ids
            if (s := self.matcher.states.get(rid)) is not None
            and (rule := self.matcher.rules.get(rid)) is not None
        ]
        await self.rules.save_states(rows)
