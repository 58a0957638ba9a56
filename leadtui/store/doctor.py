"""`leadtui doctor`: check a database and restore the last good state.

Report lines start with a word saying what they are:
`ok:` fine, `note:` harmless, `problem:` the database cannot be used as it is, `fix:` what
`--repair` would do, `found:`/`repaired:` (repair mode) what was wrong and what was done,
followed by a fresh check. The command should exit 1 when any line starts with `problem:`.

What can be restored: the snapshot is rebuilt from the previous snapshot (`.bak`) plus
the journals (`.journal.bak`, `.journal`), or from the journals alone when they start at
the first record; a journal damaged in the middle is cut at the damage. Damaged files are
never deleted: before a restore every database file is kept as `<name>.damaged-<UTC time>`
beside the database. The restored snapshot also becomes the new `.bak`, so a second damage
before the next compaction restores from it again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leadtui.paths import fsync_dir
from leadtui.store.archive import LEAD_IDS
from leadtui.store.file_checks import (
    ODD,
    archive_lines,
    chmod_private,
    odd_lines,
    own_files,
    permission_lines,
    remove_odd,
    remove_unnamed,
)
from leadtui.store.files import (
    ArchiveInfo,
    FileNames,
    Record,
    StoreDamaged,
    StoreTooNew,
    Tree,
    encode_snapshot,
    keep_copy,
    parse_journal,
    parse_snapshot,
    read_bytes,
    replace_atomically,
)
from leadtui.store.index import META, Index
from leadtui.store.lockfile import LockFile
from leadtui.store.ops import apply_op, apply_records
from leadtui.store.protocol import StoreError
from leadtui.store.quarantine import find_out_of_range, quarantine_out_of_range
from leadtui.store.schema import SCHEMA, initial_tree
from leadtui.store.snapshot_write import compact_files

_EMPTY = "the journals alone"
_TIME_PROBLEM = "problem: stored time out of range:"


class _Broken(Exception):
    """A state that cannot be used (message says why)."""


#: Opens the store at a path with a cadence (None: the packaged one). The repository hands
#: in its `open_store`, so this module never imports the repository (which calls it).
StoreOpener = Callable[[Path, Any], Any]


def run_doctor(
    path: Path,
    *,
    repair: bool = False,
    now: datetime | None = None,
    cadence: Any = None,
    opener: StoreOpener | None = None,
) -> list[str]:
    """The report; `now` (default: the system clock) bounds the stored times, `cadence`
    (default: the packaged one) re-derives statuses after out-of-range times are set aside
    through the store `opener` opens (needed only for that repair)."""
    names = FileNames(Path(path))
    now = now or datetime.now(UTC)
    lines = [f"note: database {names.snapshot}"]
    odd = odd_lines(names)
    if odd and not repair:
        return lines + odd
    removed = remove_odd(names) if odd else []
    if removed:
        lines += ["found: " + line.split(": ", 1)[1] for line in odd if line.startswith(ODD)]
        lines += removed
    if not names.snapshot.exists() and not any(
        p.exists() for p in (names.journal, names.backup, names.journal_backup)
    ):
        return [*lines, "ok: no database yet (one is created on first use)"]
    lock = LockFile(names.lock, create=bool(removed) or (repair and not names.lock.exists()))
    with lock.exclusive() if repair and lock.usable else lock.shared():
        report = _check(names, now)
        if not repair:
            return lines + report
        found = [
            "found: " + line.split(": ", 1)[1] for line in report if line.startswith("problem:")
        ]
        damage = [line for line in report if not line.startswith(_TIME_PROBLEM)]
        try:
            done = _repair(names, damage) if _needs_tidy(damage) or any(
                line.startswith("problem:") for line in damage) else []  # fmt: skip
        except OSError as exc:
            raise _stopped(names, exc) from exc
    if any(line.startswith(_TIME_PROBLEM) for line in report):
        try:
            if opener is None:
                raise StoreError(f"{names.snapshot}: times out of range need the store to repair")
            done += _quarantine(names, now, cadence, opener)
        except OSError as exc:
            raise _stopped(names, exc) from exc
    with lock.shared():
        return lines + found + done + _check(names, now)


def _stopped(names: FileNames, exc: OSError) -> StoreError:
    return StoreError(
        f"{names.snapshot}: the repair stopped: {exc.strerror or exc}; run `leadtui "
        "doctor` to see the state, and `leadtui doctor --repair` again once there is room"
    )


def _quarantine(names: FileNames, now: datetime, cadence: Any, opener: StoreOpener) -> list[str]:
    """Set aside stored times outside their ranges, through the store (one transaction)."""
    from leadtui.domain.cadence import load_cadence

    store = opener(names.snapshot, cadence or load_cadence())
    try:
        return quarantine_out_of_range(store, now)
    finally:
        store.close()


# --- checking -----------------------------------------------------------------------------


def _check(names: FileNames, now: datetime) -> list[str]:
    lines: list[str] = []
    try:
        tree, seq, records, torn, archive = _load_current(names)
        lines.append(f"ok: {_describe(names, tree, seq, records, archive)}")
        findings = find_out_of_range(tree, now)
        lines.extend(f"{_TIME_PROBLEM} {f.describe()}" for f in findings)
        if findings:
            lines.append(
                f"fix: --repair sets {'it' if len(findings) == 1 else 'them'} aside (kept, "
                f"readable, in {names.snapshot.name}.quarantine-<time>.jsonl beside the database)"
            )
        if torn:
            lines.append(
                f"note: the journal ends with {torn} bytes of an interrupted write (never "
                "confirmed, ignored)"
            )
            lines.append("fix: --repair folds the journal into a fresh snapshot")
    except StoreTooNew as exc:
        return [f"problem: {exc}"]
    except (StoreError, _Broken) as exc:
        lines.append(f"problem: {exc}")
        plan = _restorable(names)
        if isinstance(plan, str):
            lines.append(f"problem: cannot restore automatically: {plan}")
        else:
            lines.append(f"fix: --repair restores {plan[3]}")
    lines.extend(permission_lines(names))
    lines.extend(archive_lines(names))
    for left_over in names.temps():
        lines.append(f"note: left-over temporary file {left_over.name} (removed by --repair)")
    return lines


def _load_current(names: FileNames) -> tuple[Tree, int, int, int, ArchiveInfo | None]:
    """The current state as the store would open it: (tree, seq, journal records, torn,
    the snapshot's archive header)."""
    if not names.snapshot.exists():
        raise _Broken(f"{names.snapshot}: the file is missing but other database files exist")
    tree, seq, archive = parse_snapshot(names.snapshot, read_bytes(names.snapshot))
    records, torn = _journal(names.journal)
    seq = _apply(names.journal, tree, seq, records, strict=True)
    _validate(names.snapshot, tree)
    return tree, seq, len(records), torn, archive


def _journal(path: Path) -> tuple[list[Record], int]:
    if not path.exists():
        return [], 0
    data = read_bytes(path)
    records, end = parse_journal(path, data, 0)
    return records, len(data) - end


def _apply(path: Path, tree: Tree, seq: int, records: list[Record], *, strict: bool) -> int:
    """Replay records newer than `seq` through the storage's own replay code."""
    todo = [r for r in records if r.seq > seq]
    if not strict:  # keep the part before a gap
        good = []
        for expected, record in enumerate(todo, start=seq + 1):
            if record.seq != expected:
                break
            good.append(record)
        todo = good
    return apply_records(path, seq, todo, lambda op: apply_op(tree, op, ()))


def _validate(path: Path, tree: Tree) -> None:
    meta = tree.get(META, {}).get("1")
    schema = meta.get("schema") if isinstance(meta, dict) else None
    if type(schema) is not int:
        raise _Broken(f"{path}: unexpected content: no schema version")
    if schema > SCHEMA:
        raise StoreTooNew(f"{path}: schema {schema} is newer than {SCHEMA}: upgrade leadtui")
    index = Index(path)
    index.reset(tree)
    for lead_id in index.leads:
        index.lead(lead_id)
    for doc_id in index.touch_docs:
        index.touch(doc_id)


def _describe(
    names: FileNames, tree: Tree, seq: int, records: int, archive: ArchiveInfo | None
) -> str:
    counts = [
        _count(len(tree.get("leads", {})), "lead"),
        _count(len(tree.get("touches", {})), "touch", "touches"),
        _count(len(tree.get("dnc", {})), "do-not-call number"),
        _count(len(tree.get("blitzes", {})), "blitz session"),
    ]
    size = names.snapshot.stat().st_size
    archived = ""
    if archive is not None:
        archived = (
            f"{archive.count(LEAD_IDS)} of the leads in the archive, in "
            f"{_count(len(archive.segments), 'segment')}; "
        )
    return (
        f"{', '.join(counts)} ({archived}up to record {seq}; snapshot {size} bytes, "
        f"{_count(records, 'journal record')})"
    )


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _needs_tidy(report: list[str]) -> bool:
    return any(line.startswith("fix:") for line in report) or any(
        "temporary file" in line or "left-over archive file" in line for line in report
    )


# --- restoring ----------------------------------------------------------------------------


def _restorable(names: FileNames) -> tuple[Tree, int, int, str] | str:
    """The best state to restore: (tree, seq, records lost, description) or why none."""
    journals: list[tuple[Path, list[Record]]] = []
    damaged_lines = 0
    for path in (names.journal_backup, names.journal):
        try:
            journals.append((path, _journal(path)[0]))
        except StoreDamaged:
            good, rest = _records_before_damage(path)
            journals.append((path, good))
            damaged_lines += rest
    bases: list[tuple[str, Tree, int]] = []
    if names.snapshot.exists():
        try:
            tree, seq, _ = parse_snapshot(names.snapshot, read_bytes(names.snapshot))
            bases.append((names.snapshot.name, tree, seq))
        except StoreError:
            pass
    if names.backup.exists():
        try:
            tree, seq, _ = parse_snapshot(names.backup, read_bytes(names.backup))
            bases.append((names.backup.name, tree, seq))
        except StoreError:
            pass
    bases.append((_EMPTY, initial_tree(), 0))
    reasons = []
    for label, tree, start in bases:
        try:
            seq = start
            for path, records in journals:
                seq = _apply(path, tree, seq, records, strict=False)
            if seq == 0 and label == _EMPTY:
                raise _Broken("nothing to rebuild from")
            _validate(names.snapshot, tree)
        except (StoreError, _Broken) as exc:
            reasons.append(f"{label}: {exc}")
            continue
        lost = len({r.seq for _, records in journals for r in records if r.seq > seq})
        lost += damaged_lines
        where = f"{label} + journals up to record {seq}"
        if lost:
            where += f" ({lost} later records cannot be applied and are set aside)"
        return tree, seq, lost, where
    return "; ".join(reasons)


def _records_before_damage(path: Path) -> tuple[list[Record], int]:
    """The valid records before the first damaged line, and how many lines follow it."""
    data = read_bytes(path)
    good: list[Record] = []
    pos = 0
    while (nl := data.find(b"\n", pos)) >= 0:
        try:
            records, _ = parse_journal(path, data[pos : nl + 1], pos)
        except StoreDamaged:
            records = []
        if not records:
            break
        good.extend(records)
        pos = nl + 1
    return good, data[pos:].count(b"\n")


def _repair(names: FileNames, report: list[str]) -> list[str]:
    done: list[str] = []
    for left_over in names.temps():
        left_over.unlink(missing_ok=True)
        done.append(f"repaired: removed {left_over.name}")
    if any(line.startswith("problem:") for line in report):
        if any("upgrade leadtui" in line for line in report):
            return [*done, "cannot repair: this database needs a newer leadtui"]
        plan = _restorable(names)
        if isinstance(plan, str):
            return [*done, f"cannot repair: {plan}"]
        tree, seq, _, where = plan
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept_files = (names.snapshot, names.journal, names.backup, names.journal_backup)
        for path in (*kept_files, *names.archives()):
            if path.exists():  # copies first: an interrupted repair can simply be rerun
                kept = path.with_name(f"{path.name}.damaged-{stamp}")
                keep_copy(path, kept, names)
                done.append(f"repaired: kept {path.name} as {kept.name}")
        restored = encode_snapshot(tree, seq)
        replace_atomically(names.snapshot, restored, names)
        names.journal.unlink(missing_ok=True)
        # The restored state is the last good state now: a later damage must restore from
        # it (the older .bak + .journal.bak no longer lead up to it). A copy, not a link:
        # damage written into the snapshot in place must not reach the backup.
        replace_atomically(names.backup, restored, names)
        names.journal_backup.unlink(missing_ok=True)
        fsync_dir(names.snapshot.parent)
        done.append(f"repaired: restored {names.snapshot.name} from {where}")
        done += remove_unnamed(names)  # (the restored state holds everything; copies kept)
    elif any("interrupted write" in line for line in report):
        tree, seq, _, _, _ = _load_current(names)
        compact_files(names, tree, seq)
        done.append("repaired: folded the journal into a fresh snapshot")
    if not any(line.startswith("problem:") for line in report) and any(
        "left-over archive file" in line for line in report
    ):
        done += remove_unnamed(names)
    for path in own_files(names):
        if chmod_private(path):
            done.append(f"repaired: {path.name} mode 0600")
    return done
