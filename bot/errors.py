"""One root for every mistake a user can fix: what went wrong in one short sentence, and,
where a command's grammar is the cure, its usage line with an example. The chat answers it in
one place (`handlers.errors`), the CLI in another; nothing else catches it to word a reply."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class UserError(Exception):
    # False for errors a usage line cannot cure (the venues are down, the asset is unknown).
    shows_usage = True

    def __init__(self, problem: str, usage: str = "", example: str = "") -> None:
        super().__init__(problem)
        self.problem, self.usage, self.example = problem, usage, example

    def __str__(self) -> str:
        return self.problem

    def with_usage(self, usage: str, example: str) -> UserError:
        """The same error, told with the command's usage line."""
        told = self.__class__.__new__(self.__class__)
        told.__dict__.update(self.__dict__, usage=usage, example=example)
        told.args = self.args
        return told


class StartupError(RuntimeError):
    """What stops `oiwatch run` or `oiwatch db upgrade` that the operator fixes outside the bot
    (a database that cannot be used, a token Telegram refuses, a busy webhook port): its message
    is the one line they read."""


class LimitReached(UserError):
    """A per-chat or per-user cap: the message says what to remove; no usage line cures it."""

    shows_usage = False


@contextmanager
def usage_on_error(usage: str, example: str, always: bool = False) -> Iterator[None]:
    """A UserError raised inside, from a layer that does not know the command, leaves with the
    command's usage line (unless it has one, or needs none and `always` is False)."""
    try:
        yield
    except UserError as error:
        if error.usage or not (error.shows_usage or always):
            raise
        raise error.with_usage(usage, example) from None
