"""Process definitions: states, actions and the roles allowed to take them, loaded from data and validated.

A definition is refused at load, naming the file and the problem, unless every state is reachable from the
initial one, the terminal states exist and lead nowhere, every non-terminal state has a way out, and every
action names its roles and existing states.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

ROLE_KINDS = {"officer", "citizen", "system"}
CLOCK_EFFECTS = {None, "start", "stop", "resume", "extend", "finish"}
PARAMS = {"assignee", "to_agency", "budget_days", "extra_days"}


class ProcessError(ValueError):
    def __init__(self, path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class ActionRefused(Exception):
    """An action cannot be taken now or by this actor; `code` is stable."""

    def __init__(self, code: str, message: str):
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
    label: dict  # {vi, en}


@dataclass(frozen=True)
class ProcessDefinition:
    name: str
    initial: str
    terminal: frozenset[str]
    states: dict[str, dict]
    actions: dict[str, Action]
    roles: dict[str, dict]  # role -> {vi, en, kind}
    records: dict[str, dict]  # history entries that are not actions -> {vi, en}

    def officer_roles(self) -> frozenset[str]:
        return frozenset(r for r, role in self.roles.items() if role["kind"] == "officer")

    def vocabulary(self) -> dict:
        """What the pages and the API need to name and offer this process's states, actions and roles."""
        return {
            "name": self.name, "initial": self.initial, "terminal": sorted(self.terminal),
            "statuses": {k: {"vi": v.get("vi", k), "en": v.get("en", v.get("vi", k))} for k, v in self.states.items()},
            "actions": {a.name: {"label": a.label, "roles": sorted(a.roles), "reason": a.reason_required,
                                 "params": list(a.params), "from": list(a.sources), "to": a.target}
                        for a in self.actions.values()},
            "roles": {k: dict(v) for k, v in self.roles.items()},
            "records": {k: dict(v) for k, v in self.records.items()},
        }

    def check(self, state: str, action_name: str, roles: frozenset[str], reason: str, params: dict) -> str:
        """The state after `action_name`, or ActionRefused saying why not."""
        action = self.actions.get(action_name)
        if action is None:
            raise ActionRefused("unknown_action", f"Thao tác {action_name!r} không tồn tại.")
        if not roles & action.roles:
            raise ActionRefused("role_not_allowed",
                                f"Vai trò của bạn không được thực hiện {action_name} (cần: {', '.join(sorted(action.roles))}).")
        if state not in action.sources:
            raise ActionRefused("not_allowed_in_state",
                                f"Không thể thực hiện {action_name} khi hồ sơ ở trạng thái {self.label(state)}.")
        if action.reason_required and not (reason or "").strip():
            raise ActionRefused("reason_required", f"Thao tác {action_name} cần nêu lý do.")
        missing = [p for p in action.params if params.get(p) in (None, "")]
        if missing:
            raise ActionRefused("missing_params", f"Thiếu thông tin: {', '.join(missing)}.")
        return state if action.target == "same" else action.target

    def allowed(self, state: str, roles: frozenset[str]) -> list[str]:
        return [a.name for a in self.actions.values() if state in a.sources and roles & a.roles]

    def requirements(self, names: list[str]) -> dict[str, dict]:
        """What each named action needs from whoever takes it: a reason, and which parameters."""
        return {n: {"reason": self.actions[n].reason_required, "params": list(self.actions[n].params)}
                for n in names if n in self.actions}

    def label(self, state: str) -> str:
        return self.states.get(state, {}).get("vi", state)


def load_process(path: Path) -> ProcessDefinition:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProcessError(path, "file not found") from None
    except yaml.YAMLError as exc:
        raise ProcessError(path, f"not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ProcessError(path, "top level must be a mapping")
    for key in ("name", "initial", "terminal", "states", "roles", "actions"):
        if key not in data:
            raise ProcessError(path, f"'{key}' is required")
    states = data["states"]
    if not isinstance(states, dict) or not states:
        raise ProcessError(path, "'states' must be a non-empty mapping")
    if data["initial"] not in states:
        raise ProcessError(path, f"initial state {data['initial']!r} is not among the states")
    terminal = frozenset(data["terminal"] or [])
    if not terminal:
        raise ProcessError(path, "no terminal states")
    for state in terminal - set(states):
        raise ProcessError(path, f"terminal state {state!r} is not among the states")
    declared = _roles(path, data["roles"])
    records = {str(k): _label(path, f"record {k}", v) for k, v in (data.get("records") or {}).items()}
    actions: dict[str, Action] = {}
    for name, raw in (data["actions"] or {}).items():
        if not isinstance(raw, dict):
            raise ProcessError(path, f"action {name}: must be a mapping")
        roles = raw.get("roles") or []
        if not roles:
            raise ProcessError(path, f"action {name}: has no role")
        unknown_roles = set(roles) - set(declared)
        if unknown_roles:
            raise ProcessError(path, f"action {name}: unknown roles {sorted(unknown_roles)}")
        sources = tuple(raw.get("from") or [])
        if not sources:
            raise ProcessError(path, f"action {name}: 'from' is empty")
        for state in sources:
            if state not in states:
                raise ProcessError(path, f"action {name}: from-state {state!r} does not exist")
            if state in terminal:
                raise ProcessError(path, f"action {name}: leaves terminal state {state!r}")
        target = raw.get("to")
        if target != "same" and target not in states:
            raise ProcessError(path, f"action {name}: to-state {target!r} does not exist")
        if raw.get("clock") not in CLOCK_EFFECTS:
            raise ProcessError(path, f"action {name}: clock must be one of start, stop, resume, extend, finish")
        params = tuple(raw.get("params") or [])
        if set(params) - PARAMS:
            raise ProcessError(path, f"action {name}: unknown params {sorted(set(params) - PARAMS)}")
        actions[name] = Action(name, sources, target, frozenset(roles), raw.get("reason") == "required", params,
                               raw.get("clock"), _label(path, f"action {name}", raw.get("label")))
    # Every state reachable from the initial state.
    reachable, frontier = {data["initial"]}, [data["initial"]]
    while frontier:
        state = frontier.pop()
        for action in actions.values():
            if state in action.sources:
                nxt = state if action.target == "same" else action.target
                if nxt not in reachable:
                    reachable.add(nxt)
                    frontier.append(nxt)
    unreachable = sorted(set(states) - reachable)
    if unreachable:
        raise ProcessError(path, f"states not reachable from {data['initial']!r}: {', '.join(unreachable)}")
    for state in set(states) - terminal:
        if not any(state in a.sources for a in actions.values()):
            raise ProcessError(path, f"state {state!r} is not terminal but has no action out of it")
    return ProcessDefinition(str(data["name"]), data["initial"], terminal, states, actions, declared, records)


def _label(path, what: str, raw) -> dict:
    if not isinstance(raw, dict) or not str(raw.get("vi") or "").strip():
        raise ProcessError(path, f"{what}: label {{vi, en}} is required (vi at least)")
    return {"vi": str(raw["vi"]), "en": str(raw.get("en") or raw["vi"])}


def _roles(path, raw) -> dict[str, dict]:
    if not isinstance(raw, dict) or not raw:
        raise ProcessError(path, "'roles' must be a non-empty mapping of role: {vi, en, kind}")
    roles = {}
    for code, role in raw.items():
        kind = role.get("kind") if isinstance(role, dict) else None
        if kind not in ROLE_KINDS:
            raise ProcessError(path, f"role {code}: kind must be one of {', '.join(sorted(ROLE_KINDS))}")
        roles[str(code)] = {**_label(path, f"role {code}", role), "kind": kind}
    return roles
