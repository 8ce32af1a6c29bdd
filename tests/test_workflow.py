"""The one transition type: every workflow refuses the same way and knows its actions' labels."""

import pytest
from django.db import models
from django.utils import translation

from wasteparks.errors import TransitionNotAllowed
from wasteparks.workflow import Transition, Workflow


class DoorStatus(models.TextChoices):
    OPEN = "open", "Open"
    SHUT = "shut", "Shut"
    LOCKED = "locked", "Locked"


class DoorAction(models.TextChoices):
    SHUT = "shut", "Shut the door"
    LOCK = "lock", "Lock the door"
    KNOCK = "knock", "Knock"


DOOR = Workflow(
    subject="door",
    statuses=DoorStatus,
    actions=DoorAction,
    transitions={
        DoorAction.SHUT: Transition(sources={DoorStatus.OPEN}, target=DoorStatus.SHUT, actor="keeper"),
        DoorAction.LOCK: Transition(
            sources={DoorStatus.SHUT}, target=DoorStatus.LOCKED, actor="keeper", verb="lock the door"
        ),
        DoorAction.KNOCK: Transition(sources={DoorStatus.SHUT, DoorStatus.LOCKED}, target=None),
    },
)


def test_an_allowed_step_gives_its_transition():
    assert DOOR.check(DoorAction.LOCK, DoorStatus.SHUT).target == DoorStatus.LOCKED


def test_a_step_that_keeps_the_status_targets_the_current_one():
    assert DOOR.check(DoorAction.KNOCK, DoorStatus.LOCKED).target_from(DoorStatus.LOCKED) == DoorStatus.LOCKED


def test_a_refused_step_names_the_action_the_status_and_what_it_needs():
    with translation.override("en"), pytest.raises(TransitionNotAllowed) as refused:
        DOOR.check(DoorAction.LOCK, DoorStatus.OPEN)
    assert refused.value.message == "Cannot lock the door: this door is “Open”; it needs to be “Shut”."
    assert refused.value.http_status == 409


def test_without_a_verb_the_refusal_names_the_actions_label():
    with translation.override("en"), pytest.raises(TransitionNotAllowed) as refused:
        DOOR.check(DoorAction.SHUT, DoorStatus.LOCKED)
    assert refused.value.message == "Cannot Shut the door: this door is “Locked”; it needs to be “Open”."


def test_available_lists_the_steps_from_a_status_in_declaration_order():
    assert DOOR.available(DoorStatus.SHUT) == [DoorAction.LOCK, DoorAction.KNOCK]
    assert DOOR.available(DoorStatus.OPEN) == [DoorAction.SHUT]


def test_a_transition_for_an_undeclared_action_is_a_programming_error():
    with pytest.raises(ValueError):
        Workflow(
            subject="door",
            statuses=DoorStatus,
            actions=DoorAction,
            transitions={"paint": Transition(sources={DoorStatus.OPEN}, target=DoorStatus.OPEN)},
        )


def test_a_transition_to_an_unknown_status_is_a_programming_error():
    with pytest.raises(ValueError):
        Workflow(
            subject="door",
            statuses=DoorStatus,
            actions=DoorAction,
            transitions={DoorAction.SHUT: Transition(sources={DoorStatus.OPEN}, target="ajar")},
        )
