"""Properties of the domain rules over generated inputs (hypothesis): fees, the dossier state machine, dossier
codes. Deadlines have theirs in tests/unit/workflow/test_legal_time.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from services.chassis.config import REPO_ROOT
from services.intake.domain import codes
from services.payment.adapters.fees import load_schedules
from services.payment.domain.fees import assess
from services.workflow.adapters.datafiles import load_process
from services.workflow.domain.process import ActionRefused

SCHEDULES = load_schedules(REPO_ROOT / "services" / "payment" / "data" / "fees.yaml")
PROCESS = load_process(REPO_ROOT / "services" / "workflow" / "data" / "processes" / "standard.yaml")
CATEGORIES = sorted(
    {r["category"] for s in SCHEDULES.values() for r in s.get("reductions") or []} | {"other"}
)
FIELDS = sorted(
    {
        line.get(k)
        for s in SCHEDULES.values()
        for line in s["lines"]
        for k in ("quantity_field", "measure_field")
        if line.get(k)
    }
)
form_values = st.one_of(
    st.integers(-(10**6), 10**7), st.text(max_size=5), st.none(), st.floats(allow_nan=False), st.booleans()
)
forms = st.dictionaries(st.sampled_from(FIELDS or ["x"]), form_values, max_size=len(FIELDS) + 1)


@given(st.sampled_from(sorted(SCHEDULES)), forms, st.sets(st.sampled_from(CATEGORIES)))
def test_fees_are_whole_non_negative_vnd_and_reductions_never_add(key, form, categories):
    result = assess(SCHEDULES[key], form, categories)
    assert all(
        isinstance(v, int) and not isinstance(v, bool)
        for v in (result.subtotal, result.reduction, result.total)
    )
    assert result.subtotal == sum(line.amount for line in result.lines)
    assert 0 <= result.reduction <= result.subtotal and result.total == result.subtotal - result.reduction
    without = assess(SCHEDULES[key], form, set())
    assert result.total <= without.total  # being entitled to something never costs more


@given(
    st.sampled_from(sorted(SCHEDULES)),
    forms,
    st.sets(st.sampled_from(CATEGORIES)),
    st.sets(st.sampled_from(CATEGORIES)),
)
def test_more_entitlements_never_cost_more(key, form, some, more):
    assert assess(SCHEDULES[key], form, some | more).total <= assess(SCHEDULES[key], form, some).total


@given(st.sampled_from(sorted(SCHEDULES)), st.integers(0, 10**6), st.integers(0, 10**6))
def test_bigger_measures_and_quantities_never_cost_less(key, a, b):
    low, high = sorted((a, b))
    fields = FIELDS or ["x"]
    assert (
        assess(SCHEDULES[key], dict.fromkeys(fields, low), set()).total
        <= assess(SCHEDULES[key], dict.fromkeys(fields, high), set()).total
    )


ACTIONS = sorted(PROCESS.actions)
ROLES = sorted({r for a in PROCESS.actions.values() for r in a.roles} | {"citizen", "nobody"})


@settings(max_examples=300)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(ACTIONS),
            st.sets(st.sampled_from(ROLES), min_size=1),
            st.sampled_from(["", "Lý do"]),
            st.sampled_from([{}, {"to_agency": "X", "assignee": "h", "extra_days": 3}]),
        ),
        max_size=25,
    )
)
def test_no_action_sequence_leaves_the_defined_states_or_moves_a_finished_case(steps):
    state = PROCESS.initial
    for action, roles, reason, params in steps:
        before = state
        try:
            state = PROCESS.check(state, action, frozenset(roles), reason, params)
        except ActionRefused as refused:
            assert refused.code in {
                "unknown_action",
                "role_not_allowed",
                "not_allowed_in_state",
                "reason_required",
                "missing_params",
            }
            continue
        assert state in PROCESS.states
        assert before not in PROCESS.terminal  # nothing is accepted once a case is finished
        assert frozenset(roles) & PROCESS.actions[action].roles


def test_every_state_is_reachable_and_every_terminal_state_is_final():
    reached, frontier = {PROCESS.initial}, [PROCESS.initial]
    while frontier:
        state = frontier.pop()
        for action in PROCESS.actions.values():
            if state in action.sources:
                target = state if action.target == "same" else action.target
                if target not in reached:
                    reached.add(target)
                    frontier.append(target)
    assert reached == set(PROCESS.states)
    for terminal in PROCESS.terminal:
        assert not [a for a in PROCESS.actions.values() if terminal in a.sources and a.target != "same"]


agency_codes = st.from_regex(r"\A[A-Z0-9]{3}(\.[A-Z0-9]{2,3}){1,3}\Z")


@given(agency_codes, st.dates(date(2025, 1, 1), date(2099, 12, 31)), st.integers(1, 99_999))
def test_dossier_codes_are_well_formed_and_say_their_day(agency, day, sequence):
    code = codes.dossier_code(agency, day, sequence)
    assert codes.is_dossier_code(code)
    assert code.startswith(f"{agency}-{day:%y%m%d}-") and int(code.rsplit("-", 1)[1]) == sequence


@given(
    agency_codes,
    st.dates(date(2025, 1, 1), date(2099, 12, 31)),
    st.lists(st.integers(1, 9_999), min_size=2, max_size=30, unique=True),
)
def test_codes_of_one_agency_and_day_are_distinct_and_sort_by_sequence(agency, day, sequences):
    made = [codes.dossier_code(agency, day, n) for n in sequences]
    assert len(set(made)) == len(made)
    assert sorted(made) == [codes.dossier_code(agency, day, n) for n in sorted(sequences)]


@given(st.datetimes(datetime(2025, 1, 1), datetime(2030, 1, 1), timezones=st.just(timezone.utc)))
def test_the_legal_day_is_the_day_in_vietnam(moment):
    day = codes.legal_day(moment)
    assert day == (moment + timedelta(hours=7)).date()  # Asia/Ho_Chi_Minh has no daylight saving
