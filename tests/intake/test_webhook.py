"""The webhook over real HTTP on loopback: `leadtui intake serve` in a child process, httpx
as the web form or lead vendor. Every status, idempotency across a restart, signatures,
a burst from 8 clients, a SIGKILL mid-burst, hostile bodies, the log, SIGTERM."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading

import httpx
from servers import CONFIG, FORM_TOKEN, VENDOR_SECRET, stored

AUTH = {"Authorization": f"Bearer {FORM_TOKEN}"}


def post(hook, body, *, headers=None, auth=True, **kwargs) -> httpx.Response:
    sent = {**(AUTH if auth else {}), **(headers or {})}
    if isinstance(body, dict):
        return httpx.post(f"{hook.url}/leads", json=body, headers=sent, timeout=10, **kwargs)
    return httpx.post(f"{hook.url}/leads", content=body, headers=sent, timeout=10, **kwargs)


def test_json_and_form_posts_add_leads_like_add_does(webhook):
    first = post(webhook, {"name": "Rosa Diaz", "phone": "(415) 555-0187", "notes": "roof"})
    assert first.status_code == 201
    assert first.json() == {"id": first.json()["id"], "duplicate": False}
    # a plain HTML form with import's header aliases; same phone: a repeat inquiry
    form = "Full+Name=Rosa+D&Mobile+Phone=415-555-0187&Comments=again&submit=Send"
    again = post(webhook, form, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert again.status_code == 200
    assert again.json() == {"id": first.json()["id"], "duplicate": True}
    with stored(webhook.home) as store:
        (lead,) = store.leads()
    assert lead.source == "formsite"  # the token's name
    assert lead.timezone == "America/Los_Angeles"  # zone from the phone, as `add`
    assert len(lead.inquiries) == 1


def test_body_source_and_fields_win_and_dnc_holds(webhook, tmp_path):
    made = post(
        webhook,
        {"name": "Ken Ito", "phone": "+1 602 555 0111", "source": "spring-promo",
         "timezone": "america/phoenix", "received": "2025-02-03T08:09:00-07:00",
         "email": "Ken@Example.ORG"},
    )  # fmt: skip
    assert made.status_code == 201
    with stored(webhook.home) as store:
        lead = store.get_lead(made.json()["id"])
        store.log_touch(lead.id, "dnc", lead.received_at)
    assert (lead.source, lead.timezone, lead.email) == (
        "spring-promo", "America/Phoenix", "Ken@example.org"
    )  # fmt: skip
    assert lead.received_at.isoformat() == "2025-02-03T15:09:00+00:00"
    other = post(webhook, {"name": "Ken I", "phone": "602.555.0111"})
    assert other.status_code == 200  # the same person: the dnc lead keeps its status
    with stored(webhook.home) as store:
        assert store.get_lead(lead.id).status == "dnc"
        assert store.lead_count() == 1


def test_every_error_status_names_its_reason_and_stores_nothing(webhook):
    cases = [
        (post(webhook, {"name": "No Phone"}), 400, "phone"),
        (post(webhook, {"name": "A", "phone": "12"}), 400, "phone"),
        (post(webhook, {"name": "A", "phone": "4155550100", "email": "x@"}), 400, "email"),
        (post(webhook, {"name": ["A"], "phone": "4155550100"}), 400, "name"),
        (post(webhook, {"name": "A", "phone": "4155550100", "timezone": "Mars/Base"}), 400,
         "timezone"),
        (post(webhook, {"name": "A", "phone": "4155550100", "received": "someday"}), 400,
         "received"),
        (post(webhook, b"{not json", headers={"Content-Type": "application/json"}), 400, "JSON"),
        (post(webhook, b"[1, 2]", headers={"Content-Type": "application/json"}), 400, "object"),
        (post(webhook, {"name": "A", "phone": "4155550100"}, auth=False), 401, "token"),
        (post(webhook, {"name": "A", "phone": "4155550100"},
              headers={"Authorization": f"Bearer {FORM_TOKEN}x"}), 401, "not valid"),
        (post(webhook, {"name": "A", "phone": "4155550100"},
              headers={"Authorization": f"Basic {FORM_TOKEN}"}), 401, "Bearer"),
        (post(webhook, b"name=A", headers={"Content-Type": "text/plain"}), 415, "json"),
        (post(webhook, b"x" * (64 * 1024 + 1), headers={"Content-Type": "application/json"}),
         413, "64 KB"),
    ]  # fmt: skip
    for response, status, word in cases:
        assert response.status_code == status, response.text
        assert word.lower() in response.json()["error"].lower()
    with stored(webhook.home) as store:
        assert store.lead_count() == 0


def test_a_chunked_body_is_counted_while_it_is_read(webhook):
    def chunks():
        for _ in range(100):
            yield b"y" * 1024  # no Content-Length: the server counts

    response = httpx.post(
        f"{webhook.url}/leads",
        content=chunks(),
        headers={**AUTH, "Content-Type": "application/json"},
        timeout=10,
    )
    assert response.status_code == 413


def test_health_reports_the_store(webhook):
    post(webhook, {"name": "Ida Wells", "phone": "312 555 0164"})
    response = httpx.get(f"{webhook.url}/health", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "backend": "tinydb", "leads": 1}


def test_rate_limit_answers_429_with_retry_after(make_webhook):
    # 0.2 posts a second: one post passes, the next token comes 5 s later, far longer than a
    # post takes even on a loaded machine (the burst size is unit-tested with a fixed clock)
    config = CONFIG.replace("rate_limit = 2000", "rate_limit = 0.2")
    hook = make_webhook(config)
    statuses = [
        post(hook, {"name": f"Lead {i}", "phone": f"+1 646 555 01{i:02d}"}).status_code
        for i in range(4)
    ]
    assert statuses[0] == 201
    assert 429 in statuses[1:]
    limited = post(hook, {"name": "Late", "phone": "+1 646 555 0199"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


def test_a_signed_body_authenticates_its_source(webhook):
    body = json.dumps({"name": "Vera Sign", "phone": "+1 503 555 0123"}).encode()
    good = hmac.new(VENDOR_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json"}
    bad = post(webhook, body, auth=False, headers={**headers, "X-Leadtui-Signature": "0" * 64})
    assert bad.status_code == 401
    tampered = body.replace(b"Vera", b"Evil")
    wrong = post(
        webhook, tampered, auth=False, headers={**headers, "X-Leadtui-Signature": f"sha256={good}"}
    )
    assert wrong.status_code == 401
    ok = post(
        webhook, body, auth=False, headers={**headers, "X-Leadtui-Signature": f"sha256={good}"}
    )
    assert ok.status_code == 201
    with stored(webhook.home) as store:
        assert store.get_lead(ok.json()["id"]).source == "vendorx"


def test_idempotency_key_returns_the_first_answer_even_after_a_restart(make_webhook, tmp_path):
    home = tmp_path / "idem"
    hook = make_webhook(home=home)
    key = {"Idempotency-Key": "order-7731"}
    first = post(hook, {"name": "Omar Idem", "phone": "+1 617 555 0142"}, headers=key)
    retry = post(hook, {"name": "Omar Idem", "phone": "+1 617 555 0142"}, headers=key)
    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()
    assert hook.stop() == 0
    hook = make_webhook(home=home)
    again = post(hook, {"name": "Omar Idem", "phone": "+1 617 555 0142"}, headers=key)
    assert (again.status_code, again.json()) == (201, first.json())
    other = post(hook, {"name": "Omar Idem", "phone": "+1 617 555 0142"},
                 headers={"Idempotency-Key": "order-7732"})  # fmt: skip
    assert (other.status_code, other.json()["duplicate"]) == (200, True)
    reused = post(hook, {"name": "Pia Other", "phone": "+1 617 555 0199"}, headers=key)
    assert reused.status_code == 422  # another lead under a used key: an error, not lead 1
    assert "Idempotency-Key" in reused.json()["error"]
    with stored(home) as store:
        assert len(store.get_lead(first.json()["id"]).inquiries) == 1  # only order-7732
        assert not any(lead.name == "Pia Other" for lead in store.leads())


def _burst(hook, count: int, clients: int, answers: dict[int, httpx.Response | None]) -> None:
    def work(worker: int) -> None:
        with httpx.Client(headers=AUTH, timeout=30) as client:
            for i in range(worker, count, clients):
                body = {"name": f"Burst Lead {i}", "phone": f"+1 312 555 {i:04d}"}
                try:
                    answers[i] = client.post(f"{hook.url}/leads", json=body)
                except httpx.HTTPError:
                    answers[i] = None

    threads = [threading.Thread(target=work, args=(w,)) for w in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_a_burst_of_1000_posts_from_8_clients_stores_each_once(webhook):
    answers: dict[int, httpx.Response | None] = {}
    _burst(webhook, 1000, 8, answers)
    assert sorted(r.status_code for r in answers.values() if r is not None) == [201] * 1000
    ids = {r.json()["id"] for r in answers.values() if r is not None}
    with stored(webhook.home) as store:
        leads = store.leads()
    assert len(leads) == 1000 and {lead.id for lead in leads} == ids
    assert len({lead.phone for lead in leads}) == 1000


def test_sigkill_mid_burst_loses_no_201(make_webhook, tmp_path):
    hook = make_webhook(home=tmp_path / "kill")
    answers: dict[int, httpx.Response | None] = {}
    burst = threading.Thread(target=_burst, args=(hook, 600, 8, answers))
    burst.start()
    while sum(1 for r in list(answers.values()) if r is not None) < 100:
        threading.Event().wait(0.01)
    hook.stop(signal.SIGKILL)
    burst.join()
    created = {r.json()["id"] for r in answers.values() if r is not None and r.status_code == 201}
    assert len(created) >= 100
    with stored(hook.home) as store:
        kept = {lead.id for lead in store.leads()}
    assert created <= kept  # every 201 is durable


def test_hostile_bodies_are_stored_as_plain_text_or_refused(webhook):
    markup = '[bold red]Boss[/] <script>x</script> \x1b[31m=HYPERLINK("evil")'
    made = post(
        webhook, {"name": markup, "phone": "+1 718 555 0190", "notes": "+cmd|' /C calc'!A0"}
    )
    assert made.status_code == 201
    with stored(webhook.home) as store:
        lead = store.get_lead(made.json()["id"])
    assert "\x1b" not in lead.name and "[bold red]Boss[/]" in lead.name
    latin1 = b"Name=Jos%E9+M%FCller&Phone=718-555-0191"
    assert post(webhook, latin1, headers={
        "Content-Type": "application/x-www-form-urlencoded"}).status_code == 400  # fmt: skip
    declared = post(webhook, latin1, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=latin-1"})  # fmt: skip
    assert declared.status_code == 201
    with stored(webhook.home) as store:
        assert store.get_lead(declared.json()["id"]).name == "José Müller"
    wrong = post(webhook, '{"name": "Zoë", "phone": "7185550192"}'.encode("utf-16"),
                 headers={"Content-Type": "application/json"})  # fmt: skip
    assert wrong.status_code == 400 and "UTF-8" in wrong.json()["error"]
    nested = post(webhook, b"[" * 100_000, headers={"Content-Type": "application/json"})
    assert nested.status_code == 413
    deep = post(webhook, b"[" * 5000 + b"]" * 5000, headers={"Content-Type": "application/json"})
    assert deep.status_code == 400
    huge = post(webhook, b"{" + b" " * 10 * 2**20 + b"}", headers={
        "Content-Type": "application/json"})  # fmt: skip
    assert huge.status_code == 413
    assert httpx.get(f"{webhook.url}/health", timeout=5).json()["leads"] == 2


def test_one_log_line_per_request_without_token_or_body_and_sigterm_stops(webhook):
    post(webhook, {"name": "Log Person", "phone": "+1 773 555 0177", "notes": "secret-note"})
    post(webhook, {"name": "Log Person"}, auth=False)
    assert webhook.stop(signal.SIGTERM) == 0
    text = webhook.log.read_text()
    lines = [line for line in text.splitlines() if "/leads" in line]
    assert len(lines) == 2
    assert "source=formsite status=201 lead=" in lines[0]
    assert "source=- status=401 lead=-" in lines[1]
    for secret in (FORM_TOKEN, "secret-note", "Log Person", "773"):
        assert secret not in text
    assert "stopped" in text


def test_no_token_configured_refuses_to_start(tmp_path):
    home = tmp_path / "open"
    home.mkdir()
    env = {"LEADTUI_HOME": str(home), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "leadtui", "intake", "serve", "--port", "1"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("leadtui: no intake token configured")
    assert "Traceback" not in done.stderr


def test_a_closed_lead_inquiring_again_is_reopened_and_a_retry_says_so_again(webhook):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC).replace(microsecond=0)
    body = {"name": "Nia Back", "phone": "+1 720 555 0164"}
    first = post(webhook, {**body, "received": (now - timedelta(hours=3)).isoformat()})
    with stored(webhook.home) as store:
        store.log_touch(first.json()["id"], "not-interested", now - timedelta(hours=2))
    again = {**body, "received": (now - timedelta(hours=1)).isoformat()}
    key = {"Idempotency-Key": "vendor-retry-55"}
    reopened = post(webhook, again, headers=key)
    assert (reopened.status_code, reopened.json()) == (
        200, {"id": first.json()["id"], "duplicate": True, "reopened": True})  # fmt: skip
    retry = post(webhook, again, headers=key)
    assert (retry.status_code, retry.json()) == (reopened.status_code, reopened.json())
    with stored(webhook.home) as store:
        lead = store.get_lead(first.json()["id"])
    assert lead.status == "new" and len(lead.inquiries) == 1


def test_a_store_that_cannot_be_written_answers_503_and_a_retry_stores_once(webhook):
    first = post(webhook, {"name": "Vera Before", "phone": "+1 503 555 0131"})
    assert first.status_code == 201
    journal = webhook.home / "leads.json.journal"
    journal.rename(journal.with_name("journal.aside"))
    os.mkfifo(journal)  # not a regular file: the store refuses to write through it
    body = {"name": "Wes During", "phone": "+1 503 555 0132"}
    refused = post(webhook, body, headers={"Idempotency-Key": "outage-1"})
    assert refused.status_code == 503
    assert "retry later" in refused.json()["error"]
    journal.unlink()
    journal.with_name("journal.aside").rename(journal)
    retried = post(webhook, body, headers={"Idempotency-Key": "outage-1"})
    assert retried.status_code == 201
    again = post(webhook, body, headers={"Idempotency-Key": "outage-1"})
    assert (again.status_code, again.json()) == (201, retried.json())
    with stored(webhook.home) as store:
        assert sorted(lead.name for lead in store.leads()) == ["Vera Before", "Wes During"]
