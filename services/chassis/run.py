"""Run one MotCua service: `python -m services.chassis.run <service>`.

Patches for eventlet (and psycopg2 through services/chassis/green.py) first, then: JSON logs, the metrics/health port,
topology declaration for this service's queues, and the nameko container. SIGTERM and SIGINT stop it
gracefully (running workers finish, unacked messages go back to the broker).
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # noqa: E402 - must precede every other import that may touch sockets or threads

import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from types import FrameType  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

from services.chassis.green import patch_psycopg  # noqa: E402

patch_psycopg()

if TYPE_CHECKING:
    from structlog.typing import FilteringBoundLogger

    from services.chassis.config import Settings
    from services.chassis.nameko_types import ExcInfo, Message, ServiceRunner

# Marks a nameko method patched here, on the patched function itself: a second call (this module imported
# again, e.g. as __main__ and by name, or bench/floor.py calling it) never wraps it twice.
_SAFE = "_motcua_safe"
Reply = tuple[object, "ExcInfo | None"]
SendResponse = Callable[[object, object, "ExcInfo | None"], Reply]  # nameko's Responder.send_response


def _harden_nameko() -> None:
    """nameko settles messages on the worker thread; if the broker connection died meanwhile, the ack raises and
    nameko kills the whole container. The broker redelivers unsettled messages anyway: log and carry on."""
    import structlog
    from nameko.messaging import QueueConsumer

    log: FilteringBoundLogger = structlog.get_logger()
    for name in ("ack_message", "requeue_message"):
        original = getattr(QueueConsumer, name)
        if getattr(original, _SAFE, False):
            continue

        def safe(
            self: object,
            message: Message,
            _original: Callable[[object, Message], None] = original,
            _name: str = name,
        ) -> None:
            try:
                _original(self, message)
            except Exception as exc:  # noqa: BLE001
                log.warning("message_settle_failed", how=_name, error=str(exc), error_type=type(exc).__name__)

        setattr(safe, _SAFE, True)
        setattr(QueueConsumer, name, safe)

    # Same for an RPC reply that cannot be sent because the broker went away: nameko would kill the container.
    # The caller times out (every call has a deadline); the request is redelivered when the broker is back and
    # answered again, which is why every RPC that changes state is idempotent (gateway submissions always carry
    # an idempotency key).
    from nameko.rpc import Responder

    if not getattr(Responder.send_response, _SAFE, False):
        original_send = Responder.send_response

        def send_response(
            self: object, result: object, exc_info: ExcInfo | None, _original: SendResponse = original_send
        ) -> Reply:
            try:
                return _original(self, result, exc_info)
            except Exception as exc:  # noqa: BLE001
                log.warning("rpc_reply_failed", error=str(exc), error_type=type(exc).__name__)
                return result, exc_info

        setattr(send_response, _SAFE, True)
        Responder.send_response = send_response


def _fast_rpc_replies() -> None:
    """RPC replies go to the caller's own non-durable reply queue, and a caller that gets no reply times out
    (every call has a deadline, services/chassis/rpc.py): a publisher confirm on a reply protects nothing, yet
    costs a broker round trip on every call. Requests keep their confirms (they detect unknown services) but are
    not persisted, and events keep both (outbox relay)."""
    from nameko.rpc import MethodProxy, Responder

    from services.chassis.nameko_types import Publisher

    if getattr(Responder.publisher_cls, "_motcua_fast", False):
        return

    class ReplyPublisher(Publisher):
        use_confirms = False
        delivery_mode = 1  # transient: the reply queue does not survive a broker restart anyway
        _motcua_fast = True

    class RequestPublisher(Publisher):
        # Transient too: a request is worth something only while its caller waits for the answer, and a caller
        # whose broker restarted has timed out already (a persisted request would then act with nobody to tell).
        # Not written to the broker's disk: less broker CPU and I/O on every call. Confirms kept.
        delivery_mode = 1

    Responder.publisher_cls = ReplyPublisher
    MethodProxy.publisher_cls = RequestPublisher


def _broker_check(amqp_uri: str) -> Callable[[], None]:
    """The broker's readiness check: a connection at most every 5 seconds, the last outcome in between."""
    from kombu import Connection

    checked = 0.0
    error: Exception | None = None

    def check() -> None:
        nonlocal checked, error
        now = time.monotonic()
        if now - checked > 5:
            checked = now
            try:
                with Connection(amqp_uri, connect_timeout=2) as conn:
                    conn.ensure_connection(max_retries=1, timeout=2)
                error = None
            except Exception as exc:  # noqa: BLE001
                error = exc
        if error is not None:
            raise error

    return check


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m services.chassis.run <service>", file=sys.stderr)
        return 2
    name = argv[0]

    import structlog

    from services.chassis.nameko_types import ServiceRunner

    settings, cls = _configure(name)
    log: FilteringBoundLogger = structlog.get_logger()
    _join_the_platform(name, settings, cls)
    runner = ServiceRunner(settings.nameko_config())
    runner.add_service(cls)
    _stop_on_signals(runner, log)
    _cpu_profiler(name)
    runner.start()
    log.info("service_started", metrics_port=settings.metrics_port, amqp=_safe(settings.amqp_uri))
    _run_until_stopped(runner)
    log.info("service_stopped")
    return 0


