"""Property tests of the consent projection: folding equals rebuilding, and the latest event wins."""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privault.core.consent import (
    ConsentEvent,
    Entry,
    State,
    apply,
    dump_state,
    load_state,
    project,
    topic,
)

TOPICS = [
    ("purpose", "surveys"),
    ("purpose", "marketing-sms"),
    ("cookie", "statistics"),
    ("marketing", "*:*"),
    ("marketing", "bluewave-mobile:email"),
    ("objection", "marketing"),
    ("restriction", "*"),
]
SUBJECTS = [1, 2, 3]
VISITORS = ["v" * 16, "w" * 16, "x" * 20]
METHODS = ["accept", "reject", "form", "gpc", "agent", "notice"]
AT = st.integers(min_value=0, max_value=40)  # a narrow range: ties and back-dated events are common


# Who an event is written for: a subject, a visitor, or both (never neither).
HOLDERS = [
    *((s, None) for s in SUBJECTS),
    *((None, v) for v in VISITORS),
    *((s, v) for s in SUBJECTS for v in VISITORS),
]
GAP = st.integers(min_value=1, max_value=3)  # ids strictly increase, with gaps
PLAIN = st.tuples(
    GAP,
    AT,
    st.sampled_from(HOLDERS),
    st.sampled_from(TOPICS),
    st.booleans(),
    st.sampled_from(METHODS),
)
LINK = st.tuples(
    GAP,
    AT,
    st.sampled_from([(s, v) for s in SUBJECTS for v in VISITORS]),
    st.just(("link", "")),
    st.just(True),
    st.just("accept"),
)


def ledger(links: bool = True) -> st.SearchStrategy[list[ConsentEvent]]:
    """Events with strictly increasing ids and timestamps in any order (often back-dated)."""
    raw = st.one_of(PLAIN, PLAIN, PLAIN, LINK) if links else PLAIN  # about one link in four
    return st.lists(raw, max_size=20).map(_number)


def _number(raws: list) -> list[ConsentEvent]:
    """Give the drawn events their ids."""
    events, next_id = [], 0
    for gap, at, (subject, visitor), (kind, scope), granted, method in raws:
        next_id += gap
        events.append(ConsentEvent(next_id, at, subject, visitor, kind, scope, granted, method))
    return events


def fold(events: list[ConsentEvent]) -> dict[str, State]:
    """What the services do: apply each event, one at a time, in the order given."""
    states: dict[str, State] = {}
    for event in events:
        apply(states, event)
    return states


def non_empty(states: dict[str, State]) -> dict[str, State]:
    """Holders with at least one topic (a link may create an empty subject state)."""
    return {h: s for h, s in states.items() if s}


def entry_of(event: ConsentEvent) -> Entry:
    """The state entry an event becomes when it wins its topic."""
    return Entry(event.granted, event.at_us, event.id, event.method)


def expected_states(events: list[ConsentEvent]) -> dict[str, State]:
    """Per holder and topic, the reaching event with the greatest (at_us, id), computed directly.

    An event reaches its subject and its visitor. Through a link (subject s, visitor v), every event
    that reached v with a smaller id than the link also reaches s.
    """
    reached: dict[str, list[ConsentEvent]] = {}
    plain = [e for e in events if e.kind != "link"]
    for event in plain:
        if event.subject_id is not None:
            reached.setdefault(f"s:{event.subject_id}", []).append(event)
        if event.visitor is not None:
            reached.setdefault(f"v:{event.visitor}", []).append(event)
    for link in (e for e in events if e.kind == "link"):
        reached.setdefault(f"s:{link.subject_id}", []).extend(
            e for e in plain if e.visitor == link.visitor and e.id < link.id
        )
    expected: dict[str, State] = {}
    for name, found in reached.items():
        best: dict[str, ConsentEvent] = {}
        for event in found:
            key = topic(event.kind, event.scope)
            if key not in best or (event.at_us, event.id) > (best[key].at_us, best[key].id):
                best[key] = event
        if best:
            expected[name] = {key: entry_of(event) for key, event in best.items()}
    return expected


