"""One run of a site at a time across the cluster: a Redis key with expiry, not a file lock.

The key holds the run's token. The worker (or `--workers` launcher) that starts a run sets it only if
it is absent; workers that join the run renew it while they run, so a cluster that dies entirely
leaves a lock that expires after `ttl` seconds instead of blocking the site for ever.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timezone

from redis import Redis

from archive.errors import LockHeld
from crawler.frontier.keys import FrontierKeys

logger = logging.getLogger(__name__)

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class ClusterRunLock:
    """The run lock of one site on one frontier."""

    def __init__(self, server: Redis, keys: FrontierKeys, ttl: float) -> None:
        self.server = server
        self.keys = keys
        self.ttl_ms = int(ttl * 1000)
        self._renew = server.register_script(_RENEW)
        self._release = server.register_script(_RELEASE)

    def start(self) -> str:
        """Start a run and return its token; raises LockHeld while another run of the site is alive."""
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        token = f"{uuid.uuid4().hex} pid {os.getpid()} on {socket.gethostname()} since {stamp}"
        if not self.server.set(self.keys.run, token, nx=True, px=self.ttl_ms):
            raise LockHeld(f"redis key {self.keys.run}", self.holder() or "another run")
        return token

    def join(self, token: str) -> None:
        """Take part in the run `token`; raises LockHeld if another run holds the site."""
        if self.server.set(self.keys.run, token, nx=True, px=self.ttl_ms):
            return  # the run's lock had lapsed (every worker was slow to renew): taken again
        if not self.renew(token):
            raise LockHeld(f"redis key {self.keys.run}", self.holder() or "another run")

    def renew(self, token: str) -> bool:
        return bool(self._renew(keys=[self.keys.run], args=[token, self.ttl_ms]))

    def release(self, token: str) -> None:
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
