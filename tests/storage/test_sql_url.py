"""Database URLs: which are accepted, and what each part of the storage layer gets from them."""

from __future__ import annotations

import os

import pytest

from bot.errors import ConfigError
from bot.storage.sql_url import parse_database_url


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///pathways.db", os.path.abspath("pathways.db")),
        ("sqlite+aiosqlite:///data/pathways.db", os.path.abspath("data/pathways.db")),
        ("sqlite:////var/lib/pathways/state.db", "/var/lib/pathways/state.db"),
    ],
)
def test_sqlite_urls_name_a_file(url, path):
    target = parse_database_url(url)
    assert (target.backend, target.sqlite_path) == ("sqlite", path)
    assert target.sqlalchemy_url == f"sqlite:///{path}"


@pytest.mark.parametrize(
    ("url", "dsn"),
    [
        ("postgresql://pathways:s3cret@db:5432/pathways", "postgresql://pathways:s3cret@db:5432/pathways"),
        ("postgresql+asyncpg://db/pathways?sslmode=require", "postgresql://db/pathways?sslmode=require"),
        ("postgres://db/pathways", "postgresql://db/pathways"),
    ],
)
def test_postgres_urls_become_asyncpg_dsns(url, dsn):
    target = parse_database_url(url)
    assert (target.backend, target.postgres_dsn) == ("postgresql", dsn)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("pathways.db", "is not a URL"),
        ("mysql://db/pathways", "unsupported scheme 'mysql'"),
        ("sqlite://", "needs a file path"),
        ("sqlite:///:memory:", "MemoryStore"),
        ("sqlite:///x.db?mode=ro", "options are not supported"),
    ],
)
def test_other_urls_are_refused_with_the_setting_named(url, message):
    with pytest.raises(ConfigError, match="DATABASE_URL") as raised:
        parse_database_url(url)
    assert message in str(raised.value)


def test_a_password_is_not_echoed_back():
    with pytest.raises(ConfigError) as raised:
        parse_database_url("user:hunter2@db/pathways")
    assert "hunter2" not in str(raised.value)
