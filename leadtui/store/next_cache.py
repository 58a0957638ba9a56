"""Each lead's next action, kept with the lead: the store's due index (issue 17).

Every write that changes what a lead's next action could be (a touch, an undo, a repeat
inquiry, a new lead) stores, in the same journal record, the lead's assessment in the table
`next`, under the same document key as the lead's document: `{"lead_id": ID, "fp":
FINGERPRINT, "a": [status, calls, *action]}` where `action` is the NextAction's fields
(times as microseconds since 1970 UTC) or nothing when the lead has no next action. Only
active leads have one (a lead that closes loses it), so the table stays the size of the
queue and never enters the archive. A journal record of a touch grows by ~170 bytes, not
by the whole lead document (notes included).

The fingerprint (a short list of plain values) says what the assessment was computed
from: the leadtui version, the cadence, the calling window, the lead's touches (how many,
the sum of their document keys, the id of the last one) and the lead's own fields that the
cadence reads. A reader computes
the same fingerprint from what it has in memory and uses the stored assessment only when
the two are equal; otherwise it replays the touches (and keeps that result in memory, keyed
by the fingerprint). A writer that does not know the field (an older leadtui, another
tool) leaves a stored assessment whose fingerprint no longer matches the touches it wrote:
it is never used. Document keys only grow (a new touch takes a key above every key used),
so a deleted touch and a new one never leave both the count and the key sum unchanged;
the last touch's random id catches the one case that reuses a key (the newest touch
undone, another logged).

Reading every active lead's touches only to check that part of the fingerprint costs what
the whole working set costs (a 200,000-lead store holds ~100,000 such touches). So the
snapshot vouches for the table (`vouch`, written in its header, see parts.py): every writer
of a snapshot this version reads stores a lead's next action in the journal record that
changes its touches, so a table that agreed with the touches when the snapshot was written
still agrees after any journal replayed on it. A snapshot that does not say so (an older
format, another tool, a table emptied or replaced) is checked once, at its next compaction,
and until then every touch part is compared as before. `decode` then compares the
settings and lead parts only (`vouched=True`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from hashlib import blake2b as _blake2b
from typing import Any

from leadtui import __version__
from leadtui.domain.cadence import ActionFields, Cadence
from leadtui.domain.model import Channel, LeadStatus, Message, NextAction
from leadtui.domain.window import CallingWindow
from leadtui.store.files import Tree
from leadtui.store.index import LEADS, TOUCHES, Doc, time_key

NEXT = "next"  # the table
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
#: Lead fields the next action does not depend on (everything else is in the
#: fingerprint). A test checks this against `Lead`'s fields, so a new field is placed here
#: or in `_LEAD_PART` on purpose.
IRRELEVANT_LEAD_FIELDS = frozenset(
    {"id", "name", "phone", "email", "source", "notes", "other_phones", "other_emails"}
)
#: Lead document fields the fingerprint reads (the cadence reads the status, zone or
#: zones, arrival time, the reopening; inquiries are kept in case the replay reads them).
LEAD_PART = ("status", "timezone", "received_at", "inquiries", "zone_candidates", "reopened_at")

Assessment = tuple[LeadStatus, "ActionFields | None", int]

_STATUSES = {status.value: status for status in LeadStatus}
# the stored times (microseconds since 1970 UTC) a datetime can hold
_FIRST_US = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // _MICRO
_LAST_US = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _MICRO
_CHANNELS = {channel.value: channel for channel in Channel}
_MESSAGES = {message.value: message for message in Message}


#: The program version in every fingerprint (a module global so tests can change it).
VERSION = __version__


def settings_part(cadence: Cadence, window: CallingWindow) -> str:
    """The part of every fingerprint that the program and its settings decide."""
    return _settings_part(cadence, window, VERSION)


@lru_cache(maxsize=16)
def _settings_part(cadence: Cadence, window: CallingWindow, version: str) -> str:
    """The version and a digest of the cadence and window (20 hex digits)."""
    digest = _blake2b(repr((cadence, window)).encode(), digest_size=10).hexdigest()
    return f"{version}/{digest}"


def fingerprint(base: str, doc: Doc, touch_keys: Sequence[str], last_touch_id: str) -> list[Any]:
    """What the assessment of the lead `doc` with these touches depends on (see above), as
    the plain values (a list compares in one step; no hash to compute per lead)."""
    inquiries = doc.get("inquiries") or ()
    return [
        base,
        len(touch_keys),
        sum(map(int, touch_keys)),
        last_touch_id,
        doc.get("status", "new"),
        doc.get("timezone"),
        doc.get("received_at"),
        len(inquiries),
        inquiries[-1] if inquiries else "",
    ]


def encode(lead_id: str, fp: list[Any], assessment: Assessment) -> dict[str, Any]:
    """The `next` document of a lead."""
    status, fields, calls = assessment
    values: list[Any] = [status.value, calls]
    if fields is not None:
        channel, kind, message, due_at, stage, step, late_at, ignores = fields
        values += [
            channel.value,
            kind,
            message.value,
            (due_at - _EPOCH) // _MICRO,
            stage,
            step,
            None if late_at is None else (late_at - _EPOCH) // _MICRO,
            ignores,
        ]
    return {"lead_id": lead_id, "fp": fp, "a": values}


def lead_part(base: str, doc: Doc) -> list[Any]:
    """The fingerprint without its touch part (see `fingerprint`): what a vouched table's
    documents are checked against."""
    inquiries = doc.get("inquiries") or ()
    return [
        base,
        doc.get("status", "new"),
        doc.get("timezone"),
        doc.get("received_at"),
        len(inquiries),
        inquiries[-1] if inquiries else "",
    ]


def vouch(tree: Tree) -> tuple[str, ...]:
    """The derived tables a snapshot of `tree` may vouch for (see the module docstring):
    those it vouched for already, and `next` once its documents match their leads'
    touches: every document when the table is not vouched yet, else those of the leads
    changed since in a record that did not write their `next` document."""
    vouched: tuple[str, ...] = getattr(tree, "vouched", ())
    unvouched: set[str] = getattr(tree, "unvouched", set())
    if NEXT in vouched and not unvouched:
        return vouched
    only = set(unvouched) if NEXT in vouched else None
    if NEXT not in tree or not agrees(tree, only):
        return tuple(name for name in vouched if name != NEXT)
    unvouched.clear()
    return vouched if NEXT in vouched else (*vouched, NEXT)


def agrees(tree: Tree, only: set[str] | None = None) -> bool:
    """Does every `next` document (of the leads in `only`, when given) match its lead's
    touches in `tree`?"""
    leads = {doc.get("id") for doc in (tree.get(LEADS) or {}).values()}
    nexts = [
        doc
        for doc in (tree.get(NEXT) or {}).values()
        if isinstance(doc, dict) and (only is None or doc.get("lead_id") in only)
    ]
    if not nexts:
        return True  # (a closed lead has none: nothing to check)
    try:
        seen = touch_parts(tree, only)
        for doc in nexts:
            lead_id = doc.get("lead_id")
            if not isinstance(lead_id, str) or lead_id not in leads:
                continue  # (a lead set aside or archived: never read for the queue)
            count, total, _, last = seen.get(lead_id) or (0, 0, None, "")
            fp = doc.get("fp")
            if not isinstance(fp, list) or fp[1:4] != [count, total, last]:
                return False
    except (KeyError, TypeError, ValueError, AttributeError):
        return False
    return True


def touch_parts(tree: Tree, only: set[str] | None) -> dict[str, list[Any]]:
    """Lead id -> [touch count, key sum, (time, key) of the last touch, its id]: the touch
    part of a fingerprint, for the leads in `only` (every lead when None). KeyError,
    TypeError or ValueError when a touch document is not one."""
    seen: dict[str, list[Any]] = {}
    for key, doc in _touches_of(tree, only):
        mark = (time_key(doc["at"]), int(key))
        found = seen.get(doc["lead_id"])
        if found is None:
            seen[doc["lead_id"]] = [1, int(key), mark, doc["id"]]
            continue
        found[0] += 1
        found[1] += int(key)
        if mark > found[2]:
            found[2], found[3] = mark, doc["id"]
    return seen


def _touches_of(tree: Tree, only: set[str] | None) -> Iterator[tuple[str, Doc]]:
    """The touch documents (by key) of the leads in `only` (every touch when None): found
    in the unparsed table's line for a few leads, else read off the table."""
    docs_where = getattr(tree, "docs_where", None)
    if only is not None and docs_where is not None and len(only) <= 8:
        found: dict[str, Doc] = {}
        for lead_id in only:
            docs = docs_where(TOUCHES, "lead_id", lead_id)
            if docs is None:
                break
            found.update(docs)
        else:
            yield from found.items()
            return
    for key, doc in (tree.get(TOUCHES) or {}).items():
        if only is None or doc.get("lead_id") in only:
            yield key, doc


