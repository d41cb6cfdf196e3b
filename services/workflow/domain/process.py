"""Process definitions: states, actions and the roles allowed to take them, parsed from plain data and validated.

Pure: the caller reads the file (services/workflow/adapters/datafiles.py) and hands over its content with the name
of its source. A definition is refused, naming the source and the problem, unless every state is reachable from
the initial one, the terminal states exist and lead nowhere, every non-terminal state has a way out, and every
action names its roles and existing states.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ROLE_KINDS = {"officer", "citizen", "system"}
# What an action may do to the legal clock; the use cases apply each (services/workflow/use_cases/actions/clock.py).
CLOCK_EFFECTS = {None, "start", "stop", "resume", "extend", "finish"}
PARAMS = {"assignee", "to_agency", "budget_days", "extra_days"}
REQUIRED = ("name", "initial", "terminal", "states", "roles", "actions")

Label = dict[str, str]


class ProcessError(ValueError):
    def __init__(self, source: object, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.path = source
        self.problem = problem


class ActionRefused(Exception):
    """An action cannot be taken now or by this actor; `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Action:
    name: str
    sources: tuple[str, ...]
    target: str  # a state, or "same"
    roles: frozenset[str]
    reason_required: bool
    params: tuple[str, ...]
    clock: str | None
    label: Label  # {vi, en}


@dataclass(frozen=True)
class ProcessDefinition:
    name: str
    initial: str
    terminal: frozenset[str]
    states: dict[str, dict[str, str]]
    actions: dict[str, Action]
    roles: dict[str, dict[str, str]]  # role -> {vi, en, kind}
    records: dict[str, Label]  # history entries that are not actions -> {vi, en}

    def officer_roles(self) -> frozenset[str]:
        return frozenset(r for r, role in self.roles.items() if role["kind"] == "officer")

    def people_actions(self) -> frozenset[str]:
        """The actions an officer or the applicant may ask for; the others are the platform's own (routing)."""
        people = {r for r, role in self.roles.items() if role["kind"] != "system"}
        return frozenset(a.name for a in self.actions.values() if a.roles & people)

    def vocabulary(self) -> dict[str, Any]:
        """What the pages and the API need to name and offer this process's states, actions and roles."""
        return {
            "name": self.name,
            "initial": self.initial,
            "terminal": sorted(self.terminal),
            "statuses": {
                k: {"vi": v.get("vi", k), "en": v.get("en", v.get("vi", k))} for k, v in self.states.items()
            },
            "actions": {
                a.name: {
                    "label": a.label,
                    "roles": sorted(a.roles),
                    "reason": a.reason_required,
                    "params": list(a.params),
                    "from": list(a.sources),
                    "to": a.target,
                    "clock": a.clock,
                }
                for a in self.actions.values()
            },
            "roles": {k: dict(v) for k, v in self.roles.items()},
            "records": {k: dict(v) for k, v in self.records.items()},
        }

    def check(
        self, state: str, action_name: str, roles: frozenset[str], reason: str, params: Mapping[str, object]
    ) -> str:
        """The state after `action_name`, or ActionRefused saying why not."""
        action = self.actions.get(action_name)
        if action is None:
            raise ActionRefused("unknown_action", f"Thao tác {action_name!r} không tồn tại.")
        if not roles & action.roles:
            raise ActionRefused(
                "role_not_allowed",
                f"Vai trò của bạn không được thực hiện {action_name} "
                f"(cần: {', '.join(sorted(action.roles))}).",
            )
        if state not in action.sources:
            raise ActionRefused(
                "not_allowed_in_state",
                f"Không thể thực hiện {action_name} khi hồ sơ ở trạng thái {self.label(state)}.",
            )
        if action.reason_required and not (reason or "").strip():
            raise ActionRefused("reason_required", f"Thao tác {action_name} cần nêu lý do.")
        missing = [p for p in action.params if params.get(p) in (None, "")]
        if missing:
            raise ActionRefused("missing_params", f"Thiếu thông tin: {', '.join(missing)}.")
        return state if action.target == "same" else action.target

    def allowed(self, state: str, roles: frozenset[str]) -> list[str]:
        return [a.name for a in self.actions.values() if state in a.sources and roles & a.roles]

    def requirements(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """What each named action needs from whoever takes it: a reason, and which parameters."""
        return {
            n: {"reason": self.actions[n].reason_required, "params": list(self.actions[n].params)}
            for n in names
            if n in self.actions
        }

    def label(self, state: str) -> str:
        return self.states.get(state, {}).get("vi", state)


def parse_process(data: Any, source: str) -> ProcessDefinition:
    """The definition in `data` (a file's parsed content); ProcessError naming `source` and the problem."""
    if not isinstance(data, dict):
        raise ProcessError(source, "top level must be a mapping")
    for key in REQUIRED:
        if key not in data:
            raise ProcessError(source, f"'{key}' is required")
    states, terminal = _states(source, data)
    roles = _roles(source, data["roles"])
    records = {str(k): _label(source, f"record {k}", v) for k, v in (data.get("records") or {}).items()}
    actions = {
        str(name): _action(source, str(name), raw, states, terminal, roles)
        for name, raw in (data["actions"] or {}).items()
    }
    _check_graph(source, str(data["initial"]), states, terminal, actions)
    return ProcessDefinition(
        str(data["name"]), str(data["initial"]), terminal, states, actions, roles, records
    )


def _states(source: str, data: dict[str, Any]) -> tuple[dict[str, dict[str, str]], frozenset[str]]:
    states = data["states"]
    if not isinstance(states, dict) or not states:
        raise ProcessError(source, "'states' must be a non-empty mapping")
    if data["initial"] not in states:
        raise ProcessError(source, f"initial state {data['initial']!r} is not among the states")
    terminal = frozenset(str(s) for s in data["terminal"] or [])
    if not terminal:
        raise ProcessError(source, "no terminal states")
    for state in sorted(terminal - set(states)):
        raise ProcessError(source, f"terminal state {state!r} is not among the states")
    return {str(k): dict(v or {}) for k, v in states.items()}, terminal


def _action(
    source: str,
    name: str,
    raw: Any,
    states: dict[str, dict[str, str]],
    terminal: frozenset[str],
    declared: dict[str, dict[str, str]],
) -> Action:
    if not isinstance(raw, dict):
        raise ProcessError(source, f"action {name}: must be a mapping")
    roles = raw.get("roles") or []
    if not roles:
        raise ProcessError(source, f"action {name}: has no role")
    unknown_roles = set(roles) - set(declared)
    if unknown_roles:
        raise ProcessError(source, f"action {name}: unknown roles {sorted(unknown_roles)}")
    sources = tuple(str(s) for s in raw.get("from") or [])
    if not sources:
        raise ProcessError(source, f"action {name}: 'from' is empty")
    for state in sources:
        if state not in states:
            raise ProcessError(source, f"action {name}: from-state {state!r} does not exist")
        if state in terminal:
            raise ProcessError(source, f"action {name}: leaves terminal state {state!r}")
    target = raw.get("to")
    if target != "same" and target not in states:
        raise ProcessError(source, f"action {name}: to-state {target!r} does not exist")
    if raw.get("clock") not in CLOCK_EFFECTS:
        raise ProcessError(source, f"action {name}: clock must be one of start, stop, resume, extend, finish")
    params = tuple(str(p) for p in raw.get("params") or [])
    if set(params) - PARAMS:
        raise ProcessError(source, f"action {name}: unknown params {sorted(set(params) - PARAMS)}")
    return Action(
        name,
        sources,
        str(target),
        frozenset(str(r) for r in roles),
        raw.get("reason") == "required",
        params,
        raw.get("clock"),
        _label(source, f"action {name}", raw.get("label")),
    )


def _check_graph(
    source: str,
    initial: str,
    states: dict[str, dict[str, str]],
    terminal: frozenset[str],
    actions: dict[str, Action],
) -> None:
    """Every state reachable from the initial one; every state that is not terminal has a way out."""
    reachable, frontier = {initial}, [initial]
    while frontier:
        state = frontier.pop()
        for action in actions.values():
            nxt = state if action.target == "same" else action.target
            if state in action.sources and nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    unreachable = sorted(set(states) - reachable)
    if unreachable:
        raise ProcessError(source, f"states not reachable from {initial!r}: {', '.join(unreachable)}")
    for state in sorted(set(states) - terminal):
        if not any(state in a.sources for a in actions.values()):
            raise ProcessError(source, f"state {state!r} is not terminal but has no action out of it")


def _label(source: str, what: str, raw: Any) -> Label:
    if not isinstance(raw, dict) or not str(raw.get("vi") or "").strip():
        raise ProcessError(source, f"{what}: label {{vi, en}} is required (vi at least)")
    return {"vi": str(raw["vi"]), "en": str(raw.get("en") or raw["vi"])}


def _roles(source: str, raw: Any) -> dict[str, dict[str, str]]:
    if not isinstance(raw, dict) or not raw:
        raise ProcessError(source, "'roles' must be a non-empty mapping of role: {vi, en, kind}")
    roles = {}
    for code, role in raw.items():
        kind = role.get("kind") if isinstance(role, dict) else None
        if kind not in ROLE_KINDS:
            raise ProcessError(source, f"role {code}: kind must be one of {', '.join(sorted(ROLE_KINDS))}")
        roles[str(code)] = {**_label(source, f"role {code}", role), "kind": str(kind)}
    return roles