@settings(max_examples=200)
@given(ledger(), st.randoms(use_true_random=False))
def test_folding_equals_rebuilding_from_the_ledger(
    events: list[ConsentEvent], rnd: random.Random
) -> None:
    """Applying events one at a time gives project(ledger), whatever order the ledger is read in."""
    folded = fold(events)
    assert folded == project(events)
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert project(shuffled) == folded


@settings(max_examples=200)
@given(ledger(links=False), st.randoms(use_true_random=False))
def test_without_links_the_fold_order_does_not_matter(
    events: list[ConsentEvent], rnd: random.Random
) -> None:
    """Without links, folding the events in any order (late, back-dated) gives the same states."""
    shuffled = list(events)
    rnd.shuffle(shuffled)
    assert fold(shuffled) == project(events)


@settings(max_examples=200)
@given(ledger(links=False))
def test_each_topic_holds_the_latest_event_that_reached_the_holder(
    events: list[ConsentEvent],
) -> None:
    """Without links, each holder's topic holds the reaching event with the greatest (at_us, id)."""
    assert non_empty(project(events)) == expected_states(events)


@settings(max_examples=200)
@given(ledger())
def test_links_carry_the_visitors_earlier_events_to_the_subject(events: list[ConsentEvent]) -> None:
    """With links, a subject also holds what its linked visitors had when each link was made."""
    assert non_empty(project(events)) == expected_states(events)


ENTRIES = st.builds(
    Entry,
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.integers(min_value=0, max_value=2**63),
    st.text(max_size=12),
)


@settings(max_examples=200)
@given(st.dictionaries(st.text(max_size=20), ENTRIES, max_size=8))
def test_dump_and_load_round_trip_any_state(state: State) -> None:
    """load_state(dump_state(s)) == s, and dumping again gives the same canonical text."""
    text = dump_state(state)
    assert load_state(text) == state
    assert dump_state(load_state(text)) == text


@settings(max_examples=200)
@given(ledger())
def test_projected_states_survive_storage(events: list[ConsentEvent]) -> None:
    """Every projected state round-trips through dump_state/load_state."""
    for state in project(events).values():
        assert load_state(dump_state(state)) == state


def test_loading_nothing_is_the_empty_state() -> None:
    """No stored text (None or '') is the empty state, and the empty state dumps to '{}'."""
    assert load_state(None) == {}
    assert load_state("") == {}
    assert dump_state({}) == "{}"


_FAST_TOPICS = [
    ("purpose", "marketing-sms"),
    ("purpose", "marketing-email"),
    ("marketing", "bluewave-mobile:sms"),
    ("marketing", "tidal-prepaid:email"),
    ("marketing", "*:*"),
    ("objection", "marketing"),
    ("restriction", "*"),
    ("restriction", "billing"),
    ("cpni", "*"),
    ("limit_spi", "*"),
    ("parental", "marketing-sms"),
    ("special", "vulnerability-support:user.health_and_medical"),
    ("cookie", "preference"),
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    picks=st.lists(
        st.tuples(
            st.sampled_from(_FAST_TOPICS),
            st.booleans(),
            st.sampled_from(["agent", "notice", "gpc"]),
        ),
        max_size=4,
    ),
    purpose=st.sampled_from(
        [
            "marketing-sms",
            "marketing-email",
            "customer-service",
            "billing",
            "cpni-marketing",
            "vulnerability-support",
        ]
    ),
    brand=st.sampled_from([None, "bluewave-mobile", "tidal-prepaid"]),
    minor=st.booleans(),
)
def test_the_fast_path_gives_the_full_evaluation(manifest, picks, purpose, brand, minor) -> None:
    """A plan's precomputed default answer equals the full rules whenever it is used."""
    from dataclasses import replace

    from privault.core.decisions import Facts, evaluate
    from privault.core.manifest.resolve import tenant_view
    from privault.core.plans import compile_plan

    plan = compile_plan(tenant_view(manifest, "bluewave"), purpose, (), brand)
    state = {}
    for index, ((kind, scope), granted, method) in enumerate(picks, start=1):
        state[f"{kind}:{scope}"] = Entry(granted, index * 1000, index, method)
    facts = Facts(True, minor, state)
    assert evaluate(plan, facts, 10**15) == evaluate(replace(plan, default=None), facts, 10**15)
