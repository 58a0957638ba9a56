"""The repository's in-memory indexes over the TinyDB tree, and document <-> model conversion.

The index listens to the storage (every change: own writes, other processes' writes caught
up from the journal, rollbacks, reloads) so it is never stale and never rebuilt per read:
leads by id, touches by lead (sorted by time, then insertion), phone -> lead, email -> lead,
the do-not-call numbers, claims and blitz records. Documents are turned into model objects
lazily and the result cached, so opening a large database does not build 200,000 Touches.
"""

from __future__ import annotations

import bisect
import gc
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leadtui.domain.model import Lead, LeadError, LeadStatus, Outcome, Touch
from leadtui.store.files import Tree, damaged, paused_gc

Doc = dict[str, Any]
LEADS, TOUCHES, DNC, CLAIMS, BLITZES, META = "leads", "touches", "dnc", "claims", "blitzes", "meta"


def utc(value: datetime, what: str = "time") -> datetime:
    """`value` in UTC; LeadError for a naive datetime."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise LeadError(f"the {what} must include a time zone")
    return value.astimezone(UTC)


def iso(value: datetime) -> str:
    """The stored form of a time: UTC ISO-8601 with microseconds (sorts as text)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"time without zone: {value!r}")
    return parsed.astimezone(UTC)


def email_key(email: str) -> str:
    return email.strip().casefold()


def lead_doc(lead: Lead) -> Doc:
    return {
        "id": lead.id,
        "name": lead.name,
        "phone": lead.phone,
        "email": lead.email,
        "source": lead.source,
        "timezone": lead.timezone,
        "received_at": iso(lead.received_at),
        "status": lead.status.value,
        "notes": lead.notes,
        "inquiries": [iso(at) for at in lead.inquiries],
    }


def lead_from_doc(doc: Doc) -> Lead:
    inquiries = doc.get("inquiries")
    return Lead(
        doc["id"],
        doc["name"],
        doc["phone"],
        doc.get("email", ""),
        doc.get("source", ""),
        doc["timezone"],
        _time(doc["received_at"]),
        _STATUSES[doc.get("status", "new")],
        doc.get("notes", ""),
        tuple(map(_time, inquiries)) if inquiries else (),
    )


def touch_doc(touch: Touch) -> Doc:
    """Only non-default optional fields are stored (200,000 touches stay small)."""
    doc: Doc = {
        "id": touch.id,
        "lead_id": touch.lead_id,
        "outcome": touch.outcome.value,
        "at": iso(touch.at),
    }
    if touch.note:
        doc["note"] = touch.note
    if touch.when is not None:
        doc["when"] = iso(touch.when)
    if touch.rep:
        doc["rep"] = touch.rep
    if touch.override_window:
        doc["override_window"] = True
    if touch.blitz_id is not None:
        doc["blitz_id"] = touch.blitz_id
    return doc


def touch_from_doc(doc: Doc) -> Touch:
    if len(doc) == 4:  # the usual touch: no note, no when, no rep (see touch_doc)
        return Touch(doc["id"], doc["lead_id"], _OUTCOMES[doc["outcome"]], _time(doc["at"]))
    when = doc.get("when")
    return Touch(
        doc["id"],
        doc["lead_id"],
        _OUTCOMES[doc["outcome"]],
        _time(doc["at"]),
        doc.get("note", ""),
        _time(when) if when is not None else None,
        doc.get("rep", ""),
        bool(doc.get("override_window", False)),
        doc.get("blitz_id"),
    )


_OUTCOMES = {outcome.value: outcome for outcome in Outcome}
_STATUSES = {status.value: status for status in LeadStatus}
_fromisoformat = datetime.fromisoformat


def _time(value: str) -> datetime:
    """parse_time, fast for the stored form (already UTC)."""
    parsed = _fromisoformat(value)
    if parsed.tzinfo is UTC:
        return parsed
    return parse_time(value)


def _time_key(value: Any) -> str:
    if isinstance(value, str) and len(value) == 32 and value.endswith("+00:00"):
        return value
    return iso(parse_time(value))


