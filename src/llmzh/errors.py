"""Errors shown to the user: one line naming the problem, an optional hint naming the fix."""

from __future__ import annotations


class LlmzhError(Exception):
    """A failure the user can act on. Exit code 1 unless a subclass says otherwise."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(LlmzhError):
    """Bad command-line input that the option parser could not catch."""

    exit_code = 2


class CatalogError(LlmzhError):
    """The catalog file cannot be read or does not validate."""

    def __init__(self, problems: list[str], hint: str | None = None) -> None:
        first = problems[0] if problems else "catalog is invalid"
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        super().__init__(first + more, hint)
        self.problems = problems


class NotFoundError(LlmzhError):
    """A name that matches nothing in the catalog."""


class HubError(LlmzhError):
    """The Hub could not answer (unreachable, rate limited, gated, gone...)."""

    def __init__(self, message: str, hint: str | None = None, *, status: str = "unavailable") -> None:
        super().__init__(message, hint)
        self.status = status
