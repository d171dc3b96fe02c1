"""Alembic environment: SQLite through the stdlib driver, PostgreSQL through asyncpg (SQLAlchemy async).

Each run holds a lock for its whole transaction, so two processes starting together on an empty database
migrate it once: SQLite by BEGIN IMMEDIATE, PostgreSQL by an advisory lock (DDL is transactional on both).
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection, create_engine, event, pool, text

from bot.storage.models import metadata
from bot.storage.sql_url import DatabaseUrl, parse_database_url

config = context.config


def _target() -> DatabaseUrl:
    """Set by bot.storage.migrate; when Alembic is run by hand, the app's DATABASE_URL setting."""
    target = config.attributes.get("database")
    if target is None:
        from bot.settings import load_settings

        target = parse_database_url(load_settings().database_url)
    return target


def _run(connection: Connection, target: DatabaseUrl) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=target.backend == "sqlite",  # SQLite can alter a table only by copying it
        transactional_ddl=True,
    )
    with context.begin_transaction():
        if target.backend == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended('pathways:migrate:' || current_schema(), 0))")
            )
        context.run_migrations()


def _run_sqlite(target: DatabaseUrl) -> None:
    engine = create_engine(target.sqlalchemy_url, poolclass=pool.NullPool, connect_args={"timeout": 30})

    # pysqlite's own transaction handling would defer BEGIN; take the write lock at the start instead.
    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        with engine.connect() as connection:
            _run(connection, target)
    finally:
        engine.dispose()


async def _run_postgres(target: DatabaseUrl) -> None:
    import asyncpg
    from sqlalchemy.ext.asyncio import create_async_engine

    # Connect with the same DSN the store uses, so its options (e.g. search_path) mean the same here.
    engine = create_async_engine(
        target.sqlalchemy_url,
        poolclass=pool.NullPool,
        async_creator=lambda: asyncpg.connect(target.postgres_dsn, timeout=10),
    )
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run, target)
    finally:
        await engine.dispose()


def _run_offline(target: DatabaseUrl) -> None:
    """`alembic upgrade head --sql`: print the SQL instead of running it."""
    context.configure(
        url=target.sqlalchemy_url,
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=target.backend == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if config.cmd_opts is not None and config.config_file_name:  # run from the alembic command line
    fileConfig(config.config_file_name, disable_existing_loggers=False)

_database = _target()
if context.is_offline_mode():
    _run_offline(_database)
elif _database.backend == "sqlite":
    _run_sqlite(_database)
else:
    asyncio.run(_run_postgres(_database))
