"""Where leadtui keeps its files. `--home` or `$LEADTUI_HOME` puts everything in one folder."""

from __future__ import annotations

import os
import stat
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
    """Create `path` (and parents) with mode 0700, whatever the umask.

    An existing folder is tightened to 0700 only when it is not already: a private folder
    on a read-only file system must stay readable (chmod would fail there)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if stat.S_IMODE(path.stat().st_mode) != 0o700:
        os.chmod(path, 0o700)


def write_private_file(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` atomically with mode 0600, whatever the umask.

    The file appears complete or not at all (a temporary file in the same folder is
    fsynced, then renamed over `path`). A path that exists but is not a regular file
    (a FIFO, /dev/stdout) is written to directly.
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
