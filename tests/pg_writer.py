"""A rep process for the PostgreSQL kill and concurrency tests (run as a subprocess).

`python pg_writer.py URL NAME SECONDS [take]`: opens the pool, then logs touches for
SECONDS with notes NAME-0, NAME-1, …, printing `ok <n> <touch id> <lead id>` only once a
touch is confirmed (flushed at once). A write that fails (server away) is tried again with
the same arguments until it is confirmed: that retry must never double it. With `take`,
each touch goes to a lead taken with take_next (printing `took <lead id>` first).
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import Outcome
from leadtui.domain.window import CallingWindow
from leadtui.store.postgres import open_pg_store
from leadtui.store.protocol import StoreError

NOW = datetime(2025, 6, 10, 16, 0, tzinfo=UTC)  # a Tuesday, noon in New York


def until_done(call):  # noqa: ANN001, ANN201 - tiny test helper
    while True:
        try:
            return call()
        except StoreError:
            time.sleep(0.2)


def main() -> None:
    url, name, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    take = len(sys.argv) > 4 and sys.argv[4] == "take"
    store = until_done(lambda: open_pg_store(url, cadence=load_cadence()))
    leads = [lead.id for lead in until_done(store.leads)]
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        at = NOW + timedelta(microseconds=n)
        if take:
            claim = until_done(
                lambda: store.take_next(name, name, at, 600, CallingWindow())  # noqa: B023
            )
            if claim is None:
                break
            lead_id = claim.lead_id
            print(f"took {lead_id}", flush=True)
            outcome = Outcome.NOT_INTERESTED
        else:
            lead_id = leads[n % len(leads)]
            outcome = Outcome.NO_ANSWER
        touch = until_done(
            lambda: store.log_touch(  # noqa: B023
                lead_id, outcome, at, note=f"{name}-{n}", rep=name  # noqa: B023
            )
        )
        print(f"ok {n} {touch.id} {lead_id}", flush=True)
        n += 1
    store.close()


if __name__ == "__main__":
    main()
