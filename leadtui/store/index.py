"""The repository's in-memory indexes over the TinyDB tree (documents <-> models: documents.py).

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
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from leadtui.domain.model import Lead, Outcome, Touch
from leadtui.store.documents import _REQUIRED_LEAD_FIELDS, _SHARED_LEAD_FIELDS
from leadtui.store.documents import BLITZES as BLITZES
from leadtui.store.documents import CLAIMS as CLAIMS
from leadtui.store.documents import DNC as DNC
from leadtui.store.documents import LEADS as LEADS
from leadtui.store.documents import META as META
from leadtui.store.documents import TOUCHES as TOUCHES
from leadtui.store.documents import Doc as Doc
from leadtui.store.documents import email_key as email_key
from leadtui.store.documents import fast_models_match as fast_models_match
from leadtui.store.documents import iso as iso
from leadtui.store.documents import lead_doc as lead_doc
from leadtui.store.documents import lead_from_doc as lead_from_doc
from leadtui.store.documents import parse_time as parse_time
from leadtui.store.documents import time_key as time_key
from leadtui.store.documents import touch_doc as touch_doc
from leadtui.store.documents import touch_from_doc as touch_from_doc
from leadtui.store.documents import utc as utc
from leadtui.store.files import Tree, damaged, paused_gc

_EPOCHS = itertools.count()
#: scans of the unparsed touches line (one lead's touches, a new touch's id) before the
#: index of every touch is built instead (each scan reads the whole line: ~1 ms at 50,000
#: leads; a workstation moving through leads and logging soon needs them all)
PEEK_LIMIT = 24


class TouchesView(Mapping[str, list[Touch]]):
    """Lead id -> its touches, oldest first, converted on first access. It holds the
    touch documents as they were when it was made (documents are replaced, never changed,
    so it needs no lock and never sees a later write), or, for the leads in `later`, asks
    `later` for them when first looked up (under the store's lock: the touches stored
    then)."""

    def __init__(
        self,
        docs: dict[str, list[Doc]],
        path: Path,
        later: tuple[Iterable[str], Callable[[str], list[Doc]]] | None = None,
    ) -> None:
        self._docs = docs
        self._done: dict[str, list[Touch]] = {}
        self._path = path
        self._ids: set[str] = set(later[0]) if later else set()
        self._load: Callable[[str], list[Doc]] | None = later[1] if later else None

    def __getitem__(self, lead_id: str) -> list[Touch]:
        done = self._done.get(lead_id)
        if done is None:
            if lead_id in self._ids and lead_id not in self._docs:
                assert self._load is not None
                self._docs[lead_id] = self._load(lead_id)
            docs = self._docs[lead_id]
            try:
                done = [touch_from_doc(doc) for doc in docs]
            except (KeyError, TypeError, ValueError, AttributeError):
                raise damaged(self._path, "unexpected content in table 'touches'") from None
            self._done[lead_id] = done
        return list(done)

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids or self._docs)

    def __len__(self) -> int:
        return len(self._ids or self._docs)

    def __contains__(self, lead_id: object) -> bool:
        return lead_id in self._ids or lead_id in self._docs


class Index:
    """Listener of `JournalStorage` that keeps the lookups the repository needs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.leads: dict[str, tuple[str, Doc]] = {}  # lead id -> (doc key, doc)
        # phone, email, inquiry key (LeadDraft.inquiry_key) -> lead id: built when first
        # asked for (`by_phone` ...: a write or a lookup; the queue needs none of them)
        self._by: tuple[dict[str, str], dict[str, str], dict[str, str]] | None = None
        self._tree: Tree = {}
        # lead id -> its touches' document keys, sorted by (time, document id): built on
        # first need (`touch_order`); until then one lead's touches are found in the
        # unparsed table's line (`_peek`), so a queue read never parses every touch
        self._order: dict[str, list[str]] | None = None
        self._peeked: dict[str, dict[str, Doc]] = {}  # lead id -> its touch docs by key
        self._scans = 0  # lines scanned for one lead's touches (or a touch id) so far
        self._writes = 0  # touch writes begun (`writing_touches`)
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
            learn = self._learn
            for name in (LEADS, DNC, CLAIMS, BLITZES):
                # `changed` without its bookkeeping: a reset starts a new epoch, so the
                # revisions and the dirty set begin empty (-7 ms of a 40 ms reset at 50k)
                key = ""
                try:
                    for key, doc in tree.get(name, {}).items():
                        learn(name, key, doc)
                except (KeyError, TypeError, ValueError, AttributeError):
                    raise damaged(
                        self.path, f"unexpected content in table {name!r}, entry {key}"
                    ) from None
            loaded = getattr(tree, "loaded", None)
            if loaded is None or loaded(TOUCHES):
                self._build_order()
        # The tree is long-lived: keep the cyclic GC from rescanning its millions of
        # objects on every full collection (a 300 ms pause at 50,000 leads). It holds no
        # reference cycles, so reference counting still frees it when it is replaced.
        gc.freeze()

    @property
    def touch_order(self) -> dict[str, list[str]]:
        """Lead id -> its touches' document keys in order (every touch: parses the table)."""
        if self._order is None:
            self._build_order()
        return self._order  # type: ignore[return-value]

    def _build_order(self) -> None:
        with paused_gc():
            try:
                self._reset_touches(self._tree.get(TOUCHES, {}))
            except (KeyError, TypeError, ValueError, AttributeError):
                raise damaged(self.path, "unexpected content in table 'touches'") from None
        self._peeked.clear()
        gc.freeze()  # (long-lived, no cycles: as at `reset`, never rescanned by the GC)

    def _peek(self, lead_id: str) -> dict[str, Doc] | None:
        """One lead's touch documents by key while the index of every touch is not built
        (found in the unparsed table's line); None once it is (or cannot be done)."""
        if self._order is not None:
            return None
        found = self._peeked.get(lead_id)
        if found is None:
            self._scans += 1
            if self._scans > PEEK_LIMIT:  # many leads asked for: index them all at once
                self._build_order()
                return None
            docs_where = getattr(self._tree, "docs_where", None)
            found = None if docs_where is None else docs_where(TOUCHES, "lead_id", lead_id)
            if found is None:
                self._build_order()
                return None
            try:
                for doc in found.values():
                    if type(doc["id"]) is not str:
                        raise TypeError(doc)
                    time_key(doc["at"])  # (checks it)
            except (KeyError, TypeError, ValueError, AttributeError):
                raise damaged(self.path, "unexpected content in table 'touches'") from None
            self._peeked[lead_id] = found
        return found

    def _keys_of(self, lead_id: str) -> list[str]:
        """A lead's touch document keys in order (time, then key)."""
        peeked = self._peek(lead_id)
        if peeked is None:
            return self.touch_order.get(lead_id, [])
        return sorted(peeked, key=lambda key: (time_key(peeked[key]["at"]), int(key)))

    def _touch_doc(self, lead_id: str, key: str) -> Doc:
        peeked = self._peek(lead_id) if self._order is None else None
        return peeked[key] if peeked is not None else self.touch_docs[key]

    def _reset_touches(self, table: dict[str, Doc]) -> None:
        """The bulk form of `_learn` for touches (200,000 of them at open)."""
        order: dict[str, list[str]] = {}
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
        self._order = order

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

    def writing_touches(self) -> None:
        """A write of touches begins: the first one in this process finds what it needs in
        the unparsed touches line (a `leadtui log` writes once); from the second on, every
        touch is indexed (a workstation logs on: each write then costs what it changes)."""
        self._writes += 1
        if self._writes > 1 and self._order is None:
            self._build_order()

    def has_touch_id(self, touch_id: str) -> bool:
        """Is `touch_id` a touch's id (in memory)? Found in the unparsed table's line
        while nothing has parsed it (a new touch's id is checked without parsing it)."""
        if self._touch_ids is None and self._scans < PEEK_LIMIT:
            self._scans += 1
            docs_where = getattr(self._tree, "docs_where", None)
            found = None if docs_where is None else docs_where(TOUCHES, "id", touch_id)
            if found is not None:
                return bool(found)
        return touch_id in self.touch_ids

    def changed(self, table: str, key: str, old: Doc | None, new: Doc | None) -> None:
        if table in (LEADS, TOUCHES):
            revision = self.revision
            for doc in (old, new):
                if doc is not None:
                    lead_id = str(doc.get("lead_id" if table == TOUCHES else "id"))
                    self._dirty.add(lead_id)
                    revision[lead_id] = revision.get(lead_id, 0) + 1
            if table == TOUCHES and self._order is None:  # (built from the tree when needed)
                for one in (old, new):
                    peeked = None if one is None else self._peeked.get(str(one.get("lead_id")))
                    if one is not None and peeked is not None:  # (keep them up to date)
                        if one is new:
                            peeked[key] = one
                        else:
                            peeked.pop(key, None)
                self._touch_cache.pop(key, None)
                ids = self._touch_ids
                if ids is not None:
                    if old is not None and ids.get(old["id"]) == key:
                        del ids[old["id"]]
                    if new is not None:
                        ids[new["id"]] = key
                return
        try:
            if old is not None:
                self._forget(table, key, old, keep_place=new is not None)
            if new is not None:
                self._learn(table, key, new)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise damaged(
                self.path, f"unexpected content in table {table!r}, entry {key}"
            ) from None

    def learn_many(self, table: str, docs: dict[str, Doc]) -> None:
        """`changed(table, key, None, doc)` for each of `docs` (new documents: an archive
        segment read back), the touches in one pass: each lead's list sorted once."""
        if table != TOUCHES or self._order is None:
            for key, doc in docs.items():
                self.changed(table, key, None, doc)
            return
        revision, dirty, order, ids = self.revision, self._dirty, self._order, self._touch_ids
        grown: set[str] = set()
        try:
            for key, doc in docs.items():
                lead_id = str(doc["lead_id"])
                time_key(doc["at"])  # (checks it)
                dirty.add(lead_id)
                revision[lead_id] = revision.get(lead_id, 0) + 1
                order.setdefault(lead_id, []).append(key)
                grown.add(lead_id)
                if ids is not None:
                    ids[doc["id"]] = key
            for lead_id in grown:
                order[lead_id].sort(key=self._order_key)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise damaged(self.path, "unexpected content in table 'touches'") from None

    def _learn(self, table: str, key: str, doc: Doc) -> None:
        if table == LEADS:
            lead_id = doc["id"]
            for field in _REQUIRED_LEAD_FIELDS:
                if type(doc[field]) is not str:
                    raise TypeError(field)
            for field in _SHARED_LEAD_FIELDS:  # few distinct values: one object each
                value = doc.get(field)
                if type(value) is str:
                    doc[field] = sys.intern(value)
            self.leads[lead_id] = (key, doc)
            if self._by is not None:
                self._look_up(lead_id, doc, *self._by)
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

    @staticmethod
    def _look_up(
        lead_id: str, doc: Doc, phones: dict[str, str], emails: dict[str, str],
        keys: dict[str, str],
    ) -> None:  # fmt: skip
        """Note a lead's numbers, emails and inquiry keys (the first lead keeps each)."""
        phones.setdefault(doc["phone"], lead_id)
        email = doc.get("email", "")
        if email:
            emails.setdefault(email_key(email), lead_id)
        for other in doc.get("other_phones") or ():
            phones.setdefault(other, lead_id)
        for other in doc.get("other_emails") or ():
            emails.setdefault(email_key(other), lead_id)
        for inquiry_key in doc.get("keys") or ():
            keys.setdefault(str(inquiry_key), lead_id)

    def _lookups(self) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
        if self._by is None:
            by: tuple[dict[str, str], dict[str, str], dict[str, str]] = ({}, {}, {})
            try:
                for lead_id, (_, doc) in self.leads.items():
                    self._look_up(lead_id, doc, *by)
            except (KeyError, TypeError, ValueError, AttributeError):
                raise damaged(self.path, "unexpected content in table 'leads'") from None
            self._by = by
        return self._by

    @property
    def by_phone(self) -> dict[str, str]:
        return self._lookups()[0]

    @property
    def by_email(self) -> dict[str, str]:
        return self._lookups()[1]

    @property
    def by_key(self) -> dict[str, str]:
        return self._lookups()[2]

    def _forget(self, table: str, key: str, doc: Doc, keep_place: bool = False) -> None:
        if table == LEADS:
            lead_id = doc["id"]
            if not keep_place:  # an update keeps the lead's place in insertion order
                self.leads.pop(lead_id, None)
            self._lead_cache.pop(lead_id, None)
            if self._by is None:
                return
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

    def touch_of(self, lead_id: str, key: str) -> Touch:
        """The touch stored under `key`, one of lead `lead_id`'s."""
        touch = self._touch_cache.get(key)
        if touch is None:
            doc = self._touch_doc(lead_id, key)
            touch = self._touch_cache[key] = self._convert(touch_from_doc, doc, TOUCHES)
        return touch

    def touches(self, lead_id: str) -> list[Touch]:
        if self._order is not None:
            return [self.touch(key) for key in self._order.get(lead_id, ())]
        return [self.touch_of(lead_id, key) for key in self._keys_of(lead_id)]

    def touches_of(self, lead_ids: Iterable[str]) -> dict[str, list[Touch]]:
        """`touches()` of many leads in one loop (the workstation's first queue converts
        tens of thousands of touches: the per-call overhead is a third of the cost)."""
        if self._order is None:
            return {lead_id: self.touches(lead_id) for lead_id in lead_ids}
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

    def touches_view(
        self, lead_ids: Iterable[str], lock: Callable[[Callable[[], Any]], Any] | None = None
    ) -> TouchesView:
        """`touches_of` that converts a lead's touches only when asked for them (the
        workstation shows one lead's history at a time; converting every active lead's
        touches cost 0.05 s of its first frame at 50,000 leads). While the index of every
        touch is not built, a lead's touches are even found only when looked up, through
        `lock` (the store's: it runs the lookup under its lock)."""
        if self._order is None and lock is not None:
            return TouchesView({}, self.path, (lead_ids, lambda lead_id: lock(
                lambda: [self._touch_doc(lead_id, k) for k in self._keys_of(lead_id)]
            )))  # fmt: skip
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
        return tuple(self._keys_of(lead_id))

    def _convert(self, convert: Any, doc: Doc, table: str) -> Any:
        try:
            return convert(doc)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise damaged(
                self.path, f"unexpected content in table {table!r}: {doc!r:.80}"
            ) from None
