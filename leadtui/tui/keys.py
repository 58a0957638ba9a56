"""The one registry of key bindings: every screen, the help screen, the palette hints and
the `[keymap]` check read them from here.

Every binding has an `id` (remap it in config.toml under `[keymap]`, e.g. `no_answer = "1"`)
and a tooltip. `BINDING_IDS` is every id a keymap may name; a binding added anywhere else
is not remappable (a test says so). Only quit and the command palette are priority
bindings, so a text input still receives every letter.
"""

from __future__ import annotations

from collections.abc import Mapping

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

#: App keys outside the workstation's own: the blitz and the report (tui/modes.py).
APP_BINDINGS: list[Binding] = [
    Binding("B", "blitz", "blitz", show=False, id="blitz",
            tooltip="Start a call blitz: a timed block of dialing"),
    Binding("R", "report", "report", show=False, id="report",
            tooltip="Report: speed to lead, contact rate, persistency"),
]  # fmt: skip

#: The lead queue's own movement keys (widgets/lead_queue.py).
QUEUE_BINDINGS: list[Binding] = [
    Binding("j", "cursor_down", "Down", show=False, id="queue.down",
            tooltip="Move to the next lead"),
    Binding("k", "cursor_up", "Up", show=False, id="queue.up",
            tooltip="Move to the previous lead"),
    Binding("home", "scroll_top", "First", show=False, id="queue.first",
            tooltip="Go to the first lead"),
    Binding("end,G", "scroll_bottom", "Last", show=False, id="queue.last",
            tooltip="Go to the last lead"),
    Binding("left", "screen.pane('detail')", "Lead", show=False, id="pane_detail",
            tooltip="Show the lead's details (narrow screens)"),
    Binding("right", "screen.pane('script')", "Script", show=False, id="pane_script",
            tooltip="Show the call script (narrow screens)"),
]  # fmt: skip

#: The blitz screen's keys besides the outcome and lead keys (screens/blitz.py).
BLITZ_BINDINGS: list[Binding] = [
    Binding("p", "pause", "pause", id="blitz_pause", tooltip="Pause or resume the countdown"),
    Binding("j,down", "skip(1)", "next lead", id="blitz_next", key_display="j",
            tooltip="Skip to the next due lead"),
    Binding("k,up", "skip(-1)", "previous", show=False, id="blitz_previous",
            tooltip="Back to the previous due lead"),
    Binding("escape", "end", "end", id="blitz_end",
            tooltip="End the blitz now (kept as ended early)"),
    Binding("question_mark,f1", "help", "help", show=False, id="help", key_display="?",
            tooltip="Show every key"),
]  # fmt: skip

#: The report's tabs, in the order of their number keys.
REPORT_TABS = ("summary", "sources", "speed", "hours", "attempts", "blitzes", "reps")

#: The report screen's keys (screens/report.py).
REPORT_BINDINGS: list[Binding] = [
    Binding("escape", "close", "back", id="report.close", tooltip="Back to the workstation"),
    Binding("f", "source", "source", id="report.source",
            tooltip="Only leads from one source (empty: all)"),
    Binding("s", "since", "since", id="report.since",
            tooltip="Only leads received since a date (empty: all)"),
    Binding("g", "reload", "reload", show=False, id="report.reload",
            tooltip="Compute the report again"),
    *[Binding(str(n), f"tab('{tab}')", tab, show=False, id=f"report.tab_{tab}",
              tooltip=f"Show the {tab} tab") for n, tab in enumerate(REPORT_TABS, start=1)],
]  # fmt: skip

#: Every binding a `[keymap]` in config.toml may remap, in help order.
REMAPPABLE: tuple[Binding, ...] = (
    *WORKSTATION_BINDINGS, QUIT_BINDING, *APP_BINDINGS, *QUEUE_BINDINGS, *BLITZ_BINDINGS,
    *REPORT_BINDINGS,
)  # fmt: skip

#: Every binding id a keymap may name.
BINDING_IDS: frozenset[str] = frozenset(b.id for b in REMAPPABLE if b.id)

#: The command palette's leadtui entries (ctrl+p): (name, what it does, action, binding
#: id). An entry with a binding shows that binding's key, as remapped, after its help.
PALETTE: tuple[tuple[str, str, str, str], ...] = (
    ("Show all active leads / due queue", "Toggle the queue view", "toggle_all", "toggle_all"),
    ("Filter leads", "By name, phone, email or source", "filter", "filter"),
    ("Import leads from a CSV file", "Type the file's path", "app.import_csv", ""),
    ("Retry unsaved outcomes", "Write them to disk again now", "retry", "retry"),
    ("Undo last touch", "Remove the last touch you logged", "undo", "undo"),
    ("Copy phone number", "Of the lead under the cursor", "copy_phone", "copy_phone"),
    ("Add a note", "To the lead under the cursor", "note", "note"),
    ("Help: keys", "Every key and what the marks mean", "help", "help"),
    ("Rep details", "Your name and phone for the scripts", "app.rep_details", ""),
    ("Start a call blitz", "A timed block of dialing with a countdown and tallies",
     "app.blitz", "blitz"),
    ("Report", "Speed to lead, contact rate, persistency, by source; blitz history",
     "app.report", "report"),
)  # fmt: skip

_DISPLAY = {"question_mark": "?", "slash": "/", "f1": "F1"}


def key_label(binding: Binding, keymap: Mapping[str, str]) -> str:
    """The keys that trigger a binding now, for people: 'n', '? F1'."""
    keys = keymap.get(binding.id or "", binding.key)
    return " ".join(_DISPLAY.get(k.strip(), k.strip()) for k in keys.split(","))


def by_id(binding_id: str) -> Binding:
    """The registered binding with this id (KeyError for an unknown one)."""
    for binding in REMAPPABLE:
        if binding.id == binding_id:
            return binding
    raise KeyError(binding_id)


def palette_entries(keymap: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """The palette's (name, help, action), each help ending in its first key: '... (A)'."""
    entries = []
    for name, what, action, binding_id in PALETTE:
        if binding_id:
            what += f" ({key_label(by_id(binding_id), keymap).split()[0]})"
        entries.append((name, what, action))
    return entries


#: Help-screen sections: (title, [(keys, what)]) for keys that are not bindings of our own.
MOVE_KEYS: list[tuple[str, str]] = [
    ("↑ ↓  j k", "move between leads"),
    ("PgUp PgDn", "a page up or down the queue"),
    ("Home End  G", "the first or the last lead (g dials)"),
    ("← →", "lead details / call script (narrow screens)"),
    ("ctrl+p", "command palette: themes, show all, import a CSV, blitz, report"),
]
