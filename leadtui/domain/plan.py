"""The rest of a lead's plan, as a forecast (what `leadtui plan` and the lead pane show),
and the touches its cadence replays.

Each remaining step is assumed done at the first moment it may really happen
(`window.next_moment`: an overdue call waits for the window's opening, a callback past its
grace too) and to reach voicemail, leaving the message when one is due. So the plan made
while the window is shut equals the plan made when it opens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from leadtui.domain.cadence import Cadence, next_action
from leadtui.domain.model import Channel, Lead, Message, NextAction, Outcome, Touch
from leadtui.domain.window import CallingWindow, next_moment

__all__ = ["current_touches", "plan"]


def current_touches(lead: Lead, touches: Sequence[Touch]) -> list[Touch]:
    """The touches the cadence replays: those since the inquiry that reopened the lead."""
    restart = lead.reopened_at
    if restart is None:
        return list(touches)
    return [t for t in touches if t.at >= restart]


def plan(
    lead: Lead,
    touches: Sequence[Touch],
    cadence: Cadence,
    window: CallingWindow,
    now: datetime,
) -> list[NextAction]:
    """The rest of the plan from `now`: each remaining step is assumed done at the first
    moment it may really happen (`next_moment`: an overdue call waits for the window's
    opening) and to reach voicemail, leaving the message when it has one. So the plan made
    while the window is shut equals the plan made when it opens."""
    simulated = list(touches)
    steps: list[NextAction] = []
    limit = len(cadence.steps) + cadence.follow_up.max_attempts + 2
    for n in range(limit):
        action = next_action(lead, simulated, cadence, window)
        if action is None:
            break
        start = max(now, simulated[-1].at) if simulated else now
        at = next_moment(action, lead, window, start).astimezone(UTC)
        steps.append(action if at == action.due_at else replace(action, due_at=at))
        if action.channel is Channel.EMAIL:
            outcome = Outcome.EMAIL
        elif action.channel is Channel.TEXT:
            outcome = Outcome.TEXT
        elif action.message is Message.NONE:
            outcome = Outcome.VM_HANGUP
        else:
            outcome = Outcome.VM_MESSAGE
        simulated.append(Touch(id=f"plan-{n}", lead_id=lead.id, outcome=outcome, at=at))
    return steps
