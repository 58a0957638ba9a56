"""prepare_lead: validation and normalisation of one incoming lead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadtui.domain.intake import check_email, check_timezone, prepare_lead
from leadtui.domain.model import LeadDraft, LeadError

NOW = datetime(2024, 3, 1, 15, 0, tzinfo=UTC)


def lead(**fields) -> LeadDraft:
    fields.setdefault("name", "Dana Scully")
    fields.setdefault("phone", "(415) 555-2671")
    return prepare_lead(now=NOW, **fields)


def test_minimal_lead() -> None:
    draft = lead()
    assert draft == LeadDraft(
        name="Dana Scully",
        phone="+14155552671",
        email="",
        source="",
        timezone="America/Los_Angeles",
        received_at=NOW,
        notes="",
    )


def test_full_lead_is_normalised() -> None:
    received = datetime(2024, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    draft = lead(
        name="  Fox\tMulder ",
        phone="+44 20 7946 0958",
        email=" Fox.Mulder@FBI.Example.GOV ",
        source=" web form ",
        timezone="america/chicago",
        received_at=received,
        notes="call after lunch\r\nprefers mobile",
    )
    assert draft.name == "Fox Mulder"
    assert draft.phone == "+442079460958"
    assert draft.email == "Fox.Mulder@fbi.example.gov"
    assert draft.source == "web form"
    assert draft.timezone == "America/Chicago"  # explicit beats the number's zone
    assert draft.received_at == datetime(2024, 3, 1, 14, 30, tzinfo=UTC)
    assert draft.received_at.tzinfo is UTC
    assert draft.notes == "call after lunch\nprefers mobile"


def test_zone_from_phone_then_default() -> None:
    assert lead(phone="+61 2 5550 1234").timezone == "Australia/Sydney"
    assert lead(phone="+1 800 555 0100").timezone == "America/New_York"  # default
    assert lead(phone="+1 800 555 0100", default_timezone="America/Denver").timezone == (
        "America/Denver"
    )
    assert lead(phone="+1 800 555 0100", timezone="   ").timezone == "America/New_York"


def test_region_applies_to_numbers_without_plus() -> None:
    draft = lead(phone="020 7946 0958", region="GB")
    assert draft.phone == "+442079460958"
    assert draft.timezone == "Europe/London"


def test_phone_extension_goes_into_notes() -> None:
    assert lead(phone="415-555-2671 x12").notes == "phone extension: 12"
    assert lead(phone="415-555-2671 x12", notes="hi").notes == "hi\nphone extension: 12"


def test_hostile_fields_are_cleaned() -> None:
    draft = lead(
        name="\x1b]0;pwned\x07Bob \u202eyeknoD\u202c\x1b[31m",
        source="\x1b[2Jvendor\x00",
        notes="a\x1b[1mb\x9b2Jc\nd",
    )
    assert draft.name == "Bob yeknoD"
    assert draft.source == "vendor"
    assert draft.notes == "abc\nd"


def test_markup_in_a_name_is_kept_as_text() -> None:
    assert lead(name="[red]Bob[/red]").name == "[red]Bob[/red]"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "name is required"),
        ({"name": "  \x1b[31m \u200b "}, "name is required"),
        ({"name": "x" * 201}, "name is longer than 200 characters"),
        ({"name": "x" * 1_048_576}, "name is longer than 200 characters"),
        ({"phone": ""}, "phone is required"),
        ({"phone": "12"}, "phone '12' is not a valid number (too short)"),
        ({"phone": "9" * 1_048_576}, "phone is longer than 64 characters"),
        ({"email": "not-an-email"}, "email 'not-an-email' does not look like an email address"),
        ({"email": "a@b"}, "email 'a@b' does not look like an email address"),
        ({"email": "a b@c.com"}, "does not look like an email address"),
        ({"email": "a@@c.com"}, "does not look like an email address"),
        ({"email": "x" * 1_048_576}, "email is longer than 254 characters"),
        ({"source": "s" * 101}, "source is longer than 100 characters"),
        ({"notes": "n" * 10_001}, "notes is longer than 10000 characters"),
        ({"notes": "n" * 1_048_576}, "notes is longer than 10000 characters"),
        ({"timezone": "Mars/Olympus"}, "timezone 'Mars/Olympus' is not a known IANA time zone"),
        ({"timezone": "../../etc/passwd"}, "is not a known IANA time zone"),
        ({"timezone": "z" * 100}, "timezone is longer than 64 characters"),
        (
            {"phone": "+1 800 555 0100", "default_timezone": "Nowhere"},
            "default timezone 'Nowhere' is not a known IANA time zone",
        ),
        ({"received_at": datetime(2024, 3, 1, 9, 0)}, "has no time zone offset"),
        ({"received_at": NOW + timedelta(days=1, seconds=1)}, "out of range"),
        ({"received_at": datetime(1999, 12, 31, tzinfo=UTC)}, "out of range"),
    ],
)
def test_bad_fields_are_refused_with_one_clear_line(fields: dict, message: str) -> None:
    with pytest.raises(LeadError) as err:
        lead(**fields)
    text = str(err.value)
    assert message in text
    assert "\n" not in text and "\x1b" not in text
    assert len(text) < 200


def test_received_within_a_day_of_now_is_fine() -> None:
    # a web form's server clock a little ahead of ours
    assert lead(received_at=NOW + timedelta(hours=2)).received_at == NOW + timedelta(hours=2)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        prepare_lead(name="A", phone="4155552671", now=datetime(2024, 1, 1))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", ""),
        ("bob@example.com", "bob@example.com"),
        ("Bob.Smith+leads@Example.CO.uk", "Bob.Smith+leads@example.co.uk"),
        ("user@mail-server.example.org", "user@mail-server.example.org"),
        ("zoë@exämple.de", "zoë@exämple.de"),
    ],
)
def test_email_examples(raw: str, expected: str) -> None:
    assert check_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["bob", "bob@", "@example.com", "bob@example", "bob@-x.com", "bob@x..com", "<a@b.com>"]
)
def test_bad_emails(raw: str) -> None:
    with pytest.raises(LeadError, match="does not look like an email address"):
        check_email(raw)


def test_timezone_canonical_spelling() -> None:
    assert check_timezone("EUROPE/LONDON") == "Europe/London"
    assert check_timezone("UTC") == "UTC"


@settings(max_examples=150, deadline=None)
@given(
    name=st.text(max_size=300),
    email=st.one_of(st.just(""), st.text(max_size=80), st.emails()),
    source=st.text(max_size=120),
    notes=st.text(max_size=300),
    tz=st.one_of(st.none(), st.text(max_size=70), st.sampled_from(["America/Chicago", "utc"])),
)
def test_any_input_gives_a_clean_draft_or_one_line_error(name, email, source, notes, tz) -> None:
    try:
        draft = prepare_lead(
            name=name, phone="415 555 2671", email=email, source=source, notes=notes,
            timezone=tz, now=NOW,
        )  # fmt: skip
    except LeadError as err:
        assert "\n" not in str(err) and "\x1b" not in str(err)
        return
    for value in (draft.name, draft.email, draft.source, draft.timezone):
        assert "\x1b" not in value and "\n" not in value and "\u202e" not in value
    assert draft.name and len(draft.name) <= 200
    assert "\x1b" not in draft.notes
