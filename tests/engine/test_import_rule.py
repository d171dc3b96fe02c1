"""The engine, the flow language and search are pure: they import nothing from channels, storage, HTTP,
the database or the command line."""

import ast
from pathlib import Path

FORBIDDEN = ("bot.channels", "bot.storage", "bot.conversation", "bot.cli", "bot.server", "aiohttp", "telegram", "twilio",
             "sqlalchemy", "sqlmodel", "asyncpg", "aiosqlite", "sqlite3", "httpx", "requests", "redis")
PURE = ["bot/engine", "bot/flows", "bot/search"]


def test_pure_modules_import_no_io():
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
