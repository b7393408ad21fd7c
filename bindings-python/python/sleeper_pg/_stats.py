"""The shape of ``Client.stats()``: plain dicts, typed here for type checkers. Durations are float
seconds."""

from __future__ import annotations

from typing import TypedDict


class Bucket(TypedDict):
    """One cumulative bucket of a latency histogram: the calls that took at most ``le_seconds``."""

    le_seconds: float
    count: int


class DurationHistogram(TypedDict):
    """A latency histogram as Prometheus keeps one. Calls slower than the last bound are ``count``
    less the last bucket's. The percentiles are estimated from the buckets; None before any call."""

    count: int
    sum_seconds: float
    buckets: list[Bucket]
    p50_seconds: float | None
    p99_seconds: float | None


class OperationStats(TypedDict):
    """One operation's calls (named as the Rust core names it, such as ``"add_files"``): failures
    by exception class name, and retries (attempts beyond the first, after conflicts)."""

    operation: str
    calls: int
    failures: dict[str, int]
    retries: int
    duration: DurationHistogram


class ClientStats(TypedDict):
    """What a client's calls did since it connected: the operations called at least once."""

    operations: list[OperationStats]
