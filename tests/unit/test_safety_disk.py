"""Disk full and read-only data directory (issue 6): a clear error, never a false success.

Disk full is simulated with RLIMIT_FSIZE in the `leadtui` subprocess (SIGXFSZ ignored, so
a write past the limit is first short, then fails with EFBIG, exactly like ENOSPC from
the program's point of view). A read-only data directory is simulated in-process (as root,
chmod would not stop writes): every call that would create, write, rename, link, remove or
chmod a file under the home fails with EROFS, as on a read-only mount. Where the machine
allows mounting (root with CAP_SYS_ADMIN), one test also uses a real full and then
read-only tmpfs.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from safety_support import NOW, ROOT, hashes_without_lock, leadtui, ok, refused

from leadtui.cli import main

CSV = b"Name,Phone\nCat Ng,212-555-0121\nDan Oh,212-555-0122\nEve Park,212-555-0123\n"


def seeded(home: Path) -> tuple[str, str]:
    """Two confirmed leads, one with a confirmed touch."""
    first = ok(leadtui(home, "add", "--name", "Ann Lee", "--phone", "212-555-0111")).strip()
    second = ok(leadtui(home, "add", "--name", "Bob Roe", "--phone", "212-555-0112")).strip()
    ok(leadtui(home, "log", first, "no-answer", "--note", "rang once"))
    return first, second


def exported(home: Path) -> dict[str, dict]:
    leads = ok(leadtui(home, "export", "--format", "jsonl")).splitlines()
    return {lead["id"]: lead for lead in map(json.loads, leads)}


def test_disk_full_add_log_import_fail_clearly_and_keep_every_confirmed_write(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    first, second = seeded(home)
    before = exported(home)
    files = hashes_without_lock(home)
    journal = home / "leads.json.journal"
    csv_file = tmp_path / "in.csv"
    csv_file.write_bytes(CSV)
    # each write below starts, comes up short, then fails: room for a few bytes more than
    # the journal the small writes append to, a few bytes less than the fresh snapshot the
    # import writes
    probe = tmp_path / "probe"  # the same import where there is room: the snapshot it writes
    shutil.copytree(home, probe)
    ok(leadtui(probe, "import", str(csv_file)))
    limits = {
        "import": (probe / "leads.json").stat().st_size - 7,
        "journal": journal.stat().st_size + 7,
    }
    attempts = [
        ("add", "--name", "Cy Full", "--phone", "212-555-0113"),
        ("add", "--name", "Ann Again", "--phone", "212-555-0111"),  # a duplicate: an inquiry
        ("log", first, "vm-message", "--note", "disk is full"),
        ("log", second, "dnc"),
        ("undo", first),
        ("import", str(csv_file)),
        ("import", "-"),
    ]
    for argv in attempts:
        limit = limits["import" if argv[0] == "import" else "journal"]
        result = leadtui(home, *argv, fsize=limit, stdin=CSV)
        line = refused(result)
        # an import writes a fresh snapshot (or its spool) in the data folder, not the journal
        where = str(home) if argv[0] == "import" else str(journal)
        assert where in line and "nothing was saved" in line, line
        assert result.stdout == b"", (argv, result.stdout)  # no id, no "logged", no "imported"
    assert hashes_without_lock(home) == files  # the short writes were cut off again
    assert exported(home) == before
    assert "problem:" not in ok(leadtui(home, "doctor"))
    # and once there is room again, the same writes work
    ok(leadtui(home, "log", first, "vm-message"))
    assert ok(leadtui(home, "import", str(csv_file))).startswith("imported 3,")


def test_disk_full_while_creating_the_database(tmp_path: Path) -> None:
    home = tmp_path / "fresh"
    line = refused(leadtui(home, "add", "--name", "Ann Lee", "--phone", "212-555-0111", fsize=40))
    assert str(home / "leads.json") in line and "File too large" in line
    assert not (home / "leads.json").exists()
    assert not list(home.glob("leads.json.tmp-*"))
    ok(leadtui(home, "add", "--name", "Ann Lee", "--phone", "212-555-0111"))


def test_disk_full_during_compaction_still_reports_a_durable_write(tmp_path: Path) -> None:
    """The journal append succeeds, the bigger snapshot cannot be written: the write is
    durable (in the journal), so success is the truth, and nothing is lost."""
    home = tmp_path / "home"
    env = {"LEADTUI_STORE_COMPACT_BYTES": "200"}
    ids = [
        ok(leadtui(home, "add", f"--name=Lead {n}", f"--phone=212-555-01{n:02d}", env=env)).strip()
        for n in range(12)
    ]
    snapshot = (home / "leads.json").stat().st_size
    assert snapshot > 1500  # compactions happened while adding
    limit = snapshot + 40  # the journal fits, a new (bigger) snapshot does not
    for lead_id in ids[:3]:
        ok(leadtui(home, "log", lead_id, "no-answer", env=env, fsize=limit))
    assert (home / "leads.json").stat().st_size == snapshot  # compaction failed each time
    assert not list(home.glob("leads.json.tmp-*"))
    data = exported(home)
    assert [len(data[lead_id]["touches"]) for lead_id in ids[:4]] == [1, 1, 1, 0]
    assert "problem:" not in ok(leadtui(home, "doctor"))


ROLLBACK = r"""
import resource, signal, sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import LeadDraft, LeadStatus, Outcome
from leadtui.store.protocol import StoreError
from leadtui.store.repository import open_store

signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
db = Path(sys.argv[1]) / "leads.json"
t0 = datetime(2025, 3, 10, 18, tzinfo=UTC)
def draft(name, phone, email=""):
    return LeadDraft(name, phone, email, "web", "America/New_York", t0)
store = open_store(db, cadence=load_cadence())
ann = store.add_leads([draft("Ann", "+12125550101", "ann@example.com")], t0)[0].lead
store.log_touch(ann.id, Outcome.NO_ANSWER, t0, note="first")
store.claim(ann.id, "Sam", "s1", t0, 120)
seen = (store.leads(), store.touches_by_lead(), store.claims(t0), store.get_lead(ann.id))
journal = db.with_name("leads.json.journal")
size = journal.stat().st_size
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 5, resource.RLIM_INFINITY))
failed = 0
for attempt in (
    lambda: store.log_touch(ann.id, Outcome.DNC, t0 + timedelta(minutes=1)),
    lambda: store.log_touch(ann.id, Outcome.TALKED, t0 + timedelta(minutes=1)),
    lambda: store.add_leads([draft("Bob", "+12125550102", "bob@example.com")], t0),
    lambda: store.add_leads([draft("Ann 2", "+1 212 555 0101")], t0),
    lambda: store.undo_last_touch(ann.id),
    lambda: store.add_note(ann.id, "full", t0),
    lambda: store.claim(ann.id, "Sam", "s1", t0 + timedelta(seconds=30), 120),  # a renewal
    lambda: store.release("s1"),
):
    try:
        attempt()
    except StoreError as exc:
        assert "nothing was saved" in str(exc), exc
        failed += 1
    # the same instance must not show the failed write on its next read
    assert (store.leads(), store.touches_by_lead(), store.claims(t0),
            store.get_lead(ann.id)) == seen
    assert not store.is_dnc("+12125550101")
    assert journal.stat().st_size == size
