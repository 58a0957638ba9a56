"""Real export shapes (tests/fixtures/exports/): every valid row kept, arrival time read.

Each fixture follows the column set its platform documents for its export (sample rows
written for these tests: fictional 555 numbers and numbers from other countries).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import Cli

EXPORTS = Path(__file__).resolve().parent.parent / "fixtures" / "exports"
NOW = "2025-10-20T12:00:00Z"

# file -> (format named in the summary, first row's phone, its arrival time in UTC)
FORMATS = {
    "facebook_lead_ads.csv": ("Facebook Lead Ads", "+14155550142", "2025-10-14T16:12:44+00:00"),
    "google_ads_lead_form.csv": (
        "Google Ads lead form", "+13125550164", "2025-10-14T16:12:44+00:00"
    ),
    "linkedin_lead_gen.csv": ("LinkedIn Lead Gen", "+16175550118", "2025-10-14T13:05:00+00:00"),
    # HubSpot's Create Date has no offset: the default zone (New York, EDT)
    "hubspot_contacts.csv": ("HubSpot contacts", "+12065550177", "2025-10-14T13:12:00+00:00"),
    "salesforce_leads.csv": ("Salesforce leads", "+14045550151", "2025-10-14T13:12:00+00:00"),
    "zoho_crm_leads.csv": ("Zoho CRM leads", "+17205550147", "2025-10-14T13:12:44+00:00"),
    "pipedrive_leads.csv": ("Pipedrive leads", "+14155550183", "2025-10-14T19:12:00+00:00"),
    "gravity_forms_entries.csv": (
        "Gravity Forms entries", "+13055550190", "2025-10-14T20:12:44+00:00"
    ),
    "wpforms_entries.csv": ("WPForms entries", "+16465550158", "2025-10-14T20:12:44+00:00"),
    # "Submit Date (UTC)": the header says the times are UTC
    "typeform_responses.csv": ("Typeform responses", "+351215550142", "2025-10-14T16:12:44+00:00"),
}  # fmt: skip


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    return Cli(capsys, monkeypatch)


def leads(cli: Cli) -> dict[str, dict]:
    out = cli.ok("export", "--format", "jsonl").out
    return {lead["phone"]: lead for lead in map(json.loads, out.splitlines())}


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_row_of_each_export_imports_with_its_arrival_time(cli: Cli, name: str) -> None:
    fmt, phone, received = FORMATS[name]
    path = str(EXPORTS / name)
    dry = cli.ok("import", path, "--dry-run", "--json", now=NOW).json()
    assert dry["format"] == fmt and dry["dry_run"] is True
    assert dry["imported"] == 3 and dry["rejected"] == []
    assert "received" in dry["columns"] and leads(cli) == {}  # the dry run wrote nothing
    report = cli.ok("import", path, "--json", now=NOW).json()
    assert report == {
        "imported": 3, "duplicates": 0, "reopened": 0, "rejected": [], "rejected_total": 0,
        "format": fmt,
    }  # fmt: skip
    stored = leads(cli)
    assert stored[phone]["received_at"] == received
    assert len({lead["received_at"] for lead in stored.values()}) == 3
    text = cli.ok("import", path, now=NOW).out
    assert text.splitlines()[:2] == [
        f"looks like a {fmt} export",
        "imported 0, duplicates 3, rejected 0",
    ]


def test_facebook_prefix_and_offsets(cli: Cli) -> None:
    cli.ok("import", str(EXPORTS / "facebook_lead_ads.csv"), now=NOW)
    stored = leads(cli)
    assert stored["+447700900321"]["received_at"] == "2025-10-14T16:40:03+00:00"
    assert stored["+61255501234"]["received_at"] == "2025-10-14T22:05:10+00:00"
    assert stored["+14155550142"]["source"] == "Autumn promo"


def test_hubspot_mobile_is_dialled_and_the_other_number_kept(cli: Cli) -> None:
    cli.ok("import", str(EXPORTS / "hubspot_contacts.csv"), now=NOW)
    stored = leads(cli)
    assert stored["+15035550136"]["other_phones"] == ["+15035550135"]  # both columns filled
    assert stored["+12065550177"]["other_phones"] == []  # Phone Number empty, mobile filled


def test_extensions_go_to_the_notes_and_a_date_alone_is_the_start_of_the_day(cli: Cli) -> None:
    cli.ok("import", str(EXPORTS / "salesforce_leads.csv"), now=NOW)
    cli.ok("import", str(EXPORTS / "zoho_crm_leads.csv"), now=NOW)
    stored = leads(cli)
    assert stored["+14045550151"]["notes"] == "phone extension: 12"
    assert stored["+17205550147"]["notes"] == "Asked about bulk pricing\nphone extension: 204"
    # 10/16/2025 for a Honolulu number: midnight there, 10:00 UTC
    assert stored["+18085550102"]["received_at"] == "2025-10-16T10:00:00+00:00"
    assert stored["+16125550189"]["other_phones"] == ["+16125550188"]


def test_pipedrive_prefers_the_mobile_column_whatever_its_place(cli: Cli) -> None:
    cli.ok("import", str(EXPORTS / "pipedrive_leads.csv"), now=NOW)
    stored = leads(cli)
    assert stored["+14155550183"]["other_phones"] == ["+46812345678"]
    assert stored["+61255504410"]["name"] == "Ravi Kapoor"