def decode(
    stored: Any, lead_id: str, fp: list[Any], *, vouched: bool = False
) -> tuple[LeadStatus, NextAction | None, int] | None:
    """The stored assessment when it is this lead's, its fingerprint is `fp` and it is
    well formed; else None (then the caller replays the touches). `vouched`: `fp` is
    `lead_part(...)` and the stored touch part is trusted (see the module docstring)."""
    found = checked(stored, lead_id, fp, vouched=vouched)
    if found is None:
        return None
    status, calls, values = found
    return status, None if values is None else action_of(values), calls


def checked(
    stored: Any, lead_id: str, fp: list[Any], *, vouched: bool = False
) -> tuple[LeadStatus, int, list[Any] | None] | None:
    """`decode` without building the NextAction: the status, the calls made and the
    stored action's values (None: no next action), once every value is checked (so that
    `action_of(values)` cannot fail)."""
    if not isinstance(stored, dict) or stored.get("lead_id") != lead_id:
        return None
    found = stored.get("fp")
    if vouched:
        if not isinstance(found, list) or found[4:] != fp[1:] or not found or found[0] != fp[0]:
            return None
    elif found != fp:
        return None
    values = stored.get("a")
    if not isinstance(values, list):
        return None
    try:
        status, calls = _STATUSES[values[0]], values[1]
        if type(calls) is not int:
            return None
        if len(values) == 2:
            return status, calls, None
        channel, kind, message, due_at, stage, step, late_at, ignores = values[2:]
        if not (type(kind) is str and type(stage) is str and type(ignores) is bool):
            return None
        if step is not None and type(step) is not int:
            return None
        if channel not in _CHANNELS or message not in _MESSAGES:
            return None
        if type(due_at) is not int or not _FIRST_US <= due_at <= _LAST_US:
            return None
        if late_at is not None and not (type(late_at) is int and _FIRST_US <= late_at <= _LAST_US):
            return None
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return status, calls, values


def action_of(values: list[Any]) -> NextAction:
    """The NextAction of checked stored values (`checked`)."""
    channel, kind, message, due_at, stage, step, late_at, ignores = values[2:]
    return _action(
        _CHANNELS[channel],
        kind,
        _MESSAGES[message],
        _time(due_at),
        stage,
        step,
        None if late_at is None else _time(late_at),
        ignores,
    )


# NextAction is a frozen dataclass: its __init__ sets each field through object.__setattr__.
# A cold queue decodes one per active lead, so fill the slots directly (as store/documents.py
# does for Touch and Lead): the same object, equal and frozen. A test keeps the list honest.
ACTION_FIELDS = ("channel", "kind", "message", "due_at", "stage", "step", "late_at",
                 "ignores_window")  # fmt: skip
_SETTERS = tuple(getattr(NextAction, name).__set__ for name in ACTION_FIELDS)


def _action(*values: Any) -> NextAction:
    action = object.__new__(NextAction)
    for setter, value in zip(_SETTERS, values, strict=True):
        setter(action, value)
    return action


def _time(value: Any) -> datetime:
    if type(value) is not int:
        raise TypeError(value)
    return _EPOCH + value * _MICRO
