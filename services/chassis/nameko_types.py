"""nameko and kombu as the chassis sees them, with types: the libraries ship no annotations (mypy skips them,
pyproject.toml `follow_imports = "skip"`), so without this module every nameko object would be `Any`.

- Protocols for the objects nameko and kombu hand to our code (a worker's context, the service container, a
  received message): what we read from them, as nameko 2.14 and kombu 5 define it.
- The base classes the chassis extends (`DependencyProvider`, `QueueConsumer`, `EventHandler`, the AMQP
  `Publisher`), the `ServiceRunner` and the `rpc` decorator: at run time the libraries' own, imported from
  them; for the type checker the declarations below (signatures copied from nameko 2.14.1, the last release:
  they will not move).
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

ExcInfo = tuple[type[BaseException], BaseException, TracebackType]
_F = TypeVar("_F", bound=Callable[..., Any])


class Message(Protocol):
    """A received AMQP message (kombu.message.Message)."""

    body: Any  # bytes or str as received; what the publisher's serializer made of its payload
    headers: dict[str, Any]
    properties: dict[str, Any]
    delivery_info: dict[str, Any]
    content_type: str | None
    content_encoding: str | None
    channel: Any  # kombu's channel (untyped): only its `connection` is read, None once the connection is gone

    def ack(self) -> None: ...

    def requeue(self) -> None: ...

    def reject(self, requeue: bool = False) -> None: ...


class EntrypointRef(Protocol):
    """The entrypoint a worker runs for (only its method name is read)."""

    method_name: str


class WorkerContext(Protocol):
    """nameko.containers.WorkerContext: one worker's call."""

    data: dict[str, Any]  # context data: travels as `nameko.<key>` headers with every call and event it makes
    service_name: str
    entrypoint: EntrypointRef

    @property
    def call_id(self) -> str: ...


class GreenThread(Protocol):
    """eventlet.greenthread.GreenThread, as far as the chassis uses one."""

    def wait(self) -> Any: ...

    def kill(self, *throw_args: Any) -> None: ...


class ServiceContainer(Protocol):
    """nameko.containers.ServiceContainer: the process-wide side of a service."""

    config: dict[str, Any]
    service_name: str

    def spawn_managed_thread(
        self, fn: Callable[[], object], identifier: str | None = None
    ) -> GreenThread: ...

    def spawn_worker(
        self,
        entrypoint: object,
        args: tuple[object, ...],
        kwargs: dict[str, object],
        context_data: dict[str, Any] | None = None,
        handle_result: Callable[[WorkerContext, object, ExcInfo | None], tuple[object, ExcInfo | None]]
        | None = None,
    ) -> WorkerContext: ...


if TYPE_CHECKING:

    class Extension:
        container: ServiceContainer

        def setup(self) -> None: ...

        def start(self) -> None: ...

        def stop(self) -> None: ...

        def kill(self) -> None: ...

    class DependencyProvider(Extension):
        attr_name: str

        def get_dependency(self, worker_ctx: WorkerContext) -> object: ...

        def worker_setup(self, worker_ctx: WorkerContext) -> None: ...

        def worker_result(
            self, worker_ctx: WorkerContext, result: object = None, exc_info: ExcInfo | None = None
        ) -> None: ...

        def worker_teardown(self, worker_ctx: WorkerContext) -> None: ...

    class QueueConsumer(Extension):
        def get_consumers(self, consumer_cls: Callable[..., Any], channel: Any) -> list[Any]: ...

        def ack_message(self, message: Message) -> None: ...

        def requeue_message(self, message: Message) -> None: ...

    class Consumer(Extension):
        """nameko.messaging.Consumer: an entrypoint fed by a queue."""

        method_name: str
        queue: Any  # kombu.Queue (untyped)
        queue_consumer: QueueConsumer

        @classmethod
        def decorator(cls, *args: Any, **kwargs: Any) -> Callable[[_F], _F]: ...

        def handle_message(self, body: Any, message: Message) -> None: ...

        def handle_message_processed(
            self, message: Message, result: object = None, exc_info: ExcInfo | None = None
        ) -> None: ...

        def unpack_message_headers(self, message: Message) -> dict[str, Any]: ...

    class EventHandler(Consumer):
        def __init__(
            self,
            source_service: str,
            event_type: str,
            handler_type: str = ...,
            reliable_delivery: bool = True,
            requeue_on_error: bool = False,
            **kwargs: Any,
        ) -> None: ...

    class Publisher:
        """nameko.amqp.publish.Publisher: publishes to the broker (RPC requests and replies)."""

        use_confirms: bool
        delivery_mode: int

    class ServiceRunner:
        """nameko.runners.ServiceRunner: runs service containers in this process."""

        def __init__(self, config: dict[str, Any]) -> None: ...

        def add_service(self, cls: type) -> None: ...

        def start(self) -> None: ...

        def stop(self) -> None: ...

        def kill(self) -> None: ...

        def wait(self) -> None: ...

    def rpc(fn: _F) -> _F: ...

else:
    from nameko.amqp.publish import Publisher
    from nameko.events import EventHandler
    from nameko.extensions import DependencyProvider
    from nameko.messaging import Consumer, QueueConsumer
    from nameko.rpc import rpc
    from nameko.runners import ServiceRunner

__all__ = [
    "Consumer",
    "DependencyProvider",
    "EventHandler",
    "ExcInfo",
    "GreenThread",
    "Message",
    "Publisher",
    "QueueConsumer",
    "ServiceContainer",
    "ServiceRunner",
    "WorkerContext",
    "rpc",
]
