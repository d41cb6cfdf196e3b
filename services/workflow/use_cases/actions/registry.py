"""Which handler applies an action's side effects: one per action name, registered by the module of that action
(`@handles("transfer")`); an action without one gets the generic effects its definition declares (clock.apply).
Handlers run after the action was checked against the process definition (role, state, reason, parameters) and
before the case is written; `@after(name)` functions run once the action is logged and its event recorded."""

from __future__ import annotations

from collections.abc import Callable

from services.workflow.use_cases.actions import clock
from services.workflow.use_cases.actions.context import ActionContext

Effect = Callable[[ActionContext], None]
_HANDLERS: dict[str, Effect] = {}
_AFTER: dict[str, Effect] = {}


def handles(action: str) -> Callable[[Effect], Effect]:
    """Register the handler of `action` (once: two handlers for one action is a mistake, refused at import)."""

    def register(handler: Effect) -> Effect:
        if action in _HANDLERS:
            raise ValueError(f"two handlers for action {action!r}")
        _HANDLERS[action] = handler
        return handler

    return register


def after(action: str) -> Callable[[Effect], Effect]:
    """Register what `action` does once it is logged and its status event recorded (e.g. issue the result)."""

    def register(effect: Effect) -> Effect:
        if action in _AFTER:
            raise ValueError(f"two after-effects for action {action!r}")
        _AFTER[action] = effect
        return effect

    return register


def handler_for(action: str) -> Effect:
    return _HANDLERS.get(action, clock.apply)


def after_effect_for(action: str) -> Effect | None:
    return _AFTER.get(action)


def registered() -> frozenset[str]:
    """The actions with a handler of their own."""
    return frozenset(_HANDLERS)
