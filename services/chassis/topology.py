"""Declare the broker topology (exchanges, consumer queues, dead-letter queues) before services publish.

python -m services.chassis.topology            # every service
python -m services.chassis.topology workflow   # one service's queues
"""

from __future__ import annotations

import os
import sys
import time

from services.chassis import config
from services.chassis.consumers import declare_topology
from services.chassis.registry import SERVICE_CLASSES, service_class


def declare(services: list[str], amqp_uri: str, delivery_limit: int, wait_seconds: float = 60) -> list[str]:
    classes = {name: service_class(name) for name in services}
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return declare_topology(amqp_uri, classes, delivery_limit)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def main(argv: list[str]) -> int:
    services = argv or list(SERVICE_CLASSES)
    settings = config.load(services[0])
    queues = declare(
        services,
        settings.amqp_uri,
        settings.max_delivery_attempts,
        float(os.environ.get("TOPOLOGY_WAIT_SECONDS", "60")),
    )
    print(f"declared {len(queues)} consumer queues (with dead-letter queues) for {', '.join(services)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
