"""An unexpected exception in a handler is shown, logged, and never ends the workstation.

Textual ends the app on any exception that escapes a handler (`App._handle_exception`, a
private method, panics and exits; the handler's message loop stops too), so overriding it
would leave a screen that no longer answers. Public API only: the handlers themselves never
let an exception escape. Every class that takes `Guarded` as a base has its handlers
(`action_*`, `on_*`, `_on_*`, `watch_*`, and any method marked `@guarded`, e.g. timer
callbacks) wrapped, in the class and in the leadtui classes it inherits from (the app's
`Writes` and `LiveQueue` take it as a base too): an exception becomes a toast ("Something
went wrong ...; your outcomes are kept") and a traceback appended to `errors.log` in the
data folder (0600, never through a link), and the app goes on with its outbox intact.
Textual's own control-flow exceptions (`SkipAction`) pass, and so does task cancellation.
"""

from __future__ import annotations

import functools
import inspect
import os
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from textual.actions import SkipAction

__all__ = ["Guarded", "LOG_NAME", "guarded", "report_error"]

LOG_NAME = "errors.log"
_LOG_LIMIT = 1_000_000  # bytes; the log is started afresh (old one kept as .1) past this
_PREFIXES = ("action_", "on_", "_on_", "watch_")
_SKIP = frozenset({"on_event"})  # Textual's dispatcher itself: its errors are Textual's
_MARK = "_leadtui_guarded"

F = TypeVar("F", bound=Callable[..., Any])


def guarded(method: F) -> F:
    """Mark a method (a timer or thread callback) to be guarded like a handler."""
    setattr(method, _MARK, False)
    return method


def _wrap(method: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def run_async(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return await method(self, *args, **kwargs)
            except SkipAction:
                raise
            except Exception as exc:
                report_error(self, method.__qualname__, exc)
                return None

        wrapper: Callable[..., Any] = run_async
    else:

        @functools.wraps(method)
        def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except SkipAction:
                raise
            except Exception as exc:
                report_error(self, method.__qualname__, exc)
                return None

        wrapper = run
    setattr(wrapper, _MARK, True)
    return wrapper


def _guard(cls: type) -> None:
    for klass in cls.__mro__:
        if not klass.__module__.startswith("leadtui."):
            continue
        for name, value in list(vars(klass).items()):
            if not inspect.isfunction(value) or getattr(value, _MARK, None) is True:
                continue
            marked = getattr(value, _MARK, None) is False
            if marked or (name.startswith(_PREFIXES) and name not in _SKIP):
                setattr(klass, name, _wrap(value))


class Guarded:
    """Base for leadtui's App, screens and widgets: handlers never end the app."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _guard(cls)


def report_error(node: Any, where: str, exc: BaseException) -> None:
    """Toast the error and append its traceback to the data folder's errors.log."""
    app = getattr(node, "app", node)
    path = _log_path(app)
    written = _append(path, where, exc) if path is not None else False
    detail = f"details in {path}" if written else "it could not be logged"
    unsaved = len(getattr(app, "outbox", ()))
    kept = f" {unsaved} unsaved outcome(s) are kept." if unsaved else ""
    try:
        app.bell()
        app.notify(
            f"Something went wrong ({type(exc).__name__}: {str(exc)[:200]}); {detail}. "
            f"The workstation keeps running.{kept}",
            title="Unexpected error",
            severity="error",
            markup=False,
            timeout=12,
        )
    except Exception:  # noqa: S110 - the app is shutting down: nothing left to tell
        pass


def _log_path(app: Any) -> Path | None:
    paths = getattr(app, "paths", None)
    data_dir = getattr(paths, "data_dir", None)
    return Path(data_dir) / LOG_NAME if data_dir is not None else None


def _append(path: Path, where: str, exc: BaseException) -> bool:
    stamp = datetime.now(UTC).isoformat(timespec="seconds")  # real time: for the log only
    text = f"--- {stamp} in {where}\n" + "".join(traceback.format_exception(exc))
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW
    try:
        if path.exists() and path.stat().st_size > _LOG_LIMIT and not path.is_symlink():
            os.replace(path, path.with_name(path.name + ".1"))
        fd = os.open(path, flags | os.O_NONBLOCK, 0o600)
    except OSError:
        return False
    try:
        import stat

        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        os.write(fd, text.encode("utf-8", "backslashreplace"))
    except OSError:
        return False
    finally:
        os.close(fd)
    return True
