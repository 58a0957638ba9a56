"""`Touch.dialed_at` on both backends: stored with the call, read back by another process,
and exported (`db copy` reads it the same way)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from leadtui.domain.model import LeadDraft, Outcome
from leadtui.io.export import touch_to_dict

T0 = datetime(2027, 6, 14, 13, 5, tzinfo=UTC)


@pytest.fixture
def two(backend):
    return backend.open(), backend.open()


def test_dialed_at_is_stored_and_read_back_by_another_process(two) -> None:
    a, b = two
    draft = LeadDraft("Ilse Brandt", "+4930555077", "", "fair", "Europe/Berlin", T0)
    (added,) = a.add_leads([draft], T0)
    dialed = T0 + timedelta(minutes=3, seconds=7)
    call = a.log_touch(added.lead.id, Outcome.NO_ANSWER, dialed + timedelta(seconds=41),
                       rep="Ana", dialed_at=dialed)  # fmt: skip
    plain = a.log_touch(added.lead.id, Outcome.VM_HANGUP, T0 + timedelta(hours=2), rep="Ana")
    assert call.dialed_at == dialed and plain.dialed_at is None
    first, second = b.touches(added.lead.id)
    assert first.dialed_at == dialed and second.dialed_at is None
    assert touch_to_dict(first)["dialed_at"] == "2027-06-14T13:08:07+00:00"
