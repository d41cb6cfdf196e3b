"""Notify's own Prometheus metrics (the chassis adds the entrypoint, event and outbox ones)."""

from __future__ import annotations

from prometheus_client import Counter

NOTIFICATIONS = Counter(
    "motcua_notify_notifications_total",
    "Notifications by channel and final or intermediate status.",
    ["channel", "status"],
)
DELIVERIES = Counter("motcua_webhook_deliveries_total", "Webhook delivery attempts by outcome.", ["outcome"])
