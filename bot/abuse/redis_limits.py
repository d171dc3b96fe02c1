"""The Redis limit backend: every check is one Lua script (EVALSHA), so one round trip and atomic.

Keys (all under one prefix, default "pathways:limits:"), each expiring by itself, so nothing needs purging:
  sender:<minute>:<user key>          messages from one user key in one minute
  segments:<hour>                     outbound SMS segments this hour
  segment_notice:<hour>:<user key>    refusals under the segment cap this hour (1 = the notice)
  new_senders:<hour>                  new SMS senders this hour
  seen:<user key>                     when the 'seen' mark ends (Unix seconds); expires then too
  verdict:<message id>                1 allowed / 0 refused, for retried webhooks
Windows are numbered from the caller's clock (see `window_id`), so every instance and backend agrees.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from redis import exceptions as redis_errors

from bot.abuse.policy import Decision, LimitPolicy, decision_from_verdict, window_id
from bot.errors import StorageError, StorageUnavailable

__all__ = ["RedisLimitBackend", "DEFAULT_PREFIX", "translate_redis_error"]

DEFAULT_PREFIX = "pathways:limits:"
_WINDOW_SLACK = 60  # seconds a window's key outlives the window, for clocks a little apart

# KEYS: 1 verdict, 2 sender count, 3 segments total, 4 segment notice, 5 seen mark, 6 new senders
# ARGV: 1 has message id, 2 replay seconds, 3 now (Unix s), 4 sender limit, 5 sender key ttl, 6 sms,
#       7 segment cap, 8 hour key ttl, 9 new-sender cap, 10 known-sender seconds
_CHECK = """
local has_id = ARGV[1] == '1'
if has_id then
  local prior = redis.call('GET', KEYS[1])
  if prior then return {'replay', prior} end
end
local function done(verdict, limit)
  if has_id then redis.call('SET', KEYS[1], verdict == 'allow' and '1' or '0', 'EX', ARGV[2]) end
  return {verdict, limit}
end
local function count(key, ttl)
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('EXPIRE', key, ttl) end
  return n
end
local now = tonumber(ARGV[3])
local sender_limit = tonumber(ARGV[4])
local sent = count(KEYS[2], ARGV[5])
if sent > sender_limit then
  return done(sent == sender_limit + 1 and 'notice' or 'drop', 'sender_rate')
end
if ARGV[6] == '1' then
  local spent = tonumber(redis.call('GET', KEYS[3]) or '0')
  if spent >= tonumber(ARGV[7]) then
    return done(count(KEYS[4], ARGV[8]) == 1 and 'notice' or 'drop', 'sms_segments')
  end
  local seen_until = tonumber(redis.call('GET', KEYS[5]) or '0')
  if seen_until <= now then
    local cap = tonumber(ARGV[9])
    local new = count(KEYS[6], ARGV[8])
    if new > cap then return done(new == cap + 1 and 'notice' or 'drop', 'new_sms_senders') end
  end
  local known = tonumber(ARGV[10])
  redis.call('SET', KEYS[5], tostring(math.floor(now) + known), 'EX', known)
end
return done('allow', '')
"""


def translate_redis_error(exc: BaseException) -> StorageError:
    """redis-py errors → the package's errors: unreachable or timed out means unavailable."""
    if isinstance(exc, redis_errors.ConnectionError | redis_errors.TimeoutError | OSError):
        return StorageUnavailable(f"Redis unavailable: {exc.__class__.__name__}: {exc}")
    return StorageError(f"Redis error: {exc.__class__.__name__}: {exc}")


@asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    try:
        yield
    except (redis_errors.RedisError, OSError) as exc:
        raise translate_redis_error(exc) from exc


class RedisLimitBackend:
    """Limits shared by every instance through one Redis database."""

    name = "redis"

    def __init__(self, client: aioredis.Redis, *, prefix: str = DEFAULT_PREFIX) -> None:
        self._client = client
        self._prefix = prefix
        self._check = client.register_script(_CHECK)

    @classmethod
    def connect(cls, url: str, *, prefix: str = DEFAULT_PREFIX, max_connections: int = 32,
                timeout: float = 2.0) -> RedisLimitBackend:
        """A client on a bounded pool (waiting up to `timeout` for a free connection). Connects lazily."""
        pool = aioredis.BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=timeout,
            socket_timeout=timeout, socket_connect_timeout=timeout,
        )
        return cls(aioredis.Redis(connection_pool=pool), prefix=prefix)

    def key(self, *parts: object) -> str:
        return self._prefix + ":".join(str(p) for p in parts)

    async def check(self, now: dt.datetime, user_key: str, message_id: str | None, sms: bool,
                    policy: LimitPolicy) -> Decision:
        minute = window_id(now, policy.sender_window_seconds)
        hour = window_id(now, policy.global_window_seconds)
        keys = [
            self.key("verdict", message_id or "-"),
            self.key("sender", minute, user_key),
            self.key("segments", hour),
            self.key("segment_notice", hour, user_key),
            self.key("seen", user_key),
            self.key("new_senders", hour),
        ]
        args = [
            "1" if message_id is not None else "0",
            policy.replay_seconds,
            int(now.timestamp()),
            policy.sender_per_minute,
            policy.sender_window_seconds + _WINDOW_SLACK,
            "1" if sms else "0",
            policy.sms_segments_per_hour,
            policy.global_window_seconds + _WINDOW_SLACK,
            policy.new_sms_senders_per_hour,
            policy.known_sender_seconds,
        ]
        async with _translated():
            verdict, detail = await self._check(keys=keys, args=args)
        return decision_from_verdict(verdict, detail)

    async def spend_segments(self, now: dt.datetime, segments: int, policy: LimitPolicy) -> int:
        key = self.key("segments", window_id(now, policy.global_window_seconds))
        async with _translated(), self._client.pipeline(transaction=True) as pipe:
            pipe.incrby(key, segments)
            pipe.expire(key, policy.global_window_seconds + _WINDOW_SLACK)
            total, _ = await pipe.execute()
        return int(total)

    async def forget(self, user_key: str) -> None:
        async with _translated():
            await self._client.delete(self.key("seen", user_key))

    async def purge(self, now: dt.datetime) -> int:
        return 0  # every key carries its own expiry

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except (redis_errors.RedisError, OSError):
            return False

    async def close(self) -> None:
        await self._client.aclose()
