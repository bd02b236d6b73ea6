"""The delay call against a real database, on every backend (issue 4)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from callcenter import bootstrap, watch
from callcenter.clock import ManualClock
from callcenter.domain import AlertKind, Case, DelayReason, OwnerNotice, Role
from callcenter.errors import ConcurrencyConflict, PermissionDenied, ValidationError
from callcenter.services import Checklist, Services
from callcenter.services.delays import DelayCalls, DelayPrompt
from callcenter.settings import Settings
from tests.factories import add_crew, intake

SAFE = Checklist(hazard_lights=True, warning_sign=True, night_lights=True)


@pytest.fixture
def delays(container: bootstrap.Container) -> DelayCalls:
    return DelayCalls.from_services(container.services, renotify_minutes=5)


@pytest.fixture
def other(
    container: bootstrap.Container, settings: Settings, clock: ManualClock
) -> Iterator[bootstrap.Container]:
    """A second operator's session: another user, another engine, the same database."""
    container.services.ensure_staff("nina", "王娜", Role.OPERATOR)
    second = bootstrap.build(replace(settings, user="nina"), clock=clock)
    yield second
    second.close()


def _sweep(container: bootstrap.Container) -> watch.SweepResult:
    return watch.sweep(
        container.uow,
        container.clock,
        tz=container.settings.tz,
        at_risk=timedelta(minutes=10),
        policies=watch.policy_lookup(None),
    )


def _late_case(container: bootstrap.Container, clock: ManualClock, **crew: object) -> Case:
    """A case dispatched to a crew, 31 min after the call: its arrival is at risk."""
    services: Services = container.services
    crew_row = add_crew(services, code="救援3组", **crew)
    case = services.dispatch(services.take_call(intake()).id, crew_row.id)
    services.en_route(case.id)
    clock.advance(timedelta(minutes=31))
    assert [r.kind for r in _sweep(container).raised] == [AlertKind.ARRIVAL_AT_RISK]
    return services.case(case.id)


def _only_prompt(delays: DelayCalls) -> DelayPrompt:
    prompts = delays.open_prompts()
    assert len(prompts) == 1
    return prompts[0]


def test_an_arrival_at_risk_prompts_with_what_the_call_needs(
    container: bootstrap.Container, clock: ManualClock, delays: DelayCalls
) -> None:
    # The scene has no coordinates: 8 km from the depot; the crew is 20.8 km (by road 27)
    # from the depot: 35 km at 40 km/h is 53 min, with the promise 9 min away.
    case = _late_case(container, clock, lat=22.55 + 0.18, lon=114.06)
    prompt = _only_prompt(delays)
    assert prompt.kind is AlertKind.ARRIVAL_AT_RISK and prompt.case_id == case.id
    assert prompt.case_number == case.number and prompt.plate == "粤B12345"
    assert prompt.owner_phone == "138 1234 5678" and prompt.owner_name == "张伟"
    assert prompt.crew_code == "救援3组" and prompt.deadline == case.promised_arrival_at
    assert prompt.expected_arrival is not None
    assert 42 <= prompt.late_minutes <= 46
    assert prompt.message == (
        f"Call the owner of 粤B12345 (138 1234 5678): crew 救援3组 will be about "
        f"{prompt.late_minutes} min late"
    )
    assert not prompt.is_claimed


def test_without_a_crew_position_lateness_counts_from_the_promise(
    container: bootstrap.Container, clock: ManualClock, delays: DelayCalls
) -> None:
    _late_case(container, clock, lat=None, lon=None)
    assert _only_prompt(delays).late_minutes == 0
    assert _only_prompt(delays).message.endswith("crew 救援3组 may be late")
    clock.advance(timedelta(minutes=24))  # 15 min past the promise
    _sweep(container)
    prompt = _only_prompt(delays)
    assert prompt.kind is AlertKind.ARRIVAL_LATE and prompt.late_minutes == 15


