"""The one error tree. Third-party errors are translated into these at the boundary."""

from __future__ import annotations

__all__ = [
    "PathwaysError",
    "ConfigError",
    "ContentError",
    "FlowError",
    "ContentProblem",
    "StorageError",
    "StorageUnavailable",
    "ChannelError",
    "CohortError",
]


class PathwaysError(Exception):
    """Base class for every error this package raises on purpose."""


class ConfigError(PathwaysError):
    """A setting is missing or invalid; the message names the variable."""


class ContentProblem:
    """One problem found in a content file: where it is, what is wrong, how to fix it."""

    __slots__ = ("path", "line", "node", "field", "message", "severity")

    def __init__(
        self,
        path: str,
        line: int | None,
        message: str,
        *,
        node: str | None = None,
        field: str | None = None,
        severity: str = "error",
    ) -> None:
        self.path = path
        self.line = line
        self.node = node
        self.field = field
        self.message = message
        self.severity = severity

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        what = []
        if self.node:
            what.append(f"node '{self.node}'")
        if self.field:
            what.append(f"field '{self.field}'")
        prefix = f"{where}: " + (" ".join(what) + ": " if what else "")
        return prefix + self.message

    def as_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "node": self.node,
            "field": self.field,
            "severity": self.severity,
            "message": self.message,
            "text": str(self),
        }


class ContentError(PathwaysError):
    """Content (flows, guidance, services) failed to load; carries every problem found."""

    def __init__(self, problems: list[ContentProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class FlowError(ContentError):
    """A flow file is malformed or fails a static check."""


class StorageError(PathwaysError):
    """The conversation store failed."""


class StorageUnavailable(StorageError):
    """The database cannot be reached; the provider should retry later."""


class ChannelError(PathwaysError):
    """A channel (SMS, Telegram) failed to deliver or parse a message."""


class CohortError(PathwaysError):
    """A training cohort cannot be created or reported on (unknown or expired code, bad scenario or expiry)."""
