"""`doctor`'s checks of the database's files themselves, all made with lstat: a link, FIFO,
socket, device or folder where a file of ours should be (never followed or read; removed by
`--repair`), and loose modes (files set to 0600 through a descriptor opened without following
links; a folder is only noted: leadtui never changes a folder it did not create)."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

from leadtui.paths import fsync_dir
from leadtui.store.files import FileNames, odd_file

ODD = "problem: not ours:"


def permission_lines(names: FileNames) -> list[str]:
    """Loose modes, seen with lstat (a link is never followed). The folder is only noted:
    leadtui never changes a folder it did not create (a shared one may be open on purpose)."""
    lines = []
    directory = names.snapshot.parent
    if stat.S_IMODE(directory.stat().st_mode) & 0o077:
        lines.append(
            f"note: {directory} is readable by others (leadtui makes its own folders 0700 "
            "but never changes an existing one: `chmod 700` it if it should be private)"
        )
    loose = False
    for path in own_files(names):
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
            lines.append(f"note: {path.name} is readable by others (mode should be 0600)")
            loose = True
    if loose:
        lines.append("fix: --repair sets the files' modes to 0600")
    return lines


def own_files(names: FileNames) -> tuple[Path, ...]:
    return (names.snapshot, names.journal, names.backup, names.journal_backup, names.lock)


def odd_lines(names: FileNames) -> list[str]:
    """A link, FIFO, socket, device or folder where a file of ours should be."""
    lines = []
    for path in own_files(names):
        kind = odd_file(path)
        if kind is not None:
            target = f" to {os.readlink(path)}" if path.is_symlink() else ""
            lines.append(f"{ODD} {path.name} is {kind}{target}, not a regular file (never "
                         "followed or read)")  # fmt: skip
    if lines:
        lines.append("fix: --repair removes it (a link's target is left as it is) and "
                     "recreates what is needed")  # fmt: skip
    return lines


def remove_odd(names: FileNames) -> list[str]:
    done = []
    for path in own_files(names):
        kind = odd_file(path)
        if kind is None:
            continue
        if kind == "a folder":
            kept = path.with_name(f"{path.name}.not-a-file-{_stamp()}")
            os.rename(path, kept)
            done.append(f"repaired: moved the folder {path.name} aside as {kept.name}")
        else:
            path.unlink()  # removes the link itself, never its target
            done.append(f"repaired: removed {path.name} ({kind})")
    if done:
        fsync_dir(names.snapshot.parent)
    return done


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def chmod_private(path: Path) -> bool:
    """Set a regular file of ours to 0600 through a descriptor opened without following a
    link; False when it is not a regular file (then it is left alone)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or stat.S_IMODE(info.st_mode) == 0o600:
            return False
        os.fchmod(fd, 0o600)
        return True
    finally:
        os.close(fd)
