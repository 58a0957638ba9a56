"""Notes as people read them: the stored UTC stamps shown in the lead's own time.

The store stamps each added note `[2025-03-10 14:05 UTC]` (stored times are UTC); every
other time the rep sees is local, so screens and `show` print the stamp in the lead's
zone instead: `[2025-03-10 10:05 EDT]`. Text that only looks like a stamp but is not a
valid time is left as it is.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from leadtui.domain.window import local_time

_STAMP = re.compile(r"\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC\]")


def local_stamps(notes: str, tz: str) -> str:
    """`notes` with every `[YYYY-MM-DD HH:MM UTC]` stamp turned into the lead's local time."""

    def local(match: re.Match[str]) -> str:
        try:
            at = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
            shown = local_time(at, tz)
        except Exception:
            return match.group(0)
        zone = shown.tzname() or tz
        return f"[{shown:%Y-%m-%d %H:%M} {zone}]"

    return _STAMP.sub(local, notes)
