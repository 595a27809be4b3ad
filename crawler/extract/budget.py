"""A hard time budget per page: extraction checks the clock between stages and inside long walks.

Pure Python cannot be interrupted safely from outside without threads or signals (neither belongs
in a Scrapy callback), so the extractor checks a deadline itself, often enough that no page runs much
past it. The clock is the thread's CPU time: extraction is pure computation, so that is its real
cost, and a machine busy with other work (a shared CI runner, the rest of the crawl) does not push
ordinary pages over the budget. A page over budget raises `ExtractionTimeout`; the crawl records it
as a failed extraction (the response itself is already archived) and goes on.
"""

from __future__ import annotations

import time

DEFAULT_BUDGET = 2.0  # CPU seconds per page; real pages take milliseconds (benchmarks/real_pages.py)


class ExtractionTimeout(Exception):
    """The page took longer than its extraction budget; the message says where."""


class Budget:
    """A deadline on this thread's CPU clock; `check` raises once it has passed."""

    __slots__ = ("deadline", "seconds")

    def __init__(self, seconds: float | None = DEFAULT_BUDGET) -> None:
        self.seconds = seconds
        self.deadline = time.thread_time() + seconds if seconds is not None else float("inf")

    def check(self, stage: str) -> None:
        if time.thread_time() > self.deadline:
            raise ExtractionTimeout(f"extraction over its {self.seconds:g} s CPU budget (in {stage})")
