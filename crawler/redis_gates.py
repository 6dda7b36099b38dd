"""Backend budgets kept in Redis, so that N worker processes of a distributed crawl give a backend the budget
of one crawl, not N times it (`crawler.backends` explains the budget).

Per backend, under ``nianbao:backend:<backend>:``:
- ``leases``: a sorted set slot -> expiry (ms, Redis clock) of the slots held by requests in flight, with
  ``owners`` (slot -> the holding process's token). A lease lives BACKEND_LEASE_SECONDS, longer than any
  request holds it, so a worker killed with SIGKILL gives its slots back when their leases expire;
- ``next``: slot -> the earliest start (ms) of the slot's next request (its previous answer + the delay);
- ``notbefore``: no slot starts before (a Retry-After); ``cool``: exists while the backend cools down
  after a strain sign (1 slot, doubled delay).
Each step is one Lua script (atomic, Redis's own clock for every worker). The keys expire on their own and
are shared by concurrent runs on one Redis: two runs reaching one backend share its budget too.
In each process one waiter per backend asks Redis; the others queue behind it locally. It asks again when a
slot's delay has passed, or when any process releases one of the backend's slots (published on a channel).
"""
from __future__ import annotations

import asyncio
import os
import socket
import threading
import uuid

import redis

PREFIX = "nianbao:backend:"
RELEASED = "nianbao:backend-released"  # channel: a backend whose slot was just released
FALLBACK = 0.25  # s between two looks at a backend whose slots are all held, should a release go unheard

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""

ACQUIRE = _NOW + """
local p, slots, owner, lease = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', p .. 'leases', '-inf', now)
if redis.call('PTTL', p .. 'cool') > 0 then slots = 1 end
if redis.call('ZCARD', p .. 'leases') >= slots then return {-1, -1} end
local notbefore = tonumber(redis.call('GET', p .. 'notbefore') or '0')
local best, at = -1, 0
for i = 0, slots - 1 do
  if not redis.call('ZSCORE', p .. 'leases', i) then
    local t = math.max(tonumber(redis.call('HGET', p .. 'next', i) or '0'), notbefore)
    if best < 0 or t < at then best, at = i, t end
  end
end
if best < 0 then return {-1, -1} end
if at > now then return {-1, at - now} end
redis.call('ZADD', p .. 'leases', now + lease, best)
redis.call('HSET', p .. 'owners', best, owner)
redis.call('PEXPIRE', p .. 'leases', lease)
redis.call('PEXPIRE', p .. 'owners', lease)
return {best, 0}
"""

RELEASE = _NOW + """
local p, slot, owner, gap = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
if redis.call('HGET', p .. 'owners', slot) == owner then
  redis.call('ZREM', p .. 'leases', slot)
  redis.call('HDEL', p .. 'owners', slot)
end
if redis.call('PTTL', p .. 'cool') > 0 then gap = 2 * gap end
local nxt = math.max(tonumber(redis.call('HGET', p .. 'next', slot) or '0'), now + gap)
redis.call('HSET', p .. 'next', slot, nxt)
redis.call('PEXPIRE', p .. 'next', math.max(nxt - now + 1000, redis.call('PTTL', p .. 'next')))
redis.call('PUBLISH', KEYS[1], ARGV[5])
return 1
"""

STRAIN = _NOW + """
local p, wait, cooldown = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local nb = math.max(tonumber(redis.call('GET', p .. 'notbefore') or '0'), now + wait)
redis.call('SET', p .. 'notbefore', nb, 'PX', nb - now + 1000)
local cool = math.max(wait, cooldown, 1)
if redis.call('PTTL', p .. 'cool') < cool then redis.call('SET', p .. 'cool', 1, 'PX', cool) end
return 1
"""


def _ms(seconds: float) -> int:
    return max(0, int(round(seconds * 1000)))


class RedisGates:
    """`crawler.backends.Gates` on Redis: one budget per backend for every process using this Redis."""

    _shared: dict[tuple[str, float], "RedisGates"] = {}

    def __init__(self, url: str, *, lease: float) -> None:
        self.server = redis.Redis.from_url(url)
        self.lease = lease
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._acquire = self.server.register_script(ACQUIRE)
        self._release = self.server.register_script(RELEASE)
        self._strain = self.server.register_script(STRAIN)
        self.queues: dict[str, asyncio.Lock] = {}
        self.released: dict[str, asyncio.Event] = {}  # set when any process releases a slot of the backend
        self.listener: threading.Thread | None = None

    @classmethod
    def shared(cls, url: str, *, lease: float) -> "RedisGates":
        """One per process and Redis: every crawler of a worker queues behind the same local waiter."""
        key = (url, lease)
        if key not in cls._shared:
            cls._shared[key] = cls(url, lease=lease)
        return cls._shared[key]

    def try_acquire(self, key: str, slots: int) -> tuple[int | None, float | None]:
        """(the slot taken, None), or (None, seconds until a slot's next start; None while all are held)."""
        slot, wait = self._acquire(args=[PREFIX + key + ":", slots, self.owner, _ms(self.lease)])
        if slot >= 0:
            return int(slot), None
        return None, (wait / 1000 if wait >= 0 else None)

    async def acquire(self, key: str, slots: int, delay: float) -> int:
        self._listen()
        lock = self.queues.setdefault(key, asyncio.Lock())
        released = self.released.setdefault(key, asyncio.Event())
        async with lock:
            while True:
                released.clear()  # before looking: a release from now on wakes us
                slot, wait = self.try_acquire(key, slots)
                if slot is not None:
                    return slot
                try:
                    await asyncio.wait_for(released.wait(), FALLBACK if wait is None else max(wait, 0.001))
                except TimeoutError:
                    pass

    def release(self, key: str, slot: int, delay: float) -> None:
        self._release(keys=[RELEASED], args=[PREFIX + key + ":", slot, self.owner, _ms(delay), key])

    def _listen(self) -> None:
        """Hear every process's releases (Redis pub/sub, on a thread) and wake this process's waiter at once."""
        if self.listener is not None:
            return
        loop = asyncio.get_running_loop()
        pubsub = self.server.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(RELEASED)

        def listen() -> None:
            try:
                for message in pubsub.listen():
                    loop.call_soon_threadsafe(self._wake, message["data"].decode())
            except (redis.ConnectionError, RuntimeError):  # Redis gone, or the loop closed: waiters fall back to polling
                return

        self.listener = threading.Thread(target=listen, name="backend-releases", daemon=True)
        self.listener.start()

    def _wake(self, key: str) -> None:
        event = self.released.get(key)
        if event is not None:
            event.set()

    def strain(self, key: str, wait: float, cooldown: float) -> None:
        self._strain(args=[PREFIX + key + ":", _ms(wait), _ms(cooldown)])
