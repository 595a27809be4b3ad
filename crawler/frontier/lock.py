"""One run of a site at a time across the cluster: a Redis key with expiry, not a file lock.

The key holds the run's token. The process that starts a run sets it only if it is absent. Every
process taking part in the run — each worker's scheduler, and a `--workers` launcher or a
`newsarchive worker` supervisor — is a *member*: it holds a lease (a key expiring after `ttl / 3`
seconds) and renews it with the lock. The lock is released by the last member to leave, in the
same Lua script that removes the member, so two workers finishing together cannot both leave it
behind; members whose lease lapsed (killed) are not waited for longer than their lease. A member can
only join a run whose key still holds its token: a worker starting late never revives a run that
ended, and a cluster that dies entirely leaves a lock that expires after `ttl` seconds.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timezone

from redis import Redis

from archive.errors import ArchiveError, LockHeld
from crawler.frontier.keys import FrontierKeys

logger = logging.getLogger(__name__)

# KEYS: run, members; ARGV: token, member, member lease key, lock ttl ms, member lease ms
_TAKE_PART = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('SET', ARGV[3], '1', 'PX', ARGV[5])
return 1
"""
# KEYS: run, members; ARGV: token, member, member lease key prefix. Returns 1 when the lock is released.
_LEAVE = """
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('DEL', ARGV[3] .. ARGV[2])
local longest = 0
for _, other in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local left = redis.call('PTTL', ARGV[3] .. other)
  if left < 0 then redis.call('SREM', KEYS[2], other) elseif left > longest then longest = left end
end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if longest == 0 then
  redis.call('DEL', KEYS[1])
  return 1
end
redis.call('PEXPIRE', KEYS[1], longest)
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RunEnded(LockHeld):
    """The run a worker was told to join has ended (or another run holds the site)."""

    def __init__(self, path: str, holder: str | None) -> None:
        self.path = path
        self.holder = holder or ""
        ArchiveError.__init__(
            self,
            f"the run this worker was to join has ended ({f'now held by {holder}' if holder else 'no run is held'}; "
            f"lock {path}): start a new run, or join the running one with --join",
        )


class ClusterRunLock:
    """The run lock of one site on one frontier."""

    def __init__(self, server: Redis, keys: FrontierKeys, ttl: float) -> None:
        self.server = server
        self.keys = keys
        self.ttl_ms = int(ttl * 1000)
        self.member_lease_ms = max(1, self.ttl_ms // 3)
        self._take_part = server.register_script(_TAKE_PART)
        self._leave = server.register_script(_LEAVE)
        self._release = server.register_script(_RELEASE)

    def start(self) -> str:
        """Start a run and return its token; raises LockHeld while another run of the site is alive."""
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        token = f"{uuid.uuid4().hex} pid {os.getpid()} on {socket.gethostname()} since {stamp}"
        if not self.server.set(self.keys.run, token, nx=True, px=self.ttl_ms):
            raise LockHeld(f"redis key {self.keys.run}", self.holder() or "another run")
        return token

    def join(self, token: str, member: str) -> None:
        """Take part in the run `token` as `member`; raises RunEnded when that run no longer holds
        the site (it ended, or lapsed): a late worker never starts a second run under an old token."""
        if not self.renew(token, member):
            raise RunEnded(f"redis key {self.keys.run}", self.holder())

    def renew(self, token: str, member: str) -> bool:
        """Renew the run lock and `member`'s lease; False when the run no longer holds the site."""
        return bool(self._take_part(keys=[self.keys.run, self.keys.members],
                                    args=[token, member, self.keys.member(member), self.ttl_ms, self.member_lease_ms]))

    def leave(self, token: str, member: str) -> bool:
        """`member` stops taking part; the lock is released when no live member is left (True then)."""
        return bool(self._leave(keys=[self.keys.run, self.keys.members],
                                args=[token, member, self.keys.member_prefix]))

    def release(self, token: str) -> None:
        """Release the lock whoever is still a member (the run is abandoned)."""
        self._release(keys=[self.keys.run], args=[token])

    def holder(self) -> str | None:
        value = self.server.get(self.keys.run)
        if value is None:
            return None
        return value.decode("utf-8", "replace").split(" ", 1)[-1]

    def running(self) -> str | None:
        """The token of the run in progress, if any."""
        value = self.server.get(self.keys.run)
        return value.decode("utf-8", "replace") if value is not None else None