def test_a_claim_shows_in_another_session_and_a_second_claim_is_refused(
    container: bootstrap.Container,
    other: bootstrap.Container,
    clock: ManualClock,
    delays: DelayCalls,
) -> None:
    _late_case(container, clock)
    theirs = DelayCalls.from_services(other.services)
    seen = _only_prompt(theirs)
    claimed = delays.claim(seen.alert_id, seen.alert_version)
    assert claimed.claimed_by == "tester" and claimed.claimed_at == clock.now()
    after = _only_prompt(theirs)
    assert after.claimed_by == "tester" and after.claimed_by_other("nina")
    with pytest.raises(ConcurrencyConflict) as refused:
        theirs.claim(seen.alert_id, seen.alert_version)
    assert refused.value.changed_by == "tester"
    assert refused.value.changed_at == clock.now()
    assert "tester" in str(refused.value) and "23:01" in str(refused.value)
    with pytest.raises(ConcurrencyConflict, match="tester"):
        theirs.release_claim(seen.alert_id)
    assert delays.claim(seen.alert_id).claimed_by == "tester"  # own claim again: harmless
    released = delays.release_claim(seen.alert_id)
    assert released.claimed_by is None
    assert theirs.claim(seen.alert_id, released.version).claimed_by == "nina"
    forced = delays.release_claim(seen.alert_id, force=True)  # e.g. a supervisor
    assert forced.claimed_by is None


def test_a_stale_prompt_cannot_be_claimed(
    container: bootstrap.Container,
    other: bootstrap.Container,
    clock: ManualClock,
    delays: DelayCalls,
) -> None:
    _late_case(container, clock)
    theirs = DelayCalls.from_services(other.services)
    seen = _only_prompt(theirs)
    delays.release_claim(delays.claim(seen.alert_id).id)  # claimed and given back meanwhile
    with pytest.raises(ConcurrencyConflict, match="changed meanwhile"):
        theirs.claim(seen.alert_id, seen.alert_version)
    fresh = _only_prompt(theirs)
    assert theirs.claim(fresh.alert_id, fresh.alert_version).claimed_by == "nina"


def test_force_majeure_extends_the_promise_and_keeps_the_original(
    container: bootstrap.Container, clock: ManualClock, delays: DelayCalls
) -> None:
    case = _late_case(container, clock)
    promised = case.promised_arrival_at
    assert promised is not None
    prompt = _only_prompt(delays)
    alert = delays.claim(prompt.alert_id, prompt.alert_version)
    new_eta = promised + timedelta(minutes=25)
    result = delays.record_delay_call(
        alert.id,
        reached=True,
        reason=DelayReason.TRAFFIC_JAM,
        new_eta=new_eta,
        version=alert.version,
    )
    assert result.extended
    assert result.case.promised_arrival_at == new_eta
    assert result.case.original_promised_at == promised
    assert result.case.owner_notified_at == clock.now()
    assert result.alert.resolved_by == "tester" and result.alert.outcome == watch.OUTCOME_OWNER_TOLD
    stored = container.services.case(case.id)
    assert stored.promised_arrival_at == new_eta and stored.original_promised_at == promised
    events = [
        e
        for e in container.services.timeline(case.id)
        if e.kind in ("delay_call", "deadline_extended")
    ]
    assert [(e.kind, e.actor, e.at) for e in events] == [
        ("delay_call", "tester", clock.now()),
        ("deadline_extended", "tester", clock.now()),
    ]
    call = events[0].details
    assert call["reached"] is True and call["reason"] == "traffic_jam"
    assert call["late_minutes"] == 25 and call["new_eta"] == new_eta.isoformat()
    assert events[1].details["previous"] == promised.isoformat()
    assert delays.open_prompts() == []
    assert delays.notices([stored]) == {case.id: OwnerNotice.NOT_NEEDED}  # on time again
    clock.advance(timedelta(minutes=25))  # 9 min before the new promise
    raised = _sweep(container).raised
    assert [(r.kind, r.alert.deadline) for r in raised] == [(AlertKind.ARRIVAL_AT_RISK, new_eta)]
    assert _only_prompt(delays).deadline == new_eta  # a new prompt for the new promise


