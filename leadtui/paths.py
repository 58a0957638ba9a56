"""Where leadtui keeps its files. `--home` or `$LEADTUI_HOME` puts everything in one folder."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "leadtui"


@dataclass(frozen=True, slots=True)
class Paths:
    """The folders and files leadtui uses."""

    data_dir: Path
    config_dir: Path

    @property
    def db(self) -> Path:
        return self.data_dir / "leads.json"

    @property
    def config(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def themes(self) -> Path:
        return self.config_dir / "themes"

    @property
    def scripts(self) -> Path:
        return self.config_dir / "scripts"

    def as_dict(self) -> dict[str, str]:
        return {
            "data_dir": str(self.data_dir),
            "db": str(self.db),
            "config": str(self.config),
            "themes": str(self.themes),
        }


def resolve_paths(home: str | os.PathLike[str] | None = None) -> Paths:
    """`home` (the `--home` flag), else `$LEADTUI_HOME`, else the platform's usual folders."""
    home = home or os.environ.get("LEADTUI_HOME") or None
    if home:
        base = Path(home).expanduser().resolve()
        return Paths(data_dir=base, config_dir=base)
    return Paths(
        data_dir=Path(platformdirs.user_data_dir(APP)),
        config_dir=Path(platformdirs.user_config_dir(APP)),
    )


def ensure_private_dir(path: Path) -> None:
    """Create `path` and any missing parents, each with mode 0700 whatever the umask, and
    make each new name durable (the parent folder is fsynced).

    A folder that already exists is never changed: not `/tmp`, not a symbolic link's
    target, not a shared read-only one (`leadtui doctor` says when its mode lets others in).
    """
    if path.is_dir():
        return
    missing: list[Path] = []
    probe = path
    while not probe.is_dir():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            if folder.is_dir():
                continue  # made meanwhile by someone else: theirs, left as it is
            raise
        os.chmod(folder, 0o700, follow_symlinks=False)  # the one we just made (umask)
        fsync_dir(folder.parent)


def fsync_dir(directory: Path) -> None:
    """Make new names and renames in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private_file(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically with mode 0600, whatever the umask.

    The file appears complete or not at all (a temporary file in the same folder is
    fsynced, then renamed over `path`, and the folder fsynced). A path that exists but is
    not a regular file (a FIFO, /dev/stdout) is written to directly.
    """
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        return
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(directory)  # the rename itself survives a crash
