"""The Redis keys of one site's frontier: the one place that names them."""

from __future__ import annotations

from dataclasses import dataclass

from redis import Redis

KEY_PREFIX = "newsarchive"


@dataclass(frozen=True, slots=True)
class FrontierKeys:
    """Every key of a site's frontier starts with `newsarchive:<site>:`, so sites never mix."""

    site: str

    @property
    def base(self) -> str:
        return f"{KEY_PREFIX}:{self.site}:"

    @property
    def requests(self) -> str:
        """Sorted set of queued requests (scrapy-redis's priority queue)."""
        return self.base + "requests"

    @property
    def seen(self) -> str:
        """Set of request fingerprints (scrapy-redis's duplicate filter)."""
        return self.base + "seen"

    @property
    def workers(self) -> str:
        """Set of the workers that took requests and have not finished."""
        return self.base + "workers"

    @property
    def inflight_prefix(self) -> str:
        return self.base + "inflight:"

    def inflight(self, worker: str) -> str:
        """Hash of the requests `worker` took and has not acknowledged: encoded request -> priority."""
        return self.inflight_prefix + worker

    @property
    def alive_prefix(self) -> str:
        return self.base + "alive:"

    def alive(self, worker: str) -> str:
        """The worker's lease: "busy" or "idle", expiring unless the worker renews it."""
        return self.alive_prefix + worker

    @property
    def members(self) -> str:
        """Set of the processes taking part in the run (workers, launchers, supervisors)."""
        return self.base + "members"

    @property
    def member_prefix(self) -> str:
        return self.base + "member:"

    def member(self, name: str) -> str:
        """A run member's lease, expiring unless the member renews it with the run lock."""
        return self.member_prefix + name

    @property
    def origin(self) -> str:
        """The base URL the site was seeded with (a mirror or local copy), for workers that only
        take work from the frontier; absent when seeded at the profile's own address."""
        return self.base + "origin"

    @property
    def run(self) -> str:
        """The cluster run lock: the running run's token, expiring unless a worker renews it."""
        return self.base + "run"


def sites_in(server: Redis) -> list[str]:
    """The sites that have any frontier key on this Redis database."""
    sites = set()
    for key in server.scan_iter(match=f"{KEY_PREFIX}:*", count=1000):
        text = key.decode() if isinstance(key, bytes) else key
        sites.add(text.split(":", 2)[1])
    return sorted(sites)
