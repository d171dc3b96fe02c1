"""Read a database URL once into what each part of the storage layer needs from it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal

from bot.errors import ConfigError

__all__ = ["DatabaseUrl", "parse_database_url"]

_SQLITE_SCHEMES = {"sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"}
_POSTGRES_SCHEMES = {"postgresql", "postgres", "postgresql+asyncpg"}


@dataclass(frozen=True)
class DatabaseUrl:
    """Which backend, and how to reach it: a file path for SQLite, an asyncpg DSN for PostgreSQL."""

    backend: Literal["sqlite", "postgresql"]
    sqlite_path: str = ""
    postgres_dsn: str = ""

    @property
    def sqlalchemy_url(self) -> str:
        """The URL SQLAlchemy (and so Alembic) uses; PostgreSQL connections are made from `postgres_dsn`."""
        if self.backend == "sqlite":
            return f"sqlite:///{self.sqlite_path}"
        return "postgresql+asyncpg://"


def parse_database_url(url: str) -> DatabaseUrl:
    """Accept `sqlite:///path.db` (or `sqlite+aiosqlite:///…`) and `postgresql://…` (or `+asyncpg`).

    A relative SQLite path is resolved against the working directory now, so later chdirs do not move it.
    """
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    if not sep:
        raise ConfigError(
            f"DATABASE_URL: {_redact(url)!r} is not a URL; use sqlite:///pathways.db or postgresql://user@host/db"
        )
    if scheme in _SQLITE_SCHEMES:
        if "?" in rest:
            raise ConfigError("DATABASE_URL: SQLite URL options are not supported; give just sqlite:///path.db")
        path = rest[1:] if rest.startswith("/") else ""
        if not path or path == ":memory:":
            raise ConfigError(
                "DATABASE_URL: an SQLite URL needs a file path (sqlite:///pathways.db); "
                "for an in-memory store use bot.storage.MemoryStore"
            )
        return DatabaseUrl("sqlite", sqlite_path=os.path.abspath(path))
    if scheme in _POSTGRES_SCHEMES:
        return DatabaseUrl("postgresql", postgres_dsn=f"postgresql://{rest}")
    raise ConfigError(f"DATABASE_URL: unsupported scheme {scheme!r}; use sqlite:/// or postgresql://")


def _redact(url: str) -> str:
    """Never echo a password back in an error message."""
    head, at, tail = url.rpartition("@")
    return f"***@{tail}" if at else url
