"""What a new database holds before its first write, and the schema number it carries.

Below both the repository (which creates databases) and the doctor (which rebuilds one):
neither imports the other for it.
"""

from __future__ import annotations

from typing import Any

from leadtui.store.index import CLAIMS, DNC, LEADS, META, TOUCHES

#: The layout version written into the meta table; a newer one on disk is refused.
SCHEMA = 1


def initial_tree() -> dict[str, dict[str, dict[str, Any]]]:
    """The tables of an empty database: the meta record, then empty leads, touches, the
    do-not-call list and claims."""
    return {META: {"1": {"schema": SCHEMA}}, LEADS: {}, TOUCHES: {}, DNC: {}, CLAIMS: {}}