def test_an_extension_just_agreed_is_not_prompted_again_within_renotify(
    container: bootstrap.Container, clock: ManualClock, delays: DelayCalls
) -> None:
    """Issue 15.5: the owner agreed to a new time only minutes away (inside the at-risk
    window): the next sweep finds the new promise at risk by the same rule as any promise,
    but nobody is asked to phone the owner again until ``renotify`` after the call."""
    case = _late_case(container, clock)
    promised = case.promised_arrival_at
    assert promised is not None
    prompt = _only_prompt(delays)
    clock.advance(promised - clock.now() - timedelta(minutes=2))  # 2 min before the promise
    new_eta = clock.now() + timedelta(minutes=8)  # the crew is 8 min away: 6 min past it
    assert new_eta > promised
    result = delays.record_delay_call(
        prompt.alert_id, reached=True, reason=DelayReason.TRAFFIC_JAM, new_eta=new_eta
    )
    assert result.extended and result.case.promised_arrival_at == new_eta
    clock.advance(timedelta(seconds=20))  # the next sweep, seconds later
    raised = _sweep(container).raised
    assert [(r.kind, r.alert.deadline) for r in raised] == [(AlertKind.ARRIVAL_AT_RISK, new_eta)]
    stored = container.services.case(case.id)
    assert delays.open_prompts() == [], "the owner was told a moment ago"
    assert delays.notices([stored]) == {case.id: OwnerNotice.TOLD}
    clock.advance(timedelta(minutes=4, seconds=39))  # 4:59 after the call
    _sweep(container)
    assert delays.open_prompts() == []
    clock.advance(timedelta(seconds=1))  # renotify is over: at risk like any promise
    again = _only_prompt(delays)
    assert again.deadline == new_eta and again.kind is AlertKind.ARRIVAL_AT_RISK
    assert delays.notices([stored]) == {case.id: OwnerNotice.DUE}


def test_an_extension_far_away_is_prompted_when_its_window_opens(
    container: bootstrap.Container, clock: ManualClock, delays: DelayCalls
) -> None:
    """An agreed promise 40 min away is at risk 10 min before it, as any promise."""
    _late_case(container, clock)
    prompt = _only_prompt(delays)
    new_eta = clock.now() + timedelta(minutes=40)
    delays.record_delay_call(
        prompt.alert_id, reached=True, reason=DelayReason.ROAD_WORKS, new_eta=new_eta
    )
    clock.advance(timedelta(minutes=29))
    assert _sweep(container).raised == ()
    assert delays.open_prompts() == []
    clock.advance(timedelta(minutes=1))
    assert [r.kind for r in _sweep(container).raised] == [AlertKind.ARRIVAL_AT_RISK]
    assert _only_prompt(delays).deadline == new_eta


def test_another_reason_keeps_the_case_late_and_the_owner_told(
    container: bootstrap.Container, clock: ManualClock, delays: DelayCalls
) -> None:
    case = _late_case(container, clock)
    promised = case.promised_arrival_at
    assert promised is not None
    prompt = _only_prompt(delays)
    result = delays.record_delay_call(
        prompt.alert_id,
        reached=True,
        reason=DelayReason.CREW_BREAKDOWN,
        new_eta=promised + timedelta(minutes=30),
    )
    assert not result.extended
    stored = container.services.case(case.id)
    assert stored.promised_arrival_at == promised and stored.owner_notified_at == clock.now()
    assert delays.notices([stored]) == {case.id: OwnerNotice.TOLD}
    clock.advance(timedelta(minutes=15))  # now late against the promise that stands
    late = [r for r in _sweep(container).raised if r.kind is AlertKind.ARRIVAL_LATE]
    assert len(late) == 1 and late[0].alert.outcome == watch.OUTCOME_ALREADY_TOLD
    assert delays.open_prompts() == [], "the owner already knows: no second call"
    assert delays.notices([stored]) == {case.id: OwnerNotice.TOLD}


