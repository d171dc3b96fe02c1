"""Each limit on each backend (memory, Redis, PostgreSQL): one polite notice per window, then silence;
windows roll over with the clock; retried webhooks count once; limits hold across instances and under
concurrency."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import pytest

from bot.abuse import (
    NEW_SMS_SENDERS,
    NOTICES,
    SENDER_RATE,
    SMS_SEGMENTS,
    Action,
    Decision,
    LimitPolicy,
)

ALLOW, NOTICE, DROP = Action.ALLOW, Action.NOTICE_THEN_DROP, Action.DROP


def actions(decisions: list[Decision]) -> list[Action]:
    return [d.action for d in decisions]


async def send(limiter, user: str, times: int, **kwargs) -> list[Action]:
    return actions([await limiter.check(user, **kwargs) for _ in range(times)])


# --- per-sender rate --------------------------------------------------------------------------------------


async def test_a_sender_over_the_rate_gets_one_notice_then_silence(make_limiter, hits):
    limiter = await make_limiter(LimitPolicy(sender_per_minute=3))
    decisions = [await limiter.check("alice") for _ in range(6)]
    assert actions(decisions) == [ALLOW, ALLOW, ALLOW, NOTICE, DROP, DROP]
    notice = decisions[3]
    assert notice.limit == SENDER_RATE and notice.notice == NOTICES[SENDER_RATE]
    assert all(d.notice is None for d in decisions[:3] + decisions[4:])
    assert decisions[5].limit == SENDER_RATE
    assert hits.names == [SENDER_RATE] * 3  # every refused message is counted
    assert await send(limiter, "bob", 3) == [ALLOW] * 3  # other senders are not affected


async def test_the_sender_window_rolls_over_with_the_clock(make_limiter, clock):
    limiter = await make_limiter(LimitPolicy(sender_per_minute=2))
    clock.advance(seconds=58)  # 12:00:58, near the end of the minute
    assert await send(limiter, "alice", 3) == [ALLOW, ALLOW, NOTICE]
    clock.advance(seconds=1)  # 12:00:59, same window
    assert await send(limiter, "alice", 1) == [DROP]
    clock.advance(seconds=1)  # 12:01:00, a new window: allowed again, and a new notice when over again
    assert await send(limiter, "alice", 4) == [ALLOW, ALLOW, NOTICE, DROP]
    clock.advance(minutes=5)
    assert await send(limiter, "alice", 1) == [ALLOW]


async def test_the_rate_applies_to_every_channel(make_limiter):
    limiter = await make_limiter(LimitPolicy(sender_per_minute=1))
    assert await send(limiter, "tg-user", 3, sms=False) == [ALLOW, NOTICE, DROP]


# --- retried webhooks -------------------------------------------------------------------------------------


async def test_a_retried_message_repeats_its_verdict_and_counts_once(make_limiter, hits):
    limiter = await make_limiter(LimitPolicy(sender_per_minute=2))
    first = await limiter.check("alice", message_id="SM1")
    again = await limiter.check("alice", message_id="SM1")
    assert first == Decision(ALLOW)
    assert again == Decision(ALLOW, replay=True)
    assert await limiter.check("alice", message_id="SM2") == Decision(ALLOW)  # SM1 was counted once
    refused = await limiter.check("alice", message_id="SM3")
    assert refused.action is NOTICE
    retried = await limiter.check("alice", message_id="SM3")
    assert retried == Decision(DROP, replay=True)  # no second notice for the same message
    assert hits.names == [SENDER_RATE]  # the retry is not another hit
    assert (await limiter.check("alice", message_id="SM4")).action is DROP


async def test_concurrent_retries_of_one_message_are_decided_once(make_limiter):
    limiter = await make_limiter(LimitPolicy(sender_per_minute=5))
    decisions = await asyncio.gather(*(limiter.check("alice", message_id="SM-dup") for _ in range(20)))
    assert sum(not d.replay for d in decisions) == 1
    assert all(d.allowed for d in decisions)
    assert await send(limiter, "alice", 5) == [ALLOW] * 4 + [NOTICE]  # the 20 checks counted as one message


# --- SMS segment cap ----------------------------------------------------------------------------------------


async def test_the_segment_cap_alerts_once_and_then_refuses_new_sms(make_limiter, hits, clock, caplog):
    limiter = await make_limiter(LimitPolicy(sms_segments_per_hour=10))
    assert await send(limiter, "alice", 1) == [ALLOW]
    caplog.set_level(logging.INFO, logger="pathways.abuse")
    assert await limiter.spend_segments(6) == 6
    assert hits.names == []
    assert await limiter.spend_segments(6) == 12  # the reply that reaches the cap is still sent whole
    alerts = [r for r in caplog.records if r.levelno == logging.WARNING and r.limit == SMS_SEGMENTS]
    assert len(alerts) == 1 and "segment cap reached" in alerts[0].getMessage()
    assert hits.names == [SMS_SEGMENTS]
    assert await limiter.spend_segments(3) == 15  # past the cap: no second alert
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1

    alice = [await limiter.check("alice") for _ in range(3)]
    assert actions(alice) == [NOTICE, DROP, DROP]  # one notice per sender per hour
    assert alice[0].limit == SMS_SEGMENTS and alice[0].notice == NOTICES[SMS_SEGMENTS]
    assert await send(limiter, "bob", 2) == [NOTICE, DROP]
    assert await send(limiter, "tg-user", 1, sms=False) == [ALLOW]  # not paid SMS: not capped
    assert hits.count(SMS_SEGMENTS) == 1 + 5

    clock.advance(minutes=59, seconds=59)  # 12:59:59: still the same hour
    assert await send(limiter, "alice", 1) == [DROP]
    clock.advance(seconds=1)  # 13:00: a new hour, a new budget
    assert await send(limiter, "alice", 1) == [ALLOW]
    assert await limiter.spend_segments(2) == 2


async def test_spending_nothing_costs_nothing(make_limiter):
    limiter = await make_limiter(LimitPolicy(sms_segments_per_hour=1))
    assert await limiter.spend_segments(0) == 0
    assert await send(limiter, "alice", 1) == [ALLOW]


# --- new SMS senders --------------------------------------------------------------------------------------


async def test_new_sms_senders_over_the_cap_are_ignored_after_one_notice(make_limiter, hits, clock, caplog):
    limiter = await make_limiter(LimitPolicy(new_sms_senders_per_hour=2, known_sender_days=30))
    assert await send(limiter, "regular", 1) == [ALLOW]  # known from now on
    clock.advance(hours=1)
    caplog.set_level(logging.INFO, logger="pathways.abuse")

    assert await send(limiter, "new-1", 3) == [ALLOW] * 3  # counted once: known after its first message
    assert await send(limiter, "new-2", 1) == [ALLOW]
    third = await limiter.check("new-3")
    assert third.action is NOTICE and third.limit == NEW_SMS_SENDERS
    assert third.notice == NOTICES[NEW_SMS_SENDERS]
    assert await send(limiter, "new-3", 1) == [DROP]
    assert await send(limiter, "new-4", 2) == [DROP, DROP]  # one notice per hour in all, not per number
    assert await send(limiter, "regular", 1) == [ALLOW]  # known senders are not affected
    assert await send(limiter, "tg-new", 1, sms=False) == [ALLOW]  # only SMS senders are capped
    alerts = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(alerts) == 1 and alerts[0].limit == NEW_SMS_SENDERS
    assert hits.names == [NEW_SMS_SENDERS] * 4

    clock.advance(hours=1)  # a new hour: refused senders are still new, and now fit under the cap
    assert await send(limiter, "new-3", 1) == [ALLOW]
    assert await send(limiter, "new-4", 1) == [ALLOW]
    assert await send(limiter, "new-5", 1) == [NOTICE]


async def test_a_sender_not_seen_for_the_known_period_is_new_again(make_limiter, clock):
    limiter = await make_limiter(LimitPolicy(new_sms_senders_per_hour=1, known_sender_days=2))
    assert await send(limiter, "alice", 1) == [ALLOW]
    assert await send(limiter, "bob", 1) == [NOTICE]  # the hour's one new sender was alice
    clock.advance(days=1)
    assert await send(limiter, "alice", 1) == [ALLOW]  # seen a day ago: known; the mark is renewed
    assert await send(limiter, "carol", 1) == [ALLOW]  # carol is this hour's new sender
    clock.advance(days=1, hours=23)
    assert await send(limiter, "alice", 1) == [ALLOW]  # seen 47 hours ago: still known
    clock.advance(days=2, hours=1)
    assert await send(limiter, "dave", 1) == [ALLOW]
    assert await send(limiter, "alice", 1) == [NOTICE]  # not seen for over two days: new, and over the cap


async def test_forgetting_a_sender_makes_it_new_again(make_limiter, clock):
    limiter = await make_limiter(LimitPolicy(new_sms_senders_per_hour=1))
    assert await send(limiter, "alice", 1) == [ALLOW]
    clock.advance(hours=1)
    assert await send(limiter, "alice", 1) == [ALLOW]  # known
    await limiter.forget("alice")
    assert await send(limiter, "bob", 1) == [ALLOW]  # this hour's new sender
    assert await send(limiter, "alice", 1) == [NOTICE]  # forgotten: new, and the hour's cap is used


async def test_forget_does_not_reset_the_rate(make_limiter):
    limiter = await make_limiter(LimitPolicy(sender_per_minute=2))
    assert await send(limiter, "alice", 2) == [ALLOW, ALLOW]
    await limiter.forget("alice")
    assert await send(limiter, "alice", 1) == [NOTICE]


# --- several instances, and concurrency ---------------------------------------------------------------------


async def test_two_instances_share_every_limit(make_limiter, hits):
    policy = LimitPolicy(sender_per_minute=4, sms_segments_per_hour=5, new_sms_senders_per_hour=2)
    one, two = await make_limiter(policy), await make_limiter(policy)
    alternating = [await send(one if i % 2 else two, "alice", 1) for i in range(6)]
    assert alternating == [[ALLOW], [ALLOW], [ALLOW], [ALLOW], [NOTICE], [DROP]]
    assert await send(one, "bob", 1) == [ALLOW]  # bob is the second new sender (alice the first)
    assert await send(two, "carol", 1) == [NOTICE]
    assert await send(one, "dave", 1) == [DROP]
    await one.spend_segments(3)
    assert await two.spend_segments(3) == 6
    assert await send(two, "bob", 1) == [NOTICE]
    assert await send(one, "bob", 1) == [DROP]  # the other instance knows bob had his notice


async def test_concurrent_checks_never_exceed_the_sender_limit(make_limiter):
    policy = LimitPolicy(sender_per_minute=20)
    one, two = await make_limiter(policy), await make_limiter(policy)
    decisions = await asyncio.gather(*(
        (one if i % 2 else two).check("alice", message_id=f"SM{i}") for i in range(100)
    ))
    assert Counter(actions(decisions)) == {ALLOW: 20, NOTICE: 1, DROP: 79}


async def test_concurrent_new_senders_never_exceed_the_cap(make_limiter):
    policy = LimitPolicy(new_sms_senders_per_hour=10)
    one, two = await make_limiter(policy), await make_limiter(policy)
    decisions = await asyncio.gather(*(
        (one if i % 2 else two).check(f"phone-{i}", message_id=f"SM{i}") for i in range(60)
    ))
    assert Counter(actions(decisions)) == {ALLOW: 10, NOTICE: 1, DROP: 49}


async def test_concurrent_spending_reaches_the_cap_exactly_once(make_limiter, hits):
    policy = LimitPolicy(sms_segments_per_hour=50)
    one, two = await make_limiter(policy), await make_limiter(policy)
    totals = await asyncio.gather(*((one if i % 2 else two).spend_segments(3) for i in range(40)))
    assert sorted(totals) == list(range(3, 121, 3))
    assert hits.names == [SMS_SEGMENTS]


def test_a_limit_policy_refuses_nonsense():
    with pytest.raises(ValueError, match="sender_per_minute"):
        LimitPolicy(sender_per_minute=0)


async def test_reply_segments_count_at_once_in_memory_and_at_the_flush_when_shared(make_limiter, backend_name):
    limiter = await make_limiter(LimitPolicy(sms_segments_per_hour=5))
    await limiter.add_segments(3)
    await limiter.add_segments(3)
    if backend_name != "memory":
        assert (await limiter.check("sender", message_id="SM-before-flush")).allowed  # batched: not yet counted
        await limiter.flush_segments()
    refusal = await limiter.check("sender", message_id="SM-after")
    assert not refusal.allowed and refusal.limit == "sms_segments"
    await limiter.flush_segments()  # nothing pending: nothing spent twice
    assert await limiter.spend_segments(1) == 7
