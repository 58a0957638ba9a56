"""Worker messages are dataclasses; the flood-prone ones collapse to the newest."""

from __future__ import annotations

from datetime import UTC, datetime

from leadtui.service.gateway import empty_snapshot
from leadtui.tui.messages import ClaimDone, RefreshFailed, SnapshotReady, StoreChanged

AT = datetime(2027, 1, 9, 7, 15, tzinfo=UTC)


def test_fields_are_set_and_the_message_is_ready_to_post() -> None:
    done = ClaimDone("L42", AT)
    assert (done.lead_id, done.at) == ("L42", AT)
    assert not done.is_forwarded and done.time > 0  # Message.__post_init__ ran


def test_only_the_flood_prone_messages_replace_their_own_kind() -> None:
    first, second = SnapshotReady(empty_snapshot(AT)), SnapshotReady(empty_snapshot(AT))
    assert second.can_replace(first)
    assert StoreChanged().can_replace(StoreChanged())
    assert RefreshFailed("disk gone").can_replace(RefreshFailed("earlier"))
    assert not RefreshFailed("disk gone").can_replace(StoreChanged())
    assert not ClaimDone(None, AT).can_replace(ClaimDone(None, AT))