def test_an_owner_not_reached_is_prompted_again_after_5_minutes(
    container: bootstrap.Container, clock: ManualClock, delays: DelayCalls
) -> None:
    case = _late_case(container, clock)
    prompt = _only_prompt(delays)
    delays.claim(prompt.alert_id)
    assert delays.notices([case]) == {case.id: OwnerNotice.CALLING}
    result = delays.record_delay_call(prompt.alert_id, reached=False, reason=DelayReason.ROAD_WORKS)
    assert result.alert.claimed_by is None and result.alert.resolved_at is None
    assert result.alert.snooze_until == clock.now() + timedelta(minutes=5)
    assert container.services.case(case.id).owner_notified_at is None
    assert delays.open_prompts() == []
    assert delays.notices([case]) == {case.id: OwnerNotice.NOT_REACHED}
    clock.advance(timedelta(minutes=4, seconds=59))
    assert delays.open_prompts() == []
    clock.advance(timedelta(seconds=1))
    again = _only_prompt(delays)
    assert again.alert_id == prompt.alert_id and again.claimed_by is None
    assert delays.notices([case]) == {case.id: OwnerNotice.DUE}
    calls = [e for e in container.services.timeline(case.id) if e.kind == "delay_call"]
    assert len(calls) == 1 and calls[0].details["reached"] is False


def test_the_renotify_delay_is_configurable_and_covers_a_later_alert(
    container: bootstrap.Container, clock: ManualClock
) -> None:
    delays = DelayCalls.from_services(container.services, renotify_minutes=15)
    _late_case(container, clock)
    prompt = _only_prompt(delays)
    delays.record_delay_call(prompt.alert_id, reached=False, reason=DelayReason.WEATHER)
    clock.advance(timedelta(minutes=10))  # the promise passed meanwhile
    assert [r.kind for r in _sweep(container).raised] == [AlertKind.ARRIVAL_LATE]
    assert delays.open_prompts() == [], "the case waits for its renotify time"
    clock.advance(timedelta(minutes=5))
    again = _only_prompt(delays)
    assert again.kind is AlertKind.ARRIVAL_LATE and again.late_minutes >= 6


def test_the_call_form_is_validated_field_by_field(
    container: bootstrap.Container, clock: ManualClock, delays: DelayCalls
) -> None:
    _late_case(container, clock)
    prompt = _only_prompt(delays)
    soon = clock.now() + timedelta(minutes=20)
    cases = [
        (
            dict(reached=True, reason=DelayReason.OTHER, reason_text="  ", new_eta=soon),
            "reason_text",
            "Describe the reason for the delay.",
        ),
        (
            dict(reached=True, reason=DelayReason.TRAFFIC_JAM),
            "new_eta",
            "Enter the new expected arrival time told to the owner.",
        ),
        (
            dict(reached=True, reason=DelayReason.ACCIDENT, new_eta=clock.now()),
            "new_eta",
            "The new expected arrival must be later than now.",
        ),
        (
            dict(reached=False, reason=DelayReason.ACCIDENT, new_eta=clock.now() - timedelta(1)),
            "new_eta",
            "The new expected arrival must be later than now.",
        ),
        (
            dict(reached=True, reason=DelayReason.ACCIDENT, new_eta=soon + timedelta(days=2)),
            "new_eta",
            "The new expected arrival must be within 24 hours.",
        ),
        (
            dict(reached=True, reason=DelayReason.OTHER, reason_text="x" * 501, new_eta=soon),
            "reason_text",
            "At most 500 characters.",
        ),
    ]
    for kwargs, field, message in cases:
        with pytest.raises(ValidationError) as wrong:
            delays.record_delay_call(prompt.alert_id, **kwargs)  # type: ignore[arg-type]
        assert (wrong.value.field, wrong.value.message) == (field, message)
    assert _only_prompt(delays).alert_version == prompt.alert_version, "nothing was written"
    ok = delays.record_delay_call(
        prompt.alert_id,
        reached=True,
        reason=DelayReason.OTHER,
        reason_text=" 车主改约 ",
        new_eta=soon,
    )
    calls = [e for e in container.services.timeline(ok.case.id) if e.kind == "delay_call"]
    assert calls[0].details["reason_text"] == "车主改约"


def test_a_call_already_handled_elsewhere_is_refused_with_who(
    container: bootstrap.Container,
    other: bootstrap.Container,
    clock: ManualClock,
    delays: DelayCalls,
) -> None:
    _late_case(container, clock)
    prompt = _only_prompt(delays)
    theirs = DelayCalls.from_services(other.services)
    theirs.record_delay_call(
        prompt.alert_id,
        reached=True,
        reason=DelayReason.WEATHER,
        new_eta=clock.now() + timedelta(minutes=30),
    )
    # Named as a person (王娜), as case conflicts name who changed the case.
    with pytest.raises(ConcurrencyConflict, match="already handled by 王娜") as refused:
        delays.record_delay_call(
            prompt.alert_id,
            reached=True,
            reason=DelayReason.WEATHER,
            new_eta=clock.now() + timedelta(minutes=30),
            version=prompt.alert_version,
        )
    assert refused.value.changed_by == "王娜"


