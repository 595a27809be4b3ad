"""scrapy-redis's priority queue with acknowledgement: nothing a dead worker took is lost.

`pop` moves the request, in one atomic step, from the shared queue into the worker's in-flight hash;
the worker acknowledges it once the page is archived (or has failed for good). A worker renews a lease
(`FrontierKeys.alive`) while it runs; when the lease lapses (the process was killed, the machine
died), any other worker moves the dead worker's in-flight requests back into the queue.
"""

from __future__ import annotations

from redis import Redis
from scrapy import Request, Spider
from scrapy_redis.queue import PriorityQueue

from crawler.frontier.keys import FrontierKeys

# request.meta key: the encoded entry a request was popped as, for its acknowledgement
FRONTIER_ENTRY_META = "frontier_entry"

_POP = """
local taken = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #taken == 0 then return nil end
redis.call('ZREM', KEYS[1], taken[1])
redis.call('HSET', KEYS[2], taken[1], taken[2])
redis.call('SADD', KEYS[3], ARGV[1])
return taken[1]
"""

# KEYS: requests, seen; ARGV: fingerprint, score, encoded request. Marks the request seen and queues
# it in one step: a worker killed between the two would leave a URL seen and never fetched.
_PUSH_UNSEEN = """
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
return 1
"""

# KEYS: requests, workers; ARGV: in-flight key prefix, lease key prefix. Returns requests requeued.
_REQUEUE_DEAD = """
local moved = 0
for _, worker in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  if redis.call('EXISTS', ARGV[2] .. worker) == 0 then
    local inflight = ARGV[1] .. worker
    local entries = redis.call('HGETALL', inflight)
    for i = 1, #entries, 2 do
      redis.call('ZADD', KEYS[1], entries[i + 1], entries[i])
      moved = moved + 1
    end
    redis.call('DEL', inflight)
    redis.call('SREM', KEYS[2], worker)
  end
end
return moved
"""


def requeue_dead(server: Redis, keys: FrontierKeys) -> int:
    """Give the requests of every worker of the site whose lease lapsed back to the queue; how many.
    (Also for a process that has no queue object: a waiting `newsarchive worker`.)"""
    script = server.register_script(_REQUEUE_DEAD)
    return int(script(keys=[keys.requests, keys.workers], args=[keys.inflight_prefix, keys.alive_prefix]))


class AcknowledgedQueue(PriorityQueue):
    """One site's shared queue, as seen by one worker."""

    def __init__(self, server: Redis, spider: Spider, keys: FrontierKeys, worker: str) -> None:
        super().__init__(server, spider, keys.requests)
        self.keys = keys
        self.worker = worker
        self._pop = server.register_script(_POP)
        self._push_unseen = server.register_script(_PUSH_UNSEEN)

    def push_unseen(self, request: Request, fingerprint: str) -> bool:
        """Queue `request` unless its fingerprint is in the shared seen set; True when queued."""
        return bool(self._push_unseen(keys=[self.key, self.keys.seen],
                                      args=[fingerprint, -request.priority, self._encode_request(request)]))

    def pop(self, timeout: int = 0) -> Request | None:
        entry = self._pop(keys=[self.key, self.keys.inflight(self.worker), self.keys.workers], args=[self.worker])
        if entry is None:
            return None
        request = self._decode_request(entry)
        request.meta[FRONTIER_ENTRY_META] = entry
        return request

    def acknowledge(self, request: Request) -> None:
        """The request is done with: archived, failed for good, or replaced by its redirect or retry."""
        entry = request.meta.pop(FRONTIER_ENTRY_META, None)
        if entry is not None:
            self.server.hdel(self.keys.inflight(self.worker), entry)

    def renew_lease(self, seconds: float, busy: bool) -> None:
        self.server.set(self.keys.alive(self.worker), "busy" if busy else "idle", px=int(seconds * 1000))

    def requeue_dead(self) -> int:
        """Give the requests of every worker whose lease lapsed back to the queue."""
        return requeue_dead(self.server, self.keys)

    def others_at_work(self) -> bool:
        """Another worker may still add requests: it is busy, or it died holding requests not yet requeued."""
        for worker in self.server.smembers(self.keys.workers):
            name = worker.decode() if isinstance(worker, bytes) else worker
            if name == self.worker:
                continue
            state = self.server.get(self.keys.alive(name))
            if state is None or state == b"busy":
                return True
        for key in self.server.scan_iter(match=self.keys.alive_prefix + "*"):
            name = key.decode().removeprefix(self.keys.alive_prefix)
            if name != self.worker and self.server.get(key) == b"busy":
                return True
        return False

    def leave(self, finished: bool) -> None:
        """This worker stops: on a finished crawl nothing it took is pending (leftovers were redirects
        or failures, already handled); otherwise what it took goes back to the queue."""
        inflight = self.keys.inflight(self.worker)
        if not finished:
            for entry, score in self.server.hgetall(inflight).items():
                self.server.zadd(self.key, {entry: float(score)})
        self.server.delete(inflight, self.keys.alive(self.worker))
        self.server.srem(self.keys.workers, self.worker)