def _configure(name: str) -> tuple[Settings, type]:
    """The service's settings, JSON logs, nameko's patches, and the service's class."""
    from services.chassis import config, logs
    from services.chassis.registry import service_class

    settings = config.load(name)
    logs.configure(name, settings.log_level)
    _harden_nameko()
    _fast_rpc_replies()
    return settings, service_class(name)


def _join_the_platform(name: str, settings: Settings, cls: type) -> None:
    """Before the first message: the metrics and health port, the broker's readiness check, this service's
    queues (declared before it consumes, so nothing published meanwhile is lost) and the watch on its
    dead-letter queues."""
    from services.chassis import metrics
    from services.chassis.consumers import watch_dead_letters
    from services.chassis.topology import declare

    if settings.metrics_port:
        metrics.serve(settings.metrics_host, settings.metrics_port)
    metrics.add_readiness_check("broker", _broker_check(settings.amqp_uri))
    declare([name], settings.amqp_uri, settings.max_delivery_attempts, wait_seconds=120)
    watch_dead_letters(settings.amqp_uri, name, cls)


def _stop_on_signals(runner: ServiceRunner, log: FilteringBoundLogger) -> None:
    """SIGTERM and SIGINT stop the service gracefully; a second signal, or a stop that takes longer than
    `STOP_TIMEOUT_SECONDS`, ends the process."""
    stop_timeout = float(os.environ.get("STOP_TIMEOUT_SECONDS", "30"))
    stopping_since: float | None = None

    def force_exit() -> None:
        log.warning("service_stop_timed_out", timeout_seconds=stop_timeout)
        runner.kill()
        os._exit(1)

    def shutdown(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping_since
        # First signal: stop gracefully (workers finish, unacked messages return to the broker). If that hangs
        # (e.g. the broker is gone and kombu keeps reconnecting), or a second signal comes, stop hard: anything
        # unacknowledged is redelivered by the broker, anything uncommitted was never promised.
        if stopping_since is not None:
            force_exit()
        stopping_since = time.monotonic()
        log.info("service_stopping", signal=signum)
        eventlet.spawn_n(runner.stop)
        eventlet.spawn_after(stop_timeout, force_exit)

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)


def _run_until_stopped(runner: ServiceRunner) -> None:
    """Wait for the runner to end; a KeyboardInterrupt that reaches this wait stops it gracefully too."""
    runnlet = eventlet.spawn(runner.wait)
    while True:
        try:
            runnlet.wait()
            break
        except KeyboardInterrupt:
            eventlet.spawn_n(runner.stop)


def _cpu_profiler(name: str) -> None:
    """`MOTCUA_CPU_PROFILE=<dir>` (benchmarks only; needs yappi): profile on CPU time, per green thread, from
    start; SIGUSR2 starts over, SIGUSR1 stops and writes `<dir>/<service>-<pid>.pstat`. A sampler sees a green
    thread waiting in the hub as busy; this measures only what used the processor."""
    directory = os.environ.get("MOTCUA_CPU_PROFILE")
    if not directory:
        return
    import yappi  # type: ignore[import-not-found]  # optional (benchmarks only), not in the lock

    yappi.set_clock_type("cpu")
    yappi.set_context_backend("greenlet")
    yappi.start(builtins=False)

    def dump(_signum: int, _frame: FrameType | None) -> None:
        yappi.stop()
        path = os.path.join(directory, f"{name}-{os.getpid()}.pstat")
        yappi.get_func_stats().save(path + ".tmp", type="pstat")
        os.replace(path + ".tmp", path)

    signal.signal(signal.SIGUSR1, dump)
    signal.signal(signal.SIGUSR2, lambda _signum, _frame: yappi.clear_stats())


def _safe(uri: str) -> str:
    from kombu.utils.url import maybe_sanitize_url

    sanitized: str = maybe_sanitize_url(uri)
    return sanitized


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
