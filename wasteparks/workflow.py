"""Workflows: the one transition type every status machine of the platform is written in.

An enterprise's registration, a manifest, a monthly report and a warning each move through statuses.
Each app declares its machine once, as a `Workflow` over two `TextChoices`: its statuses and its
actions. The actions are also the `choices` of the app's event table (the column that records which
step was taken), so the label a page shows for an event is the label the refusal message uses.

    MANIFEST_FLOW = Workflow(
        subject=_("manifest"),
        statuses=ManifestStatus,
        transitions={
            ManifestAction.SUBMIT: Transition(sources={S.DRAFT}, target=S.SUBMITTED, actor=Party.CONSIGNOR),
            ...
        },
    )
    transition = MANIFEST_FLOW.check(action, manifest.status)  # raises TransitionNotAllowed

A refusal always reads the same way in every workflow, names the step and the current status in the
user's language, and lists the statuses the step needs.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from .errors import TransitionNotAllowed


@dataclass(frozen=True)
class Transition:
    """One step: from which statuses, to which status (None: the status stays), and who takes it.

    `actor` names the side that acts (a manifest party, "officer", "enterprise"); `roles` are the
    enterprise roles that may sign for that side, where roles matter; `reason_required` says the step
    is refused without a written reason. `verb` is the step as a verb ("submit", 提交) for the refusal
    message; without it the action's label (which names the event: "Submitted") is used.
    """

    sources: frozenset[str]
    target: str | None
    actor: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)
    reason_required: bool = False
    verb: Any = None

    def __init__(
        self,
        *,
        sources: Iterable[str],
        target: str | None,
        actor: str = "",
        roles: Iterable[str] = (),
        reason_required: bool = False,
        verb: Any = None,
    ) -> None:
        object.__setattr__(self, "sources", frozenset(sources))
        object.__setattr__(self, "target", target)
        object.__setattr__(self, "actor", actor)
        object.__setattr__(self, "roles", frozenset(roles))
        object.__setattr__(self, "reason_required", reason_required)
        object.__setattr__(self, "verb", verb)

    def allows(self, status: str) -> bool:
        return status in self.sources

    def target_from(self, status: str) -> str:
        return self.target if self.target is not None else status


class Workflow:
    """A status machine: which action moves a subject from which status to which, and the refusal."""

    def __init__(
        self,
        *,
        subject,
        statuses: type[models.TextChoices],
        actions: type[models.TextChoices],
        transitions: Mapping[str, Transition],
    ) -> None:
        unknown = set(transitions) - set(actions.values)
        if unknown:
            raise ValueError(f"transitions for undeclared actions: {sorted(unknown)}")
        for action, transition in transitions.items():
            bad = (transition.sources | {transition.target or next(iter(transition.sources))}) - set(statuses.values)
            if bad:
                raise ValueError(f"{action}: unknown statuses {sorted(bad)}")
        self.subject = subject
        self.statuses = statuses
        self.actions = actions
        self.transitions: dict[str, Transition] = dict(transitions)

    def __getitem__(self, action: str) -> Transition:
        return self.transitions[action]

    def __contains__(self, action: object) -> bool:
        return action in self.transitions

    def action_label(self, action: str) -> str:
        return str(self.actions(action).label) if action in self.actions.values else action

    def status_label(self, status: str) -> str:
        return str(self.statuses(status).label) if status in self.statuses.values else status

    def available(self, status: str) -> list[str]:
        """The actions whose step starts from `status`, in declaration order."""
        return [action for action, transition in self.transitions.items() if transition.allows(status)]

    def refusal(self, action: str, status: str) -> TransitionNotAllowed:
        """The one refusal message for a step the current status does not allow."""
        transition = self.transitions[action]
        needed = sorted(transition.sources, key=list(self.statuses.values).index)
        return TransitionNotAllowed(
            _("Cannot %(action)s: this %(subject)s is “%(status)s”; it needs to be “%(needed)s”.")
            % {
                "action": transition.verb or self.action_label(action),
                "subject": self.subject,
                "status": self.status_label(status),
                "needed": _("” or “").join(self.status_label(s) for s in needed),
            },
            fields={"status": [self.status_label(status)]},
        )

    def check(self, action: str, status: str) -> Transition:
        """The transition for `action` from `status`, or TransitionNotAllowed with the refusal message."""
        transition = self.transitions[action]
        if not transition.allows(status):
            raise self.refusal(action, status)
        return transition