class Index:
    """Listener of `JournalStorage` that keeps the lookups the repository needs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.leads: dict[str, tuple[str, Doc]] = {}  # lead id -> (doc key, doc)
        self.by_phone: dict[str, str] = {}
        self.by_email: dict[str, str] = {}
        self.touch_order: dict[str, list[tuple[str, int]]] = {}  # lead id -> [(at, key)]
        self.touch_docs: dict[int, Doc] = {}
        self._touch_ids: dict[str, int] | None = None
        self.dnc: dict[str, str] = {}  # phone -> doc key
        self.claims: dict[str, Doc] = {}
        self.blitzes: dict[str, str] = {}  # record id -> doc key
        # converted objects; an entry goes whenever its document changes (see _forget)
        self._lead_cache: dict[str, Lead] = {}
        self._touch_cache: dict[int, Touch] = {}

    # --- listener ---------------------------------------------------------------------

    def reset(self, tree: Tree) -> None:
        self.__init__(self.path)  # type: ignore[misc]
        with paused_gc():
            for name in (LEADS, DNC, CLAIMS, BLITZES):
                for key, doc in tree.get(name, {}).items():
                    self.changed(name, key, None, doc)
            try:
                self._reset_touches(tree.get(TOUCHES, {}))
            except (KeyError, TypeError, ValueError, AttributeError):
                raise damaged(self.path, "unexpected content in table 'touches'") from None
        # The tree is long-lived: keep the cyclic GC from rescanning its millions of
        # objects on every full collection (a 300 ms pause at 50,000 leads). It holds no
        # reference cycles, so reference counting still frees it when it is replaced.
        gc.freeze()

    def _reset_touches(self, table: dict[str, Doc]) -> None:
        """The bulk form of `_learn` for touches (200,000 of them at open)."""
        order, docs = self.touch_order, self.touch_docs
        for key, doc in table.items():
            at = doc["at"]
            if len(at) != 32 or not at.endswith("+00:00"):
                at = _time_key(at)
            doc_id = int(key)
            docs[doc_id] = doc
            lead_id = doc["lead_id"]
            entries = order.get(lead_id)
            if entries is None:
                order[lead_id] = [(at, doc_id)]
            else:
                entries.append((at, doc_id))
        for entries in order.values():
            if len(entries) > 1:
                entries.sort()

    @property
    def touch_ids(self) -> dict[str, int]:
        """Touch id -> document id (built on first use: only new ids need it)."""
        if self._touch_ids is None:
            self._touch_ids = {doc["id"]: doc_id for doc_id, doc in self.touch_docs.items()}
        return self._touch_ids

    def changed(self, table: str, key: str, old: Doc | None, new: Doc | None) -> None:
        try:
            if old is not None:
                self._forget(table, key, old, keep_place=new is not None)
            if new is not None:
                self._learn(table, key, new)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise damaged(
                self.path, f"unexpected content in table {table!r}, entry {key}"
            ) from None

    def _learn(self, table: str, key: str, doc: Doc) -> None:
        if table == LEADS:
            lead_id, phone, email = doc["id"], doc["phone"], doc.get("email", "")
            if not isinstance(lead_id, str) or not isinstance(phone, str):
                raise TypeError(lead_id)
            self.leads[lead_id] = (key, doc)
            self.by_phone.setdefault(phone, lead_id)
            if email:
                self.by_email.setdefault(email_key(email), lead_id)
        elif table == TOUCHES:
            doc_id = int(key)
            entry = (_time_key(doc["at"]), doc_id)
            order = self.touch_order.setdefault(str(doc["lead_id"]), [])
            bisect.insort(order, entry)
            self.touch_docs[doc_id] = doc
            if self._touch_ids is not None:
                self._touch_ids[doc["id"]] = doc_id
        elif table == DNC:
            self.dnc.setdefault(doc["phone"], key)
        elif table == CLAIMS:
            self.claims[key] = doc
        elif table == BLITZES:
            self.blitzes[str(doc["id"])] = key

    def _forget(self, table: str, key: str, doc: Doc, keep_place: bool = False) -> None:
        if table == LEADS:
            lead_id = doc["id"]
            if not keep_place:  # an update keeps the lead's place in insertion order
                self.leads.pop(lead_id, None)
            self._lead_cache.pop(lead_id, None)
            if self.by_phone.get(doc["phone"]) == lead_id:
                del self.by_phone[doc["phone"]]
            email = email_key(doc.get("email", ""))
            if email and self.by_email.get(email) == lead_id:
                del self.by_email[email]
        elif table == TOUCHES:
            doc_id = int(key)
            order = self.touch_order.get(str(doc["lead_id"]), [])
            entry = (_time_key(doc["at"]), doc_id)
            at = bisect.bisect_left(order, entry)
            if at < len(order) and order[at] == entry:
                del order[at]
            self.touch_docs.pop(doc_id, None)
            self._touch_cache.pop(doc_id, None)
            if self._touch_ids is not None and self._touch_ids.get(doc["id"]) == doc_id:
                del self._touch_ids[doc["id"]]
        elif table == DNC:
            if self.dnc.get(doc["phone"]) == key:
                del self.dnc[doc["phone"]]
        elif table == CLAIMS:
            self.claims.pop(key, None)
        elif table == BLITZES:
            self.blitzes.pop(str(doc["id"]), None)

    # --- model objects ----------------------------------------------------------------

    def lead(self, lead_id: str) -> Lead | None:
        lead = self._lead_cache.get(lead_id)
        if lead is None:
            found = self.leads.get(lead_id)
            if found is None:
                return None
            lead = self._lead_cache[lead_id] = self._convert(lead_from_doc, found[1], LEADS)
        return lead

    def touch(self, doc_id: int) -> Touch:
        touch = self._touch_cache.get(doc_id)
        if touch is None:
            doc = self.touch_docs[doc_id]
            touch = self._touch_cache[doc_id] = self._convert(touch_from_doc, doc, TOUCHES)
        return touch

    def touches(self, lead_id: str) -> list[Touch]:
        return [self.touch(doc_id) for _, doc_id in self.touch_order.get(lead_id, ())]

    def touch_keys(self, lead_id: str) -> tuple[int, ...]:
        return tuple(doc_id for _, doc_id in self.touch_order.get(lead_id, ()))

    def _convert(self, convert: Any, doc: Doc, table: str) -> Any:
        try:
            return convert(doc)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise damaged(
                self.path, f"unexpected content in table {table!r}: {doc!r:.80}"
            ) from None


class TouchesByLead(Mapping[str, Sequence[Touch]]):
    """Every lead's touches, converted on first access. A frozen view: later writes do not
    show through (take a new one)."""

    def __init__(self, index: Index, keys: dict[str, tuple[int, ...]]) -> None:
        self._index = index
        self._keys = keys
        self._docs = {k: tuple(index.touch_docs[i] for i in ids) for k, ids in keys.items() if ids}
        self._done: dict[str, tuple[Touch, ...]] = {}

    def __getitem__(self, lead_id: str) -> Sequence[Touch]:
        done = self._done.get(lead_id)
        if done is not None:
            return done
        keys = self._keys[lead_id]
        docs = self._docs.get(lead_id, ())
        cache = self._index._touch_cache
        result = []
        enabled = gc.isenabled()
        gc.disable()  # see paused_gc
        try:
            for doc_id, doc in zip(keys, docs, strict=True):
                touch = cache.get(doc_id)
                if touch is None or touch.id != doc["id"]:  # (an id reused since)
                    touch = self._index._convert(touch_from_doc, doc, TOUCHES)
                    if self._index.touch_docs.get(doc_id) is doc:
                        cache[doc_id] = touch
                result.append(touch)
        finally:
            if enabled:
                gc.enable()
        done = self._done[lead_id] = tuple(result)
        return done

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, lead_id: object) -> bool:
        return lead_id in self._keys
