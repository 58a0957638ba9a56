"""The workstation's key bindings, in one place, so screens and the help screen share them.

Every binding has an `id` (remap it in config.toml under `[keymap]`, e.g. `no_answer = "1"`)
and a tooltip. Only quit and the command palette are priority bindings, so a text input
still receives every letter.
"""

from __future__ import annotations

from textual.binding import Binding

LOG_OUTCOME = Binding.Group("Log outcome", compact=False)

#: outcome value -> (binding id, default key, short label shown in the footer, tooltip)
OUTCOME_KEYS: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("no-answer", "no_answer", "n", "no answer", "Called: nobody answered", True),
    ("vm-hangup", "vm_hangup", "h", "vm hang-up", "Voicemail: hung up, no message", True),
    ("vm-message", "vm_message", "m", "vm message", "Voicemail: left the message", True),
    ("talked", "talked", "t", "talked", "Talked with the lead", True),
    ("callback", "callback", "c", "callback", "They asked to be called back at a time", True),
    ("appointment", "appointment", "a", "appointment", "Booked the next step at a time", False),
    ("not-interested", "not_interested", "x", "not interested", "Not interested", False),
    ("bad-number", "bad_number", "b", "bad number", "Wrong or dead number", False),
    ("dnc", "dnc", "d", "do not call", "Asked never to be called (asks to confirm)", False),
    ("won", "won", "w", "won", "Won: the deal is done", False),
    ("email", "email_sent", "e", "email sent", "Sent an email", False),
    ("text", "text_sent", "s", "text sent", "Sent a text message", False),
)

OUTCOME_BINDINGS: list[Binding] = [
    Binding(key, f"log('{outcome}')", label, show=show, id=binding_id, tooltip=tip,
            group=LOG_OUTCOME)
    for outcome, binding_id, key, label, tip, show in OUTCOME_KEYS
]  # fmt: skip

LEAD_BINDINGS: list[Binding] = [
    Binding("u", "undo", "undo", show=False, id="undo",
            tooltip="Undo the last touch you logged"),
    Binding("o", "note", "note", show=False, id="note", tooltip="Add a note to the lead"),
    Binding("y", "copy_phone", "copy phone", show=False, id="copy_phone",
            tooltip="Copy the phone number to the clipboard (works over SSH)"),
    Binding("r", "retry", "retry", show=True, id="retry",
            tooltip="Retry saving the outcomes that could not be written"),
]  # fmt: skip

VIEW_BINDINGS: list[Binding] = [
    Binding("slash", "filter", "filter", show=True, id="filter", key_display="/",
            tooltip="Filter by name, phone, email or source"),
    Binding("A", "toggle_all", "due/all", show=True, id="toggle_all",
            tooltip="Switch between the due queue and all active leads"),
    Binding("question_mark,f1", "help", "help", show=True, id="help", key_display="?",
            tooltip="Show every key"),
]  # fmt: skip

WORKSTATION_BINDINGS: list[Binding] = OUTCOME_BINDINGS + LEAD_BINDINGS + VIEW_BINDINGS

QUIT_BINDING = Binding(
    "q", "quit", "quit", priority=True, id="quit", tooltip="Quit (releases your open lead)"
)

#: Help-screen sections: (title, [(keys, what)]) for keys that are not bindings of our own.
MOVE_KEYS: list[tuple[str, str]] = [
    ("↑ ↓  j k", "move between leads"),
    ("PgUp PgDn", "a page up or down the queue"),
    ("Home End  g G", "the first or the last lead"),
    ("← →", "lead details / call script (narrow screens)"),
    ("ctrl+p", "command palette: themes, show all, import a CSV, blitz, report"),
]
