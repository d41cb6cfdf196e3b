"""The registry of action handlers (services/workflow/use_cases/actions/): each handler belongs to an action the
process definitions name, each action without one gets the generic effects its definition declares."""

from __future__ import annotations

import pytest

from services.workflow.adapters.datafiles import load_processes
from services.workflow.dependencies import DATA_DIR
from services.workflow.use_cases.actions import clock, registry

PROCESSES = load_processes(DATA_DIR / "processes")
DEFINED = {name for process in PROCESSES.values() for name in process.actions}


def test_every_handler_is_for_an_action_a_process_defines():
    assert registry.registered() == {"receive", "transfer", "assign", "return_result"}
    assert registry.registered() <= DEFINED


def test_an_action_without_a_handler_of_its_own_gets_the_generic_effects():
    for name in DEFINED - registry.registered():
        assert registry.handler_for(name) is clock.apply
    assert (
        registry.after_effect_for("return_result") is not None
        and registry.after_effect_for("approve") is None
    )


def test_every_clock_effect_a_definition_declares_has_its_implementation():
    declared = {a.clock for p in PROCESSES.values() for a in p.actions.values()} - {None}
    assert declared <= set(clock.EFFECTS)


def test_a_second_handler_for_one_action_is_refused():
    with pytest.raises(ValueError, match="two handlers"):
        registry.handles("transfer")(lambda ctx: None)
