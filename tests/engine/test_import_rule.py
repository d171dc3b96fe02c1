"""The engine is pure: it imports nothing from channels, storage, HTTP or the database."""

import ast
from pathlib import Path

FORBIDDEN = ("bot.channels", "bot.storage", "bot.conversation", "bot.cli", "aiohttp", "telegram", "twilio",
             "sqlalchemy", "sqlmodel", "asyncpg", "aiosqlite", "sqlite3", "httpx", "requests", "redis")
PURE = ["bot/engine", "bot/flows"]


def test_engine_and_flow_language_import_no_io():
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for folder in PURE:
        for path in (root / folder).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module:
                    names = [node.module]
                offenders += [f"{path.relative_to(root)}: {n}" for n in names if n.startswith(FORBIDDEN)]
    assert offenders == []
