"""`doctor`'s checks of the database's files themselves, all made with lstat: a link, FIFO,
socket, device or folder where a file of ours should be (never followed or read; removed by
`--repair`), and loose modes (files set to 0600 through a descriptor opened without following
links; a folder is only noted: leadtui never changes a folder it did not create).

The archive files (`<database>.archive-<seq>-<hex>`, format 4) are files of ours too: each
one found by name is checked like the others; `archive_lines` lists those the snapshot and
`.bak` name, and notes the ones nothing names (left by an interrupted compaction; removed
by `--repair` and by the next compaction)."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime
from pathlib import Path

from leadtui.paths import fsync_dir
from leadtui.store.files import FileNames, named_archives, odd_file

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
    return (
        names.snapshot,
        names.journal,
        names.backup,
        names.journal_backup,
        names.lock,
        *names.archives(),
    )


def named(names: FileNames) -> set[str]:
    """The archive files the snapshot and `.bak` name."""
    return {*named_archives(names.snapshot), *named_archives(names.backup)}


def archive_lines(names: FileNames) -> list[str]:
    """The archive files: those in use (with their sizes), and left-overs nothing names."""
    lines = []
    in_use = named(names)
    for path in names.archives():
        if odd_file(path) is not None:
            continue  # (reported by `odd_lines`)
        if path.name in in_use:
            size = path.stat().st_size
            lines.append(f"ok: archive file {path.name} ({size} bytes)")
        else:
            lines.append(
                f"note: left-over archive file {path.name} (named by neither "
                f"{names.snapshot.name} nor {names.backup.name}; removed by --repair)"
            )
    return lines


def remove_unnamed(names: FileNames) -> list[str]:
    """Remove the archive files nothing names (see `archive_lines`)."""
    in_use = named(names)
    done = []
    for path in names.archives():
        if path.name in in_use or odd_file(path) is not None:
            continue
        path.unlink(missing_ok=True)
        done.append(f"repaired: removed the left-over archive file {path.name}")
    return done


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
