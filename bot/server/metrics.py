"""Prometheus metrics for the server: request counts and latencies by route and status, plus the
content-free aggregate counters the conversation service keeps. No user keys, no text."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

__all__ = ["ServerMetrics", "CONTENT_TYPE"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ServerMetrics:
    """One registry per application, so tests and several apps in one process do not collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("pathways_http_requests_total", "HTTP requests by route and status",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("pathways_http_request_seconds", "HTTP request latency by route",
                                 ["route"], registry=self.registry,
                                 buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.events = Counter("pathways_events_total", "Conversation events (content-free)",
                              ["name", "label"], registry=self.registry)
        self.limits = Counter("pathways_limit_hits_total", "Abuse limits reached", ["limit"],
                              registry=self.registry)
        self.segments = Counter("pathways_sms_segments_total", "Outbound SMS segments", registry=self.registry)
        self.content_flows = Gauge("pathways_content_flows", "Flows loaded", registry=self.registry)

    def count_events(self, counts: Mapping[tuple[str, str], int]) -> None:
        """The conversation service's aggregate counts, per process (the database holds the totals)."""
        for (name, label), n in counts.items():
            self.events.labels(name, label).inc(n)

    def render(self) -> bytes:
        return generate_latest(self.registry)
