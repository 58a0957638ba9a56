"""What leaves the working set: the archive policy of the lead store.

A lead goes into the archive (see storage.py and files.py) once it is closed (no active
status) and nothing has happened to it for `idle` (default 2 days: no touch, no new
inquiry), together with all its touches. Two days keep today's and yesterday's closed
leads (the ones a rep may still undo or look at) in memory. Nothing is lost or changed by
it: the archive is read back the moment anything asks for an archived lead (by id, phone or
email), a report or an export wants every lead, or another process changes one. The header keeps the
archived leads' ids, phone numbers and email keys, and the touches' ids, so lookups and
new ids never need the archive itself.

`select` also says when it can next find anything (`quiet`, kept in the snapshot's archive
header), so that a compaction before then skips its pass over every closed lead's touches
(segments.Activity).

At 50,000 leads with most of them closed, this is what makes opening cost the leads a rep
can still act on rather than the whole history (issue 7).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from leadtui.domain.model import ACTIVE_STATUSES
from leadtui.store.files import Tree
from leadtui.store.index import LEADS, TOUCHES, email_key, iso, time_key

IDLE = timedelta(days=2)
#: Leads per archive segment: one segment is what a read of one archived lead parses
#: (about 1.5 MB of JSON), so `show` of an archived lead never reads the whole archive.
SEGMENT_LEADS = 2_000
_ACTIVE = frozenset(status.value for status in ACTIVE_STATUSES)

# lookups kept in the snapshot header (see `LeadArchiver.lookups`)
LEAD_IDS, PHONES, EMAILS, TOUCH_IDS = "lead_ids", "phones", "emails", "touch_ids"


def lead_needles(lead_id: str) -> list[bytes]:
    """Bytes that occur in a segment holding the lead's document or one of its touches
    (compact ASCII JSON, as `files.dumps` writes it); [] for an id JSON would escape."""
    spelled = json.dumps(lead_id, ensure_ascii=True)
    if spelled != f'"{lead_id}"' or "\\" in spelled:
        return []
    return [f'"id":{spelled}'.encode(), f'"lead_id":{spelled}'.encode()]


def value_needle(value: str) -> bytes:
    """Bytes that occur in a segment holding a document with the text `value` (a lead's
    number, one of its other numbers, its email) as JSON spells it."""
    return json.dumps(value, ensure_ascii=True).encode()


def _stamp(value: object) -> str | None:
    """A stored time as sortable text (`time_key`); None when it is not one."""
    try:
        return time_key(value)
    except (TypeError, ValueError):
        return None


class LeadArchiver:
    """The store's `Archiver`: closed leads idle for `idle`, with their touches."""

    def __init__(
        self,
        clock: Callable[[], datetime] | None = None,
        idle: timedelta = IDLE,
        segment_leads: int | None = None,
    ):
        self._clock = clock or (lambda: datetime.now(UTC))
        self.idle = idle
        self.segment_leads = segment_leads or SEGMENT_LEADS
        self.quiet = ""  # set by `select`

    def cutoff(self) -> str:
        """A lead whose last activity is before this (stored form) is idle enough."""
        return iso(self._clock() - self.idle)

    def select(self, tree: Tree) -> dict[str, list[str]]:
        """Closed leads idle since before `cutoff()`, with their touches. Also sets
        `quiet`: the earliest last activity (stored form) among the closed leads it leaves
        in the working set ("" for none): until the cutoff passes it, and nothing changes
        a lead, a compaction finds nothing new to move (see segments.Activity)."""
        cutoff = self.cutoff()
        leads, touches = tree.get(LEADS, {}), tree.get(TOUCHES, {})
        closed: dict[str, str] = {}  # lead id -> document key
        latest: dict[str, str] = {}  # a candidate's last activity so far
        quiet = ""
        for key, doc in leads.items():
            if doc.get("status", "new") in _ACTIVE:
                continue
            last = self._lead_stamp(doc)
            if last is None:
                continue  # (a time that is not one: never archived)
            if last < cutoff:
                closed[doc.get("id")] = key  # type: ignore[index]
                latest[doc.get("id")] = last  # type: ignore[index]
            elif not quiet or last < quiet:
                quiet = last
        if not closed:
            self.quiet = quiet
            return {}
        # one pass over the touches: those of the candidates (in table order), and which
        # candidates have a recent one
        theirs: list[tuple[str, str]] = []  # (touch key, lead id)
        never: set[str] = set()  # candidates with a touch whose time is not one
        for key, doc in touches.items():
            lead_id = doc.get("lead_id")
            if lead_id in closed:
                theirs.append((key, lead_id))
                stamp = _stamp(doc.get("at"))
                if stamp is None:
                    never.add(lead_id)
                elif stamp > latest[lead_id]:
                    latest[lead_id] = stamp
        for lead_id, last in latest.items():
            if lead_id in never or last >= cutoff:
                del closed[lead_id]
                if lead_id not in never and (not quiet or last < quiet):
                    quiet = last
        self.quiet = quiet
        if not closed:
            return {}
        return {
            LEADS: list(closed.values()),
            TOUCHES: [key for key, lead_id in theirs if lead_id in closed],
        }

    @staticmethod
    def _lead_stamp(doc: dict[str, Any]) -> str | None:
        """The last of a lead document's own times (arrival, inquiries); None when one is
        not a time."""
        last = _stamp(doc.get("received_at"))
        inquiries = doc.get("inquiries")
        if isinstance(inquiries, list):
            for value in inquiries:
                stamp = _stamp(value)
                if stamp is None or last is None:
                    return None
                last = max(last, stamp)
        return last

    def activity(self, table: str, doc: dict[str, Any]) -> tuple[str, str | None] | None:
        """(lead id, time) of the activity a put of `doc` into `table` records: a lead's
        last own time, a touch's time (None: not a time); None for other tables."""
        if table == LEADS:
            lead_id = doc.get("id")
            return (lead_id, self._lead_stamp(doc)) if isinstance(lead_id, str) else ("", None)
        if table == TOUCHES:
            lead_id = doc.get("lead_id")
            if not isinstance(lead_id, str):
                return "", None
            return lead_id, _stamp(doc.get("at"))
        return None

    def split(self, moved: Tree) -> list[Tree]:
        """Segments of at most `SEGMENT_LEADS` leads, each lead with its touches."""
        leads, touches = moved.get(LEADS, {}), moved.get(TOUCHES, {})
        if len(leads) <= self.segment_leads:
            return [moved]
        part_of: dict[str, int] = {}
        parts: list[Tree] = []
        for n, (key, doc) in enumerate(leads.items()):
            if n % self.segment_leads == 0:
                parts.append({LEADS: {}, TOUCHES: {}})
            parts[-1][LEADS][key] = doc
            part_of[str(doc.get("id"))] = len(parts) - 1
        for key, doc in touches.items():
            parts[part_of.get(str(doc.get("lead_id")), len(parts) - 1)][TOUCHES][key] = doc
        for name, docs in moved.items():  # any other table: with the last part
            if name not in (LEADS, TOUCHES):
                parts[-1][name] = docs
        return [{name: docs for name, docs in part.items() if docs} for part in parts]

    def needles(self, table: str, doc: dict[str, Any]) -> list[bytes]:
        """The lead's id as its document and its touches' documents spell it (for a lead,
        or any document that names one in `lead_id`: a touch, its next action)."""
        lead_id = doc.get("id") if table == LEADS else doc.get("lead_id")
        if not isinstance(lead_id, str):
            return []
        return lead_needles(lead_id)

    def lookups(self, docs: Tree) -> dict[str, list[str]]:
        leads = docs.get(LEADS, {}).values()
        return {
            LEAD_IDS: [str(doc.get("id")) for doc in leads],
            PHONES: [
                str(phone)
                for doc in leads
                for phone in (doc.get("phone"), *(doc.get("other_phones") or ()))
            ],
            EMAILS: [
                email_key(email)
                for doc in leads
                for email in (doc.get("email"), *(doc.get("other_emails") or ()))
                if email
            ],
            TOUCH_IDS: [str(doc.get("id")) for doc in docs.get(TOUCHES, {}).values()],
        }