assert failed == 8, failed
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
# the indexes were rolled back too: Bob is new (not a duplicate), Ann can be called
assert store.add_leads([draft("Bob", "+12125550102", "bob@example.com")], t0)[0].created
store.log_touch(ann.id, Outcome.VM_HANGUP, t0 + timedelta(minutes=2))
assert [t.note for t in store.touches(ann.id)] == ["first", ""]
store.close()
again = open_store(db, cadence=load_cadence())
assert [lead.name for lead in again.leads()] == ["Ann", "Bob"]
assert [t.outcome for t in again.touches(ann.id)] == [Outcome.NO_ANSWER, Outcome.VM_HANGUP]
assert again.get_lead(ann.id).status is LeadStatus.WORKING
print("ok")
"""


def test_a_long_lived_store_rolls_back_memory_when_a_write_fails(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", ROLLBACK, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and result.stdout == "ok\n", result.stderr


# --- read-only data directory -------------------------------------------------------------

_WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def make_read_only(monkeypatch: pytest.MonkeyPatch, root: Path) -> list[str]:
    """Make every change under `root` fail with EROFS, like a read-only mount; returns
    the list of refused calls."""
    prefix = str(root.resolve())
    refused_calls: list[str] = []

    def inside(path: object) -> bool:
        if isinstance(path, int):
            return False
        return os.path.abspath(os.fsdecode(path)).startswith(prefix)  # type: ignore[arg-type]

    def erofs(name: str, path: object) -> OSError:
        refused_calls.append(f"{name} {path}")
        return OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))  # type: ignore

    real_open = os.open

    def fake_open(path, flags, mode=0o777, *, dir_fd=None):  # noqa: ANN001
        if flags & _WRITES and inside(path):
            if flags & os.O_CREAT and flags & os.O_EXCL and os.path.exists(path):
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), path)
            raise erofs("open", path)
        return real_open(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "open", fake_open)
    for name in ("chmod", "mkdir", "replace", "rename", "link", "unlink", "rmdir", "truncate"):
        real = getattr(os, name)

        def fake(path, *args, __real=real, __name=name, **kwargs):  # noqa: ANN001
            if inside(path):
                raise erofs(__name, path)
            return __real(path, *args, **kwargs)

        monkeypatch.setattr(os, name, fake)
    return refused_calls


def run(capsys: pytest.CaptureFixture[str], home: Path, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--home", str(home), "--now", NOW, *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_read_only_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    first, _ = seeded(home)
    before = exported(home)
    files = {**hashes_without_lock(home), "lock": (home / "leads.json.lock").read_bytes()}
    csv_file = tmp_path / "in.csv"
    csv_file.write_bytes(CSV)
    calls = make_read_only(monkeypatch, home)

    for argv in (
        ("add", "--name", "Ro Only", "--phone", "212-555-0119"),
        ("log", first, "vm-hangup"),
        ("undo", first),
        ("import", str(csv_file)),
        ("export", "--output", str(home / "out.csv")),
        ("doctor", "--repair"),
    ):
        code, out, err = run(capsys, home, *argv)
        if argv[0] == "doctor":  # nothing to repair: a healthy database is left alone
            assert code == 0 and "problem:" not in out
            continue
        assert code == 1, (argv, out, err)
        assert out == "", (argv, out)  # nothing reported as done
        (line,) = err.splitlines()
        assert "Read-only file system" in line and str(home) in line, line
    # reading still works on a read-only data directory
    for argv in (("queue", "--all"), ("show", first), ("export",), ("doctor",)):
        code, out, err = run(capsys, home, *argv)
        assert code == 0 and err == "", (argv, err)
    assert calls  # the simulation did refuse writes
    monkeypatch.undo()
    assert {**hashes_without_lock(home), "lock": (home / "leads.json.lock").read_bytes()} == files
    assert exported(home) == before


def test_data_directory_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    for home in (blocker / "sub", blocker):
        for argv in (("add", "--name", "A B", "--phone", "212-555-0101"), ("queue",)):
            line = refused(leadtui(home, *argv))
            assert str(blocker) in line


# --- a real file system, where this machine allows mounting one ---------------------------


@pytest.fixture
def tmpfs(tmp_path: Path):
    mount = tmp_path / "mnt"
    mount.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode(errors='replace')}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_real_full_then_read_only_file_system(tmpfs: Path) -> None:
    home = tmpfs / "home"
    first, _ = seeded(home)
    filler = tmpfs / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:  # fill the file system to the last byte
        for size in (4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    confirmed = exported(home)
    # the journal's last block may still have room: write until the disk is really full
    for _ in range(40):
        result = leadtui(home, "log", first, "email", "--note", "x" * 900)
        if result.returncode:
            line = refused(result)
            assert "No space left on device" in line and "nothing was saved" in line
            assert result.stdout == b""
            break
        confirmed = exported(home)
    else:
        pytest.fail("the file system never filled up")
    assert exported(home) == confirmed
    filler.unlink()
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    line = refused(leadtui(home, "log", first, "no-answer"))
    assert "Read-only file system" in line and "leads.json.journal" in line
    assert exported(home) == confirmed  # reads work on a read-only mount
    ok(leadtui(home, "queue", "--all"))


def test_disk_full_during_repair_and_export(tmp_path: Path) -> None:
    home = tmp_path / "home"
    seeded(home)
    expected = exported(home)
    target = tmp_path / "leads.csv"
    target.write_text("an older export\n")
    line = refused(leadtui(home, "export", "--output", str(target), fsize=60))
    assert str(target) in line and "File too large" in line
    assert target.read_text() == "an older export\n"  # untouched, no half-written file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "leads.csv"]

    (home / "leads.json").write_bytes(b"")
    line = refused(leadtui(home, "doctor", "--repair", fsize=60))
    assert str(home / "leads.json") in line and "the repair stopped: File too large" in line
    assert (home / "leads.json").read_bytes() == b""  # still the damaged file, not half a new one
    assert not list(home.glob("leads.json.tmp-*"))
    report = ok(leadtui(home, "doctor", "--repair"))
    assert "repaired: restored" in report and "left-over" not in report
    assert not list(home.glob("leads.json.tmp-*"))
    assert exported(home) == expected
