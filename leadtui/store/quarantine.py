"""Stored times outside the accepted ranges (domain/times.py): find them, set them aside.

A database written before every entering time was checked can hold a lead received in
year 1 or a callback asked for in 9999; such a time overflows as soon as it is moved into
the lead's zone or a cadence step is added to it. `doctor` reports each one as a
`problem:`; `doctor --repair` sets it aside so the database opens and works again:

- a lead whose received time is out of range leaves the database with its touches (its
  do-not-call entry stays: the number is still never called);
- a touch whose time (`at`) or asked-for time (`when`) is out of range leaves its lead,
  whose status is then derived again from the touches that remain;
- an out-of-range repeat-inquiry time is dropped from its lead's `inquiries`.

Nothing is deleted before it is kept: what is set aside is first written, fsynced, to
`<database>.quarantine-<UTC time>.jsonl` beside the database (mode 0600), one JSON object a
line: `{"table", "reason", "doc"}` with the document exactly as it was stored. Then one
journaled transaction removes it, like any other write (other processes catch up).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leadtui.domain.times import stored_time_problem
from leadtui.paths import fsync_dir
from leadtui.store.files import write_new_file
from leadtui.store.index import LEADS, TOUCHES

__all__ = ["Finding", "find_out_of_range", "quarantine_out_of_range"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One stored time outside its range."""

    table: str  # LEADS or TOUCHES
    key: str  # the document key in that table
    lead_id: str
    what: str  # "received time", "inquiry time", "touch time", "time asked for"
    reason: str

    def describe(self) -> str:
        """'touch of lead ab12cd34: time asked for: time 9999-... out of range (...)'."""
        owner = "a touch of lead" if self.table == TOUCHES else "lead"
        return f"{owner} {self.lead_id}: {self.what}: {self.reason}"


def find_out_of_range(tree: Mapping[str, Mapping[str, Any]], now: datetime) -> list[Finding]:
    """Every stored received, inquiry, touch and asked-for time outside its range."""
    found: list[Finding] = []
    for key, doc in (tree.get(LEADS) or {}).items():
        lead_id = str(doc.get("id", key))
        problem = stored_time_problem(doc.get("received_at"), now, "event")
        if problem:
            found.append(Finding(LEADS, key, lead_id, "received time", problem))
            continue
        for at in doc.get("inquiries") or ():
            problem = stored_time_problem(at, now, "event")
            if problem:
                found.append(Finding(LEADS, key, lead_id, "inquiry time", problem))
    for key, doc in (tree.get(TOUCHES) or {}).items():
        lead_id = str(doc.get("lead_id", ""))
        problem = stored_time_problem(doc.get("at"), now, "event")
        if problem:
            found.append(Finding(TOUCHES, key, lead_id, "touch time", problem))
            continue
        if doc.get("when") is not None:
            problem = stored_time_problem(doc["when"], now, "clock")
            if problem:
                found.append(Finding(TOUCHES, key, lead_id, "time asked for", problem))
    return found


def quarantine_out_of_range(store: Any, now: datetime) -> list[str]:
    """Set aside every out-of-range time in the TinyDB store `store` (see the module
    docstring); report lines (`repaired:`), empty when there was nothing to do."""
    storage, index, db = store._storage, store._index, store._db
    with storage.transaction():
        storage.load_archive()
        tree = {LEADS: {key: doc for key, doc in index.leads.values()},
                TOUCHES: dict(index.touch_docs)}  # fmt: skip
        findings = find_out_of_range(tree, now)
        if not findings:
            return []
        gone_leads = {f.lead_id: f for f in findings if f.what == "received time"}
        set_aside: list[dict[str, Any]] = []
        touch_keys: dict[str, str] = {}  # touch key -> reason
        for lead_id, finding in gone_leads.items():
            set_aside.append({"table": LEADS, "reason": finding.reason,
                              "doc": tree[LEADS][finding.key]})  # fmt: skip
            for key in index.touch_keys(lead_id):
                touch_keys[key] = f"its lead {lead_id} was set aside"
        for f in findings:
            if f.table == TOUCHES and f.lead_id not in gone_leads:
                touch_keys[f.key] = f"{f.what}: {f.reason}"
        for key, reason in touch_keys.items():
            set_aside.append({"table": TOUCHES, "reason": reason, "doc": tree[TOUCHES][key]})
        fixed_inquiries: dict[str, list[Any]] = {}
        for f in findings:
            if f.what == "inquiry time" and f.lead_id not in gone_leads:
                doc = tree[LEADS][f.key]
                kept = [at for at in doc.get("inquiries") or ()
                        if stored_time_problem(at, now, "event") is None]  # fmt: skip
                if f.key not in fixed_inquiries:
                    set_aside.append({"table": LEADS, "reason": f"inquiry time: {f.reason}",
                                      "doc": doc})  # fmt: skip
                fixed_inquiries[f.key] = kept
        where = _keep(store.path, set_aside, now)
        touches_of = {str(tree[TOUCHES][key].get("lead_id", "")) for key in touch_keys}
        if touch_keys:
            db.table(TOUCHES).remove(doc_ids=[int(key) for key in touch_keys])
        if gone_leads:
            db.table(LEADS).remove(doc_ids=[int(f.key) for f in gone_leads.values()])
        for key, kept in fixed_inquiries.items():
            db.table(LEADS).update({"inquiries": kept}, doc_ids=[int(key)])
        for lead_id in touches_of - set(gone_leads):
            lead = index.lead(lead_id)
            if lead is not None:
                store._restatus(lead)
    lines = [f"repaired: set aside lead {lead_id} (received time out of range)"
             for lead_id in gone_leads]  # fmt: skip
    own = len([k for k, r in touch_keys.items() if not r.startswith("its lead")])
    if own:
        lines.append(f"repaired: set aside {own} touch(es) with a time out of range")
    if fixed_inquiries:
        lines.append(f"repaired: dropped out-of-range inquiry times from "
                     f"{len(fixed_inquiries)} lead(s)")  # fmt: skip
    lines.append(f"repaired: what was set aside is kept, readable, in {where}")
    return lines


def _keep(db_path: Path, records: list[dict[str, Any]], now: datetime) -> Path:
    """Write the records (JSON Lines, fsynced, 0600) beside the database; its path."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = db_path.with_name(f"{db_path.name}.quarantine-{stamp}.jsonl")
    number = 1
    while path.exists() or path.is_symlink():
        number += 1
        path = db_path.with_name(f"{db_path.name}.quarantine-{stamp}-{number}.jsonl")
    text = "".join(json.dumps(record, ensure_ascii=True, sort_keys=True) + "\n"
                   for record in records)  # fmt: skip
    write_new_file(path, text.encode("ascii"))
    fsync_dir(path.parent)
    return path
