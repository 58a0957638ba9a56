"""The store builds Lead and Touch objects by filling their slots (fast path): they must
be exactly what the dataclass constructors build."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from leadtui.domain.model import Lead, LeadStatus, Outcome, Touch
from leadtui.store.index import (
    fast_models_match,
    lead_doc,
    lead_from_doc,
    touch_doc,
    touch_from_doc,
)

AT = datetime(2026, 3, 2, 15, 0, 30, 123456, tzinfo=UTC)

TOUCHES = [
    Touch("t1", "l1", Outcome.NO_ANSWER, AT),
    Touch("t2", "l1", Outcome.VM_MESSAGE, AT, rep="Sam"),
    Touch("t3", "l1", Outcome.CALLBACK, AT, "call after 5", AT, "Sam", True, "b1"),
    Touch("t4", "l1", Outcome.EMAIL, AT, note="sent the brochure", blitz_id="b2"),
]
LEADS = [
    Lead("l1", "Ann Lee", "+12125550100", "", "", "America/New_York", AT),
    Lead(
        "l2",
        "Bo Chen",
        "+442071234567",
        "bo@example.com",
        "web",
        "Europe/London",
        AT,
        LeadStatus.WON,
        "[x] notes",
        (AT, AT),
    ),  # fmt: skip
]


def test_the_slot_lists_match_the_models() -> None:
    assert fast_models_match()


@pytest.mark.parametrize("touch", TOUCHES, ids=lambda t: t.id)
def test_a_touch_read_back_is_the_same_object(touch: Touch) -> None:
    again = touch_from_doc(touch_doc(touch))
    assert again == touch and hash(again) == hash(touch) and repr(again) == repr(touch)
    assert type(again) is Touch
    with pytest.raises(dataclasses.FrozenInstanceError):
        again.note = "changed"  # type: ignore[misc]
    assert dataclasses.replace(again, note="x").note == "x"


@pytest.mark.parametrize("lead", LEADS, ids=lambda lead: lead.id)
def test_a_lead_read_back_is_the_same_object(lead: Lead) -> None:
    again = lead_from_doc(lead_doc(lead))
    assert again == lead and hash(again) == hash(lead) and repr(again) == repr(lead)
    with pytest.raises(dataclasses.FrozenInstanceError):
        again.name = "changed"  # type: ignore[misc]
    assert again.first_name == lead.first_name
