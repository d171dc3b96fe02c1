"""The store contract (bot.storage.base), checked on the in-memory reference, SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest
from decisions import Refused, bump, forget, peek, refuse

from bot.storage import DUPLICATE, StoredConversation


async def test_a_turn_saves_and_the_next_loads(store, clock):
    first_time = clock.now
    assert await store.turn("alice", "SM1", peek) is None  # a new user: nothing stored
    assert await store.turn("alice", "SM2", bump) == 1
    clock.advance(minutes=5)
    seen = await store.turn("alice", "SM3", peek)
    assert seen == StoredConversation({"count": 1}, first_time, version=1)
    assert seen.updated_at.tzinfo is not None
    assert (await store.turn("alice", "SM4", peek)).updated_at == first_time + dt.timedelta(minutes=5)
    assert (await store.turn("alice", "SM5", peek)).version == 3


async def test_state_round_trips_as_json(store):
    state = {"node": "risk", "answers": {"ric": [True, None, 3]}, "note": "Gwen’s café — 🙂"}
    await store.turn("alice", "SM1", lambda stored, now: (state, None))
    assert (await store.turn("alice", "SM2", peek)).state == state


async def test_users_are_kept_apart(store):
    await store.turn("alice", "SM1", bump)
    await store.turn("alice", "SM2", bump)
    assert await store.turn("bob", "SM3", bump) == 1


async def test_a_repeated_message_id_is_a_duplicate_and_changes_nothing(store):
    assert await store.turn("alice", "SM1", bump) == 1
    calls = []

    def spy(stored, now):
        calls.append(stored)
        return {"count": 99}, "should not run"

    assert await store.turn("alice", "SM1", spy) is DUPLICATE
    assert await store.turn("bob", "SM1", spy) is DUPLICATE  # an id is global, whoever sends it
    assert calls == []
    assert (await store.turn("alice", "SM2", peek)).state == {"count": 1}


async def test_turns_without_a_message_id_are_never_duplicates(store):
    for expected in (1, 2, 3):
        assert await store.turn("alice", None, bump) == expected


async def test_decide_raising_writes_nothing(store):
    await store.turn("alice", "SM1", bump)
    with pytest.raises(Refused):
        await store.turn("alice", "SM2", refuse)
    with pytest.raises(Refused):
        await store.turn("bob", "SM3", refuse)  # a first turn, too
    # The message ids were not recorded, so the provider's retry is handled as new...
    assert await store.turn("alice", "SM2", bump) == 2
    assert await store.turn("bob", "SM3", peek) is None  # ...and no row was left for bob.


async def test_state_that_is_not_json_writes_nothing(store):
    if type(store).__name__ == "MemoryStore":
        pytest.skip("the in-memory store keeps objects, not JSON")
    await store.turn("alice", "SM1", bump)
    with pytest.raises(TypeError):
        await store.turn("alice", "SM2", lambda stored, now: ({"when": now}, None))
    assert await store.turn("alice", "SM2", bump) == 2


async def test_deciding_none_deletes_the_conversation(store):
    await store.turn("alice", "SM1", bump)
    assert await store.turn("alice", "SM2", forget) == "forgotten"
    assert await store.turn("alice", "SM3", peek) is None
    assert await store.turn("alice", "SM2", bump) is DUPLICATE  # the id of the deleting turn is kept
    assert await store.turn("nobody", "SM4", forget) == "forgotten"  # deleting nothing is fine


async def test_erase_forgets_the_user_but_keeps_the_opt_out(store):
    await store.turn("alice", "SM1", bump)
    await store.turn("bob", "SM2", bump)
    await store.set_opt_out("alice", True)
    await store.erase("alice")
    assert await store.is_opted_out("alice")
    assert await store.turn("alice", "SM3", peek) is None
    assert await store.turn("alice", "SM1", bump) == 1  # its message ids are gone too
    assert await store.turn("bob", "SM2", bump) is DUPLICATE  # others' are not
    assert (await store.turn("bob", "SM4", peek)).state == {"count": 1}
    await store.erase("nobody")


async def test_purge_deletes_what_has_been_idle_too_long(store, clock):
    start = clock.now
    await store.turn("old", "SM1", bump)
    await store.turn("old", "SM2", bump)
    clock.advance(days=20)
    await store.turn("recent", "SM3", bump)
    clock.advance(days=15)
    await store.set_opt_out("old", True)

    assert await store.purge(dt.timedelta(days=40), now=clock.now) == 0
    # "old" (one conversation, two message ids) is 35 days idle; "recent" is 15.
    assert await store.purge(dt.timedelta(days=30), now=clock.now) == 3
    assert await store.turn("old", "SM1", peek) is None
    assert await store.turn("recent", "SM3", bump) is DUPLICATE
    assert await store.is_opted_out("old")
    # `now` defaults to the store's clock. What changed exactly at the cutoff is kept.
    assert await store.purge(dt.timedelta(days=15)) == 0
    assert await store.purge(dt.timedelta(days=15) - dt.timedelta(microseconds=1)) == 2
    assert await store.purge(dt.timedelta(0), now=start + dt.timedelta(days=365)) == 1  # SM1 again


async def test_opt_out_can_be_set_and_cleared(store):
    assert not await store.is_opted_out("alice")
    await store.set_opt_out("alice", True)
    await store.set_opt_out("alice", True)  # STOP twice is still one opt-out
    assert await store.is_opted_out("alice")
    assert not await store.is_opted_out("bob")
    await store.set_opt_out("alice", False)
    await store.set_opt_out("alice", False)
    assert not await store.is_opted_out("alice")


async def test_counters_add_up_by_name_and_label(store):
    assert await store.counters() == {}
    for _ in range(3):
        await store.count_event("signpost", "refuge")
    await store.count_event("signpost", "idva")
    await store.count_event("turn")
    assert await store.counters() == {("signpost", "refuge"): 3, ("signpost", "idva"): 1, ("turn", ""): 1}


async def test_ping(store):
    assert await store.ping() is True
