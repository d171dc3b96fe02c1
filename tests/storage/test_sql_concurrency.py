"""Turns for one user are serialised: concurrent turns, in one process or two, never lose an update."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from decisions import bump, peek

from bot.storage.sql import open_store

ROOT = Path(__file__).resolve().parents[2]
TURNS = 50

# Run in a second OS process: the same turns on the same key, started when the parent says "go".
CHILD = """
import asyncio, sys, time
from bot.storage.sql import open_store

def slow_bump(stored, now):
    count = (stored.state["count"] if stored else 0) + 1
    time.sleep(0.001)  # keep the turn open a moment, so the processes overlap
    return {"count": count}, count

async def main(url, key, turns):
    store = await open_store(url)
    print("ready", flush=True)
    sys.stdin.readline()
    await asyncio.gather(*(store.turn(key, f"child-{i}", slow_bump) for i in range(turns)))
    await store.close()

asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
"""


def slow_bump(stored, now):
    count = (stored.state["count"] if stored else 0) + 1
    time.sleep(0.001)
    return {"count": count}, count


async def test_concurrent_turns_for_one_user_all_count(sql_store):
    results = await asyncio.gather(*(sql_store.turn("alice", f"SM{i}", bump) for i in range(TURNS)))
    assert sorted(results) == list(range(1, TURNS + 1))
    final = await sql_store.turn("alice", None, peek)
    assert final.state == {"count": TURNS}
    assert final.version == TURNS


async def test_concurrent_turns_from_two_processes_all_count(database_url):
    store = await open_store(database_url, auto_migrate=True)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        database_url,
        "alice",
        str(TURNS),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        ready = await asyncio.wait_for(child.stdout.readline(), timeout=60)
        assert ready == b"ready\n", (await child.stderr.read()).decode()
        child.stdin.write(b"go\n")
        await child.stdin.drain()
        await asyncio.gather(*(store.turn("alice", f"parent-{i}", slow_bump) for i in range(TURNS)))
        _, errors = await asyncio.wait_for(child.communicate(), timeout=120)
        assert child.returncode == 0, errors.decode()
        final = await store.turn("alice", None, peek)
        assert final.state == {"count": 2 * TURNS}
        assert final.version == 2 * TURNS
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
        await store.close()
