"""Live arrival: a lead POSTed to the webhook (a real `leadtui intake serve` process on the
same database) shows on the running workstation, with the bell and a toast, within about
a second of the 201, by the workstation's own once-a-second poll (no manual tick)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx
from conftest import SIZE, START, draft

from leadtui.tui.live import NEW_LEAD_GATHER_SECONDS
from leadtui.tui.widgets.lead_queue import LeadQueue

sys.path.insert(0, str(Path(__file__).parent.parent / "intake"))
from servers import Webhook  # noqa: E402

TOKEN = "live-arrival-token-3141"


async def test_a_posted_lead_appears_on_the_running_workstation(
    app_factory, add_leads, paths, settle, monkeypatch
):
    add_leads(draft("Already Here", minutes_ago=2))
    hook = Webhook(
        paths.data_dir,
        'rep_name = "Sam Rivera"\n',
        env={"LEADTUI_INTAKE_TOKEN": TOKEN},
        options=("--now", START.isoformat()),
    )
    hook.start()
    try:
        app = app_factory()
        bells: list[int] = []
        monkeypatch.setattr(app, "bell", lambda: bells.append(1))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            queue = app.screen.query_one(LeadQueue)
            assert len(queue.order) == 1
            answer = httpx.post(
                f"{hook.url}/leads",
                json={"name": "Web [b]Form[/b] Lead", "phone": "+1 312 555 0199"},
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=10,
            )
            posted = time.monotonic()
            assert answer.status_code == 201
            lead_id = answer.json()["id"]
            while lead_id not in queue.order and time.monotonic() - posted < 3:
                await pilot.pause(0.05)
            seen_after = time.monotonic() - posted
            assert queue.order[0] == lead_id
            assert seen_after < 1.5  # the poll is once a second
            await settle(pilot)
            assert bells == [1]  # at once; the toast follows once the burst is over
            await pilot.pause(NEW_LEAD_GATHER_SECONDS + 0.2)
            toasts = [n.message for n in app._notifications]
            assert any("Web [b]Form[/b] Lead · web" in m for m in toasts)  # plain text
    finally:
        hook.stop()
