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
    Binding("g", "dial", "dial", show=True, id="dial",
            tooltip="Dial the lead: your softphone (dial_command) calls, or the number is "
                    "copied and shown large"),
    Binding("u", "undo", "undo", show=False, id="undo",
            tooltip="Undo the last touch you logged"),
    Binding("o", "note", "note", show=False, id="note", tooltip="Add a note to the lead"),
    Binding("y", "copy_phone", "copy phone", show=False, id="copy_phone",
            tooltip="Copy the phone number to the clipboard (works over SSH)"),
    Binding("Y", "copy_id", "copy id", show=False, id="copy_id",
            tooltip="Copy the lead's id (for leadtui show, plan, log, undo)"),
    Binding("r", "retry", "retry", show=True, id="retry",
            tooltip="Retry saving the outcomes that could not be written"),
]  # fmt: skip

PANE_BINDINGS: list[Binding] = [
    Binding("J,shift+down", "scroll_pane(1)", "scroll", show=False, id="pane_down",
            key_display="J/K", tooltip="Scroll the lead / script pane down (half a page)"),
    Binding("K,shift+up", "scroll_pane(-1)", "scroll up", show=False, id="pane_up",
            key_display="K", tooltip="Scroll the lead / script pane up"),
    Binding("z", "zoom", "zoom", show=False, id="zoom",
            tooltip="Zoom the lead / script pane to the full screen (z again: back)"),
]  # fmt: skip

VIEW_BINDINGS: list[Binding] = [
    Binding("slash", "filter", "filter", show=True, id="filter", key_display="/",
            tooltip="Filter by name, phone, email or source"),
    Binding("A", "toggle_all", "due/all", show=True, id="toggle_all",
            tooltip="Switch between the due queue and all active leads"),
    Binding("question_mark,f1", "help", "help", show=True, id="help", key_display="?",
            tooltip="Show every key"),
]  # fmt: skip

ESCAPE_BINDING = Binding("escape", "escape", "clear", show=False, id="clear",
                         tooltip="Clear the filter, hide the large number, leave the zoom")

WORKSTATION_BINDINGS: list[Binding] = (
    OUTCOME_BINDINGS + LEAD_BINDINGS + PANE_BINDINGS + VIEW_BINDINGS + [ESCAPE_BINDING]
)

QUIT_BINDING = Binding(
    "q", "quit", "quit", priority=True, id="quit", tooltip="Quit (releases your open lead)"
)

#: The footer (widgets/key_bar.py): groups of (binding id, label, tier). A group with a
#: label shows its keys then the label ('n h m t c log'); tier 1 shows at 80 columns,
#: tiers 2 and 3 join as the width allows.
FOOTER_GROUPS: tuple[tuple[str, tuple[tuple[str, str, int], ...]], ...] = (
    ("log", (
        ("no_answer", "", 1), ("vm_hangup", "", 1), ("vm_message", "", 1), ("talked", "", 1),
        ("callback", "", 1), ("appointment", "", 2), ("not_interested", "", 2),
        ("bad_number", "", 2), ("dnc", "", 2), ("won", "", 2), ("email_sent", "", 3),
        ("text_sent", "", 3),
    )),
    ("", (
        ("dial", "dial", 1), ("retry", "RETRY", 1), ("note", "note", 2), ("undo", "undo", 2),
        ("copy_phone", "copy", 3), ("copy_id", "copy id", 3),
    )),
    ("", (
        ("pane_down", "scroll", 1), ("zoom", "zoom", 2), ("blitz_pause", "pause", 1),
        ("blitz_next", "next", 1),
    )),
    ("", (
        ("filter", "filter", 2), ("toggle_all", "due/all", 3), ("blitz", "blitz", 3),
        ("report", "report", 3), ("help", "help", 1), ("blitz_end", "end", 1),
    )),
    ("", (("quit", "quit", 1),)),
)  # fmt: skip

#: Help-screen sections: (title, [(keys, what)]) for keys that are not bindings of our own.
MOVE_KEYS: list[tuple[str, str]] = [
    ("↑ ↓  j k", "move between leads"),
    ("PgUp PgDn", "a page up or down the queue"),
    ("Home End  G", "the first or the last lead (g dials)"),
    ("← →", "lead details / call script (narrow screens)"),
    ("ctrl+p", "command palette: themes, show all, import a CSV, blitz, report"),
]
