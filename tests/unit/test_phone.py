"""Phone numbers: normalising to E.164, refusing garbage, zones from the number, display."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadtui.domain.model import LeadError
from leadtui.domain.phone import (
    format_phone,
    normalise_phone,
    parse_phone,
    zone_candidates,
    zone_for_phone,
)


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("(415) 555-2671", "US", "+14155552671"),
        ("415-555-2671", "US", "+14155552671"),
        ("415.555.2671", "US", "+14155552671"),
        ("1 415 555 2671", "US", "+14155552671"),
        ("+1 (415) 555-2671", "US", "+14155552671"),
        ("  4155552671  ", "US", "+14155552671"),
        ("+44 20 7946 0958", "US", "+442079460958"),
        ("+44 (0)20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("011 44 20 7946 0958", "US", "+442079460958"),
        ("0044 20 7946 0958", "US", "+442079460958"),  # European habit, US region
        ("(212) 555-0134", "US", "+12125550134"),  # fictional 555-01xx range works
        ("+1 555 555 0100", "US", "+15555550100"),  # fictional, "invalid" but possible
        ("\uff14\uff11\uff15\uff15\uff15\uff15\uff12\uff16\uff17\uff11", "US", "+14155552671"),
        ("02 5550 1234", "au", "+61255501234"),  # region is case-insensitive
    ],
)
def test_common_formats_normalise_to_e164(raw: str, region: str, e164: str) -> None:
    assert normalise_phone(raw, region) == e164


@pytest.mark.parametrize(
    ("raw", "extension"),
    [
        ("415.555.2671 x12", "12"),
        ("415-555-2671 ext. 99", "99"),
        ("(415) 555-2671 extension 7", "7"),
        ("415-555-2671#12", "12"),
        ("415-555-2671", ""),
    ],
)
def test_extensions_are_kept_apart(raw: str, extension: str) -> None:
    parsed = parse_phone(raw)
    assert parsed.e164 == "+14155552671"
    assert parsed.extension == extension


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("12", "too short"),
        ("555-2671", "missing its area code"),
        ("4155552671999999", "too long"),
        ("+1 000 000 0000", "no such area code"),
        ("+1 415 155 0100", "no such area code"),  # exchange starting with 1
        ("hello 415 555 2671", "only digits"),
        ("1-800-FLOWERS", "only digits"),
        ("call me maybe", "only digits"),
        ("+999 1234567", "not a valid number"),
        ("+", "not a valid number"),
        ("---", "not a valid number"),
        ("=1+2", "not a valid number"),
    ],
)
def test_garbage_is_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(LeadError) as err:
        normalise_phone(raw)
    message = str(err.value)
    assert message.startswith("phone ")
    assert reason in message
    assert "\n" not in message


def test_error_shows_the_raw_value_quoted() -> None:
    with pytest.raises(LeadError, match=r"^phone '12' is not a valid number"):
        normalise_phone("12")


def test_error_never_echoes_escape_sequences() -> None:
    with pytest.raises(LeadError) as err:
        normalise_phone("\x1b]0;owned\x07abc\x1b[2J")
    assert "\x1b" not in str(err.value)
    assert "owned" not in str(err.value)


@pytest.mark.parametrize("raw", ["", "   ", "\x1b[31m\x1b[0m", None])
def test_missing_phone_is_required(raw) -> None:
    with pytest.raises(LeadError, match="^phone is required$"):
        normalise_phone(raw)


def test_megabyte_phone_is_refused_quickly() -> None:
    with pytest.raises(LeadError, match="^phone is longer than 64 characters$"):
        normalise_phone("4" * 1_000_000)


def test_unknown_region_without_plus_says_what_to_do() -> None:
    with pytest.raises(LeadError, match=r"region 'XX' is unknown: start the number with \+"):
        normalise_phone("415 555 2671", "XX")
    assert normalise_phone("+1 415 555 2671", "XX") == "+14155552671"


def test_escape_sequences_around_a_number_are_ignored() -> None:
    assert normalise_phone("\x1b[31m(415) 555-2671\x1b[0m") == "+14155552671"


@pytest.mark.parametrize(
    ("e164", "zone"),
    [
        ("+14155552671", "America/Los_Angeles"),
        ("+12125550134", "America/New_York"),
        ("+13125550100", "America/Chicago"),
        ("+13035550100", "America/Denver"),
        ("+18085550100", "Pacific/Honolulu"),
        ("+14165550100", "America/Toronto"),
        ("+442079460958", "Europe/London"),
        ("+61255501234", "Australia/Sydney"),
        ("+33123456789", "Europe/Paris"),
        # area codes spanning zones: where most of their people are
        ("+19075550100", "America/Anchorage"),
        ("+17015550100", "America/Chicago"),
        ("+12085550100", "America/Boise"),
    ],
)
def test_zone_from_the_number(e164: str, zone: str) -> None:
    assert zone_for_phone(e164) == zone


def test_nanp_wide_numbers_have_no_zone() -> None:
    # toll-free: phonenumbers lists every zone of the +1 area; we do not guess
    assert zone_for_phone("+18005550100") is None
    assert zone_for_phone("+18005550100", default="America/Chicago") == "America/Chicago"


def test_multi_zone_country_prefers_the_default_then_the_first_listed() -> None:
    mobile = "+61412345678"  # Australian mobile: valid in every Australian zone
    assert zone_for_phone(mobile, default="Australia/Sydney") == "Australia/Sydney"
    first = zone_for_phone(mobile, default="America/New_York")
    assert first is not None and first.startswith("Australia/")


@pytest.mark.parametrize("e164", ["+15552671", "not a number", "", "+999"])
def test_unknown_zone_is_none(e164: str) -> None:
    assert zone_for_phone(e164) is None


def test_format_phone_is_international_and_never_raises() -> None:
    assert format_phone("+14155552671") == "+1 415-555-2671"
    assert format_phone("+442079460958") == "+44 20 7946 0958"
    assert format_phone("garbage\x1b[2J") == "garbage"


@pytest.mark.parametrize(
    ("e164", "zone"),
    [("+35318041234", "Europe/Dublin"), ("+353871234567", "Europe/Dublin")],
)
def test_a_number_listed_only_with_other_countries_zones_gets_its_own(e164: str, zone: str) -> None:
    # phonenumbers lists Irish numbers with London, Guernsey and the Isle of Man; Ireland
    # keeps one zone of its own, and that is where the lead is.
    assert zone_for_phone(e164) == zone
    assert zone_candidates(e164, zone, datetime(2026, 7, 1, tzinfo=UTC)) == ()


def test_a_number_without_zone_data_gets_its_countrys_zone() -> None:
    # 07700 900xxx is set aside for fiction: phonenumbers has no zone for it, but it is
    # plainly a UK number, and a UK lead must not be called on New York's clock.
    assert zone_for_phone("+447700900123") == "Europe/London"


def test_a_nanp_number_without_zone_data_stays_unknown() -> None:
    assert zone_for_phone("+18005550100") is None


def test_a_mobile_valid_across_a_country_gets_its_main_zone() -> None:
    assert zone_for_phone("+61491570156") == "Australia/Sydney"


@pytest.mark.parametrize(
    "raw", ["p:+61 2 5550 1234", "tel:+61-2-5550-1234", "TEL: +61 2 5550 1234"]
)
def test_a_platform_or_link_prefix_is_not_part_of_the_number(raw: str) -> None:
    # Facebook's lead export writes p:+..., a web form may post a tel: link: every face
    # (add, import, the webhook, the mailbox) reads the number behind it
    assert parse_phone(raw, "US").e164 == "+61255501234"