def test_crew_on_scene_ends_the_prompt(
    container: bootstrap.Container, clock: ManualClock, delays: DelayCalls
) -> None:
    case = _late_case(container, clock)
    container.services.arrive(case.id, SAFE)
    assert delays.open_prompts() == []
    assert delays.notices([container.services.case(case.id)]) == {case.id: OwnerNotice.NOT_NEEDED}
    result = _sweep(container)
    assert result.closed == 1  # the sweep closes the alert nobody needs any more


def test_a_read_only_board_cannot_take_calls(
    container: bootstrap.Container, clock: ManualClock, settings: Settings
) -> None:
    _late_case(container, clock)
    board = bootstrap.build(settings, clock=clock, read_only=True)
    try:
        delays = DelayCalls.from_services(board.services)
        prompt = _only_prompt(delays)  # it sees the prompt ...
        with pytest.raises(PermissionDenied):  # ... but cannot take it
            delays.claim(prompt.alert_id)
    finally:
        board.close()


def test_notice_labels_are_translated() -> None:
    assert OwnerNotice.TOLD.label == "Owner told"
    assert {n.label for n in OwnerNotice} and len({n.label for n in OwnerNotice}) == 5


def test_the_delay_call_is_audited_with_who_made_it(
    container: bootstrap.Container, clock: ManualClock, delays: DelayCalls
) -> None:
    case = _late_case(container, clock)
    prompt = _only_prompt(delays)
    alert = delays.claim(prompt.alert_id, prompt.alert_version)
    assert case.promised_arrival_at is not None
    delays.record_delay_call(
        alert.id,
        reached=True,
        reason=DelayReason.ROAD_WORKS,
        new_eta=case.promised_arrival_at + timedelta(minutes=10),
        version=alert.version,
    )
    with container.uow(write=False) as uow:
        rows = uow.audit.recent(limit=100, actor="tester")
    actions = [(row.action, row.entity, row.entity_id, row.allowed) for row in rows]
    assert ("claim_alert", "alert", alert.id, True) in actions
    assert ("notify_delay", "alert", alert.id, True) in actions


def test_the_cases_for_owner_notices_are_read_by_the_same_rule_as_the_board_applies(
    container: bootstrap.Container, clock: ManualClock, delays: DelayCalls
) -> None:
    """The delay desk reads only the cases whose owner may need a call (one query), and the
    query agrees with the board's rule (notice_candidates) on every kind."""
    from screens.desk import notice_candidates

    services: Services = container.services
    at_risk = timedelta(minutes=10)
    extended = _late_case(container, clock)  # at risk, then extended: on track again
    prompt = _only_prompt(delays)
    alert = delays.claim(prompt.alert_id, prompt.alert_version)
    assert extended.promised_arrival_at is not None
    delays.record_delay_call(
        alert.id,
        reached=True,
        reason=DelayReason.TRAFFIC_JAM,
        new_eta=extended.promised_arrival_at + timedelta(minutes=40),
        version=alert.version,
    )
    at_risk_case = services.take_call(intake(plate="粤B22222", phone="13922223333"))
    clock.advance(timedelta(minutes=31))  # the new call is 9 min from its 40-min promise
    far = services.take_call(intake(plate="粤B33333", phone="13933334444"))
    crew = add_crew(services, code="救援8组")
    on_scene = services.dispatch(
        services.take_call(intake(plate="粤B44444", phone="13944445555")).id, crew.id
    )
    services.arrive(on_scene.id, SAFE)
    now = clock.now()

    found = {c.id for c in services.cases_for_notice(now, at_risk)}

    assert found == {extended.id, at_risk_case.id}
    assert found == {c.id for c in notice_candidates(services.open_cases(), now, at_risk)}
    assert far.id not in found
