"""No key goes astray: keys typed in one burst reach the prompt the first key opened.

Over SSH a fast typist's keys arrive in one packet (`c10am`, `aq`, `/holl`). Textual hands
each key to the focused widget and resolves its binding later, when the key bubbles back
up, so the keys after `c` reach the workstation before the callback prompt exists. Here:

- On the workstation and the blitz (no text input focused) each key's binding is run at
  once, in arrival order, through the public `Screen.active_bindings` and `App.run_action`.
- A key that opens something (a prompt flow, a dialog, the filter) calls `hold()`: every
  key after it is kept (quit included: nothing quits with a prompt pending) until the
  thing is up and focused, which calls `let_go()`; the kept keys then go to it in order.
- In a dialog, Enter and the dialog's own keys (y, n, Esc) hold the keys after them: the
  dialog closes (and the keys go to the screen behind it, or to the next prompt of the
  same flow) or stays open (an answer it cannot read) and takes them itself.
- A safety timer releases kept keys after `HOLD_LIMIT_SECONDS` whatever happens.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from textual import events
from textual.message import Message
from textual.widgets import Input

if TYPE_CHECKING:
    from textual.timer import Timer

    from leadtui.tui.app import LeadApp

HOLD_LIMIT_SECONDS = 2.0


class KeysReleased(Message):
    """Hand the kept keys on (posted to the app, so it comes after keys already queued)."""

    def __init__(self, generation: int) -> None:
        super().__init__()
        self.generation = generation


class KeyHold:
    """The app's key router (owned by `LeadApp`)."""

    def __init__(self, app: LeadApp) -> None:
        self.app = app
        self.kept: deque[events.Key] = deque()
        self.holding = False
        self._generation = 0  # a release meant for an earlier hold does not end a newer one
        self._timer: Timer | None = None

    def hold(self) -> None:
        """Keep every key from now until `let_go()` (or the safety timer)."""
        self.holding = True
        self._generation += 1
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.app.set_timer(HOLD_LIMIT_SECONDS, self.let_go)

    def let_go(self) -> None:
        """Let the kept keys go once the keys already queued before this call are in."""
        if self.holding:
            self.app.post_message(KeysReleased(self._generation))

    async def flush(self, generation: int) -> None:
        """Deliver the kept keys in order; stop if one of them holds again."""
        if generation != self._generation or not self.holding:
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.holding = False
        while self.kept and not self.holding:
            await self.app.on_event(self.kept.popleft())

    async def route(self, event: events.Key) -> bool:
        """Keep or run a fresh key; False leaves it to Textual's usual path."""
        if self.holding:
            self.kept.append(event)
            return True
        app = self.app
        screen = app.screen
        if getattr(screen, "CLOSES_ON_KEYS", False):
            # In a dialog, Enter (an input's submit) and the dialog's own keys (y, n, Esc)
            # may close it: keep what follows until it is closed or known to stay open.
            active = screen.active_bindings.get(event.key)
            if event.key == "enter" or (active is not None and active.node is screen):
                self.hold()
            return False
        if not getattr(screen, "ROUTES_KEYS", False) or isinstance(app.focused, Input):
            return False
        active = screen.active_bindings.get(event.key)
        if active is None or not active.enabled:
            return False
        await app.run_action(active.binding.action, active.node)
        return True
