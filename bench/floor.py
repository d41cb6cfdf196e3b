"""B4, the messaging floor: what nameko itself costs per RPC round trip and per event on this machine, with no
business logic, no database and no validation, under the same settings as the platform (transient requests
with confirms, replies without, events persistent with confirms, consumed with acks).

`python -m bench.floor <amqp-uri>` runs the bare service (one RPC method that does nothing, one event handler
that counts). The benchmark (bench/run.py) drives it: RPC from 20 concurrent callers in a subprocess, events from
a kombu producer with publisher confirms (as the outbox relay publishes them), and reads the CPU each process
used from /proc. Dividing the machine's cores by the CPU of the dossier path's messages gives a ceiling no code
built on these parts can pass, whatever the services do between the messages.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # noqa: E402

import sys  # noqa: E402

from nameko.events import event_handler  # noqa: E402
from nameko.rpc import rpc  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402

SOURCE = (
    "bench_floor_src"  # events arrive on the exchange "bench_floor_src.events", as the relay publishes them
)
EVENT = "ping"


class FloorService:
    name = "bench_floor"
    received = 0

    @rpc
    def ping(self):
        return None

    @rpc
    def events_received(self) -> int:
        return FloorService.received

    @event_handler(SOURCE, EVENT)
    def on_ping(self, payload):
        FloorService.received += 1
        if FloorService.received == payload.get("expect"):
            print("received", FloorService.received, flush=True)


def main(argv: list[str]) -> int:
    from services.chassis.run import _fast_rpc_replies, _harden_nameko

    _harden_nameko()
    _fast_rpc_replies()
    # As the platform's services are configured (services/chassis/config.py), without the MOTCUA part.
    runner = ServiceRunner({"AMQP_URI": argv[0], "max_workers": 30, "serializer": "json", "HEARTBEAT": 30})
    runner.add_service(FloorService)
    runner.start()
    print("ready", flush=True)
    runner.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
