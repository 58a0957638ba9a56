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
import itertools
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leadtui.domain.model import Lead, LeadError, LeadStatus, Outcome, Touch
from leadtui.domain.records import lead_record
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
    """The stored form of a lead (`domain.records`, times as `iso`); issue 11's fields only
    when set, so older databases and small leads look the same."""
    return lead_record(lead, iso, sparse=True)


def _texts(value: Any) -> tuple[str, ...]:
    if not value:
        return ()
    if not isinstance(value, list) or not all(type(item) is str for item in value):
        raise TypeError("expected a list of text")
    return tuple(value)


def lead_from_doc(doc: Doc) -> Lead:
    inquiries = doc.get("inquiries")
    reopened = doc.get("reopened_at")
    return _lead(
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
        _texts(doc.get("other_phones")),
        _texts(doc.get("other_emails")),
        _texts(doc.get("zone_candidates")),
        _time(reopened) if reopened is not None else None,
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
    if touch.dialed_at is not None:
        doc["dialed_at"] = iso(touch.dialed_at)
    return doc


def touch_from_doc(doc: Doc) -> Touch:
    when = doc.get("when")
    dialed = doc.get("dialed_at")
    return _touch(
        doc["id"],
        doc["lead_id"],
        _OUTCOMES[doc["outcome"]],
        _time(doc["at"]),
        doc.get("note", ""),
        _time(when) if when is not None else None,
        doc.get("rep", ""),
        bool(doc.get("override_window", False)),
        doc.get("blitz_id"),
        _time(dialed) if dialed is not None else None,
    )


# Lead and Touch are frozen dataclasses: their generated __init__ sets every field through
# object.__setattr__, 1.2-2 µs for a Touch. The store builds tens of thousands at once (the
# first queue at 50,000 leads converts 23,000 touches; a report 200,000), so it fills their
# slots directly (0.6 µs): the same objects, equal, hashable and still frozen. There is no
# __post_init__ to skip; `fast_models_match()` and a unit test keep the field lists honest.
_new = object.__new__
_TOUCH_FIELDS = ("id", "lead_id", "outcome", "at", "note", "when", "rep", "override_window",
                 "blitz_id", "dialed_at")  # fmt: skip
_LEAD_FIELDS = ("id", "name", "phone", "email", "source", "timezone", "received_at", "status",
                "notes", "inquiries", "other_phones", "other_emails", "zone_candidates",
                "reopened_at")  # fmt: skip
(_t_id, _t_lead, _t_outcome, _t_at, _t_note, _t_when, _t_rep, _t_override, _t_blitz,
 _t_dialed) = (
    getattr(Touch, name).__set__ for name in _TOUCH_FIELDS
)
(_l_id, _l_name, _l_phone, _l_email, _l_source, _l_tz, _l_received, _l_status, _l_notes,
 _l_inquiries, _l_phones, _l_emails, _l_zones, _l_reopened) = (
    getattr(Lead, name).__set__ for name in _LEAD_FIELDS
)  # fmt: skip


def fast_models_match() -> bool:
    """True while the slot lists above are exactly Touch's and Lead's fields, in order."""
    return (
        tuple(f.name for f in fields(Touch)) == _TOUCH_FIELDS
        and tuple(f.name for f in fields(Lead)) == _LEAD_FIELDS
        and not hasattr(Touch, "__post_init__")
        and not hasattr(Lead, "__post_init__")
    )


def _touch(*values: Any) -> Touch:
    touch = _new(Touch)
    (id_, lead_id, outcome, at, note, when, rep, override, blitz_id, dialed_at) = values
    _t_id(touch, id_)
    _t_lead(touch, lead_id)
    _t_outcome(touch, outcome)
    _t_at(touch, at)
    _t_note(touch, note)
    _t_when(touch, when)
    _t_rep(touch, rep)
    _t_override(touch, override)
    _t_blitz(touch, blitz_id)
    _t_dialed(touch, dialed_at)
    return touch


def _lead(*values: Any) -> Lead:
    lead = _new(Lead)
    (id_, name, phone, email, source, tz, received, status, notes, inquiries, phones, emails,
     zones, reopened) = values  # fmt: skip
    _l_id(lead, id_)
    _l_name(lead, name)
    _l_phone(lead, phone)
    _l_email(lead, email)
    _l_source(lead, source)
    _l_tz(lead, tz)
    _l_received(lead, received)
    _l_status(lead, status)
    _l_notes(lead, notes)
    _l_inquiries(lead, inquiries)
    _l_phones(lead, phones)
    _l_emails(lead, emails)
    _l_zones(lead, zones)
    _l_reopened(lead, reopened)
    return lead


if not fast_models_match():  # pragma: no cover - fails at import, in every test run
    raise RuntimeError("leadtui.store.index: update _TOUCH_FIELDS/_LEAD_FIELDS for the model")


_OUTCOMES = {outcome.value: outcome for outcome in Outcome}
_SHARED_LEAD_FIELDS = ("status", "source", "timezone")
_REQUIRED_LEAD_FIELDS = ("id", "name", "phone", "timezone", "received_at")
_STATUSES = {status.value: status for status in LeadStatus}
_fromisoformat = datetime.fromisoformat


def _time(value: str) -> datetime:
    """parse_time, fast for the stored form (already UTC)."""
    parsed = _fromisoformat(value)
    if parsed.tzinfo is UTC:
        return parsed
    return parse_time(value)


def time_key(value: Any) -> str:
    """A stored time as text that sorts by time (the stored UTC form); ValueError or
    TypeError when it is not a time with a zone."""
    if isinstance(value, str) and len(value) == 32 and value.endswith("+00:00"):
        return value
    return iso(parse_time(value))


_EPOCHS = itertools.count()


class TouchesView(Mapping[str, list[Touch]]):
    """Lead id -> its touches, oldest first, converted on first access. It holds the
    touch documents as they were when it was made (documents are replaced, never changed,
    so it needs no lock and never sees a later write)."""

    def __init__(self, docs: dict[str, list[Doc]], path: Path) -> None:
        self._docs = docs
        self._done: dict[str, list[Touch]] = {}
        self._path = path

    def __getitem__(self, lead_id: str) -> list[Touch]:
        done = self._done.get(lead_id)
        if done is None:
            docs = self._docs[lead_id]
            try:
                done = [touch_from_doc(doc) for doc in docs]
            except (KeyError, TypeError, ValueError, AttributeError):
                raise damaged(self._path, "unexpected content in table 'touches'") from None
            self._done[lead_id] = done
        return list(done)

    def __iter__(self) -> Iterator[str]:
        return iter(self._docs)

    def __len__(self) -> int:
        return len(self._docs)


class Index:
    """Listener of `JournalStorage` that keeps the lookups the repository needs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.leads: dict[str, tuple[str, Doc]] = {}  # lead id -> (doc key, doc)
        self.by_phone: dict[str, str] = {}
        self.by_email: dict[str, str] = {}
        self.by_key: dict[str, str] = {}  # inquiry key -> lead id (see LeadDraft.inquiry_key)
        self._tree: Tree = {}
        # lead id -> its touches' document keys, sorted by (time, document id)
        self.touch_order: dict[str, list[str]] = {}
        self._touch_ids: dict[str, str] | None = None
        self.dnc: dict[str, str] = {}  # phone -> doc key
        self.claims: dict[str, Doc] = {}
        self.blitzes: dict[str, str] = {}  # record id -> doc key
        # converted objects; an entry goes whenever its document changes (see _forget)
        self._lead_cache: dict[str, Lead] = {}
        self._touch_cache: dict[str, Touch] = {}
        # the last touches_by_lead() result and the leads changed since
        self._view: dict[str, tuple[Touch, ...]] | None = None
        self._dirty: set[str] = set()
        # lead id -> how many changes its document or its touches have seen since `epoch`
        # began (a new epoch at every reset): a cheap "changed since?" for memos
        self.epoch = next(_EPOCHS)
        self.revision: dict[str, int] = {}

    # --- listener ---------------------------------------------------------------------

    def reset(self, tree: Tree) -> None:
        self.__init__(self.path)  # type: ignore[misc]
        self._tree = tree
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
        order = self.touch_order
        # Share one string object per lead id and outcome (the JSON parser makes one per
        # occurrence): equal values, ~25 MB less at 200,000 touches.
        same = {lead_id: lead_id for lead_id in self.leads}
        same.update((o.value, o.value) for o in Outcome)
        # Documents mostly arrive in time order already: note the last (time, key) seen
        # per lead and sort only the leads whose touches came out of order (sorting every
        # lead's list with a key function cost half a second at 200,000 touches).
        last: dict[str, tuple[str, int]] = {}
        out_of_order: set[str] = set()
        for key, doc in table.items():
            at = doc["at"]
            if type(doc["id"]) is not str or type(at) is not str:
                raise TypeError(key)
            if len(at) != 32 or not at.endswith("+00:00"):
                at = time_key(at)  # raises ValueError unless it is a time with a zone
            lead_id: str = same.get(doc["lead_id"]) or doc["lead_id"]
            doc["lead_id"] = lead_id
            doc["outcome"] = same.get(doc["outcome"], doc["outcome"])
            mark = (at, int(key))
            entries = order.get(lead_id)
            if entries is None:
                order[lead_id] = [key]
                last[lead_id] = mark
            else:
                entries.append(key)
                if mark < last[lead_id]:
                    out_of_order.add(lead_id)
                else:
                    last[lead_id] = mark
        sort_key = self._order_key
        for lead_id in out_of_order:
            order[lead_id].sort(key=sort_key)

    def _order_key(self, key: str) -> tuple[str, int]:
        return (time_key(self._tree[TOUCHES][key]["at"]), int(key))

    @property
    def touch_docs(self) -> dict[str, Doc]:
        """The live touches table (document key -> document)."""
        return self._tree.get(TOUCHES) or {}

    @property
    def touch_ids(self) -> dict[str, str]:
        """Touch id -> document key (built on first use: only new ids need it)."""
        if self._touch_ids is None:
            self._touch_ids = {doc["id"]: key for key, doc in self.touch_docs.items()}
        return self._touch_ids

    def changed(self, table: str, key: str, old: Doc | None, new: Doc | None) -> None:
        if table in (LEADS, TOUCHES):
            revision = self.revision
            for doc in (old, new):
                if doc is not None:
                    lead_id = str(doc.get("lead_id" if table == TOUCHES else "id"))
                    self._dirty.add(lead_id)
                    revision[lead_id] = revision.get(lead_id, 0) + 1
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
            for field in _REQUIRED_LEAD_FIELDS:
                if type(doc[field]) is not str:
                    raise TypeError(field)
            for field in _SHARED_LEAD_FIELDS:  # few distinct values: one object each
                value = doc.get(field)
                if type(value) is str:
                    doc[field] = sys.intern(value)
            self.leads[lead_id] = (key, doc)
            self.by_phone.setdefault(phone, lead_id)
            if email:
                self.by_email.setdefault(email_key(email), lead_id)
            for other in doc.get("other_phones") or ():
                self.by_phone.setdefault(other, lead_id)
            for other in doc.get("other_emails") or ():
                self.by_email.setdefault(email_key(other), lead_id)
            for inquiry_key in doc.get("keys") or ():
                self.by_key.setdefault(str(inquiry_key), lead_id)
        elif table == TOUCHES:
            time_key(doc["at"])  # (checks it)
            order = self.touch_order.setdefault(str(doc["lead_id"]), [])
            bisect.insort(order, key, key=self._order_key)
            if self._touch_ids is not None:
                self._touch_ids[doc["id"]] = key
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
            for phone in (doc["phone"], *(doc.get("other_phones") or ())):
                if self.by_phone.get(phone) == lead_id:
                    del self.by_phone[phone]
            for email in (doc.get("email", ""), *(doc.get("other_emails") or ())):
                email = email_key(email)
                if email and self.by_email.get(email) == lead_id:
                    del self.by_email[email]
            for inquiry_key in doc.get("keys") or ():
                if self.by_key.get(str(inquiry_key)) == lead_id:
                    del self.by_key[str(inquiry_key)]
        elif table == TOUCHES:
            order = self.touch_order.get(str(doc["lead_id"]), [])
            if key in order:
                order.remove(key)
            self._touch_cache.pop(key, None)
            if self._touch_ids is not None and self._touch_ids.get(doc["id"]) == key:
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

    def touch(self, key: str) -> Touch:
        touch = self._touch_cache.get(key)
        if touch is None:
            doc = self.touch_docs[key]
            touch = self._touch_cache[key] = self._convert(touch_from_doc, doc, TOUCHES)
        return touch

    def touches(self, lead_id: str) -> list[Touch]:
        return [self.touch(key) for key in self.touch_order.get(lead_id, ())]

    def touches_of(self, lead_ids: Iterable[str]) -> dict[str, list[Touch]]:
        """`touches()` of many leads in one loop (the workstation's first queue converts
        tens of thousands of touches: the per-call overhead is a third of the cost)."""
        cache, docs, order = self._touch_cache, self.touch_docs, self.touch_order
        result: dict[str, list[Touch]] = {}
        try:
            for lead_id in lead_ids:
                touches: list[Touch] = []
                for key in order.get(lead_id, ()):
                    touch = cache.get(key)
                    if touch is None:
                        touch = cache[key] = touch_from_doc(docs[key])
                    touches.append(touch)
                result[lead_id] = touches
        except (KeyError, TypeError, ValueError, AttributeError):
            raise damaged(self.path, "unexpected content in table 'touches'") from None
        return result

    def touches_view(self, lead_ids: Iterable[str]) -> TouchesView:
        """`touches_of` that converts a lead's touches only when asked for them (the
        workstation shows one lead's history at a time; converting every active lead's
        touches cost 0.05 s of its first frame at 50,000 leads)."""
        docs, order = self.touch_docs, self.touch_order
        try:
            return TouchesView(
                {lead_id: [docs[key] for key in order.get(lead_id, ())] for lead_id in lead_ids},
                self.path,
            )
        except KeyError:
            raise damaged(self.path, "unexpected content in table 'touches'") from None

    def touches_by_lead(self) -> dict[str, tuple[Touch, ...]]:
        """Every lead's touches, as a new dict: the previous one patched where leads or
        touches changed since, or built in one pass (converting the touches not
        converted yet) after a reload."""
        view, dirty = self._view, self._dirty
        if view is not None and len(dirty) < len(view) // 4:
            view = dict(view)
            for lead_id in dirty:
                if lead_id in self.leads:
                    view[lead_id] = tuple(self.touches(lead_id))
                else:
                    view.pop(lead_id, None)
        else:
            view = self._build_view()
        dirty.clear()
        self._view = view
        return view

    def _build_view(self) -> dict[str, tuple[Touch, ...]]:
        cache, docs, order = self._touch_cache, self.touch_docs, self.touch_order
        with paused_gc():
            try:
                for key, doc in docs.items():
                    if key not in cache:
                        cache[key] = touch_from_doc(doc)
            except (KeyError, TypeError, ValueError, AttributeError):
                raise damaged(self.path, "unexpected content in table 'touches'") from None
            return {
                lead_id: tuple([cache[key] for key in order[lead_id]]) if lead_id in order else ()
                for lead_id in self.leads
            }

    def touch_keys(self, lead_id: str) -> tuple[str, ...]:
        return tuple(self.touch_order.get(lead_id, ()))

    def _convert(self, convert: Any, doc: Doc, table: str) -> Any:
        try:
            return convert(doc)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise damaged(
                self.path, f"unexpected content in table {table!r}: {doc!r:.80}"
            ) from None
