"""The use-case layer: each thing a rep (or an intake service) can do, written once.

The faces (the TUI in `leadtui.tui`, the CLI in `leadtui.subcommands`, the intake services)
call these functions; they never call the store's write methods themselves (an AST test in
tests/unit/test_layers.py says so). Nothing here imports Textual; below this layer sit the
store (`leadtui.store`, behind the `LeadStore` protocol), the file formats (`leadtui.io`)
and the pure domain (`leadtui.domain`).

One module per use-case family:

- `add_lead`: the one way a lead comes in (`leadtui add`, the webhook, the mailbox): one
  lead, or a batch of arrivals in one durable write.
- `leads`: store prepared drafts, import a CSV file, a lead with its next action, a plan.
- `outcomes`: log an outcome (`--when`, the window override), add a note, undo.
- `queue`: rank the call queue (the CLI's table and the TUI's snapshot share it).
- `claims`: which rep has which lead open.
- `reports`: the report and the blitz records.
- `gateway`: one workstation's serialised way to all of the above (worker threads).

Who checks what: the store owns the refusals (`check_touch`: a call on a do-not-call lead,
a callback without a time), because only the store sees the lead as it is on disk at the
moment of the write (another process may have marked it do-not-call a second ago). The
service does not repeat them before a write; `refusal()` only lets a face skip asking
questions (a time, a confirmation) for a touch the store would refuse anyway.
"""
