"""Search is pure: it imports nothing from channels, storage, HTTP or the command line."""

import ast
from pathlib import Path

FORBIDDEN = ("bot.channels", "bot.storage", "bot.conversation", "bot.cli", "bot.server", "aiohttp", "telegram",
             "twilio", "sqlalchemy", "sqlmodel", "asyncpg", "aiosqlite", "sqlite3", "httpx", "requests", "redis")


def test_search_imports_no_io():
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in (root / "bot" / "search").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(root)}: {n}" for n in names if n.startswith(FORBIDDEN)]
    assert offenders == []
