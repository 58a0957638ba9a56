"""CSV import parsing: encodings, delimiters, header aliases, line numbers, hostile rows."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadtui.domain.model import LeadDraft, LeadError
from leadtui.io.aliases import load_aliases
from leadtui.io.csv_import import (
    MAX_FIELD_CHARS,
    ImportFileError,
    RowContext,
    normalise_zone,
    parse_received,
    prepare_row,
)
from leadtui.io.csv_read import CsvRow, Rejection, read_csv, sniff_delimiter, text_lines


@dataclass
class Parsed:
    rows: list[CsvRow]
    rejections: list[Rejection]
    columns: dict[str, list[str]]


def parse_csv(data: bytes) -> Parsed:
    mapping, items = read_csv(io.BytesIO(data), load_aliases())
    items = list(items)
    return Parsed(
        [r for r in items if isinstance(r, CsvRow)],
        [r for r in items if isinstance(r, Rejection)],
        mapping.names(),
    )


def flat(row: CsvRow) -> dict[str, str]:
    """The row's fields with its first phone cell as "phone" (as the old parser gave)."""
    out = dict(row.fields)
    if row.phones:
        out["phone"] = row.phones[0][1]
    return out


def fields(data: bytes) -> list[tuple[int, dict[str, str]]]:
    return [(row.line, flat(row)) for row in parse_csv(data).rows]


def prepare_rows(
    parsed: Parsed, *, now: datetime
) -> tuple[list[tuple[int, LeadDraft]], list[Rejection]]:
    ctx = RowContext(now)
    drafts, rejections = [], list(parsed.rejections)
    for row in parsed.rows:
        try:
            drafts.append((row.line, prepare_row(row, ctx)))
        except LeadError as err:
            rejections.append(Rejection(row.line, " ".join(str(err).split())))
    return drafts, rejections


def test_plain_comma_file() -> None:
    data = b"Name,Phone,Email\nAnn Lee,212-555-0101,ann@example.com\nBo Chan,312-555-0102,\n"
    assert fields(data) == [
        (2, {"name": "Ann Lee", "phone": "212-555-0101", "email": "ann@example.com"}),
        (3, {"name": "Bo Chan", "phone": "312-555-0102", "email": ""}),
    ]


@pytest.mark.parametrize(
    ("header", "expected_field"),
    [
        ("Full Name", "name"),
        ("FULL_NAME", "name"),
        ("Phone Number", "phone"),
        ("mobile", "mobile"),
        ("Cell", "mobile"),
        ("Telephone", "phone"),
        ("E-mail", "email"),
        ("Email Address", "email"),
        ("Lead Source", "source"),
        ("Time Zone", "timezone"),
        ("Created", "received"),
        ("Created At", "received"),
        ("Date", "received"),
        ("Received", "received"),
        ("Notes", "notes"),
    ],
)
def test_header_aliases_case_insensitive(header: str, expected_field: str) -> None:
    base = {"name": "Name", "phone": "Phone"}
    base[expected_field] = header
    columns = list(dict.fromkeys(base.values()))
    data = ",".join(columns) + "\n" + ",".join(f"v{i}" for i in range(len(columns))) + "\n"
    parsed = parse_csv(data.encode())
    assert parsed.columns[expected_field] == [header]
    assert flat(parsed.rows[0]).get(expected_field, parsed.rows[0].phones[0][1]) == (
        f"v{columns.index(header)}"
    )


def test_first_and_last_name_are_joined() -> None:
    data = b"First Name,Last Name,Mobile\nAnn,Lee,2125550101\n,Solo,2125550102\n"
    assert [f["name"] for _, f in fields(data)] == ["Ann Lee", "Solo"]


def test_full_name_wins_over_parts_when_present() -> None:
    data = b"First Name,Last Name,Full Name,Phone\nA,B,Ann Lee,1\nC,D,,2\n"
    assert [f["name"] for _, f in fields(data)] == ["Ann Lee", "C D"]


def test_duplicated_headers_take_the_first_non_empty_value() -> None:
    data = b"Name,Email,E-mail,Phone\nAnn,,a@example.com,1\nBo,b@example.com,c@example.com,2\n"
    assert [f["email"] for _, f in fields(data)] == ["a@example.com", "b@example.com"]


def test_phone_cells_come_mobile_first_then_left_to_right() -> None:
    data = b"Name,Work Phone,Mobile,Phone\nAnn,111,222,333\nBo,,,444\n"
    assert [row.phones for row in parse_csv(data).rows] == [
        (("Mobile", "222"), ("Work Phone", "111"), ("Phone", "333")),
        (("Phone", "444"),),
    ]


def test_utf8_bom_and_excel_sep_line() -> None:
    data = "\ufeffsep=;\nName;Phone\nZoë Ünal;2125550101\n".encode()
    assert fields(data) == [(3, {"name": "Zoë Ünal", "phone": "2125550101"})]


def test_latin1_and_cp1252_fallback_per_line() -> None:
    data = (
        b"Name,Phone\n"
        + "José Núñez,1\n".encode("cp1252")
        + "Zoë,2\n".encode()
        + b"Smart \x93Quotes\x94,3\n"
    )
    names = [f["name"] for _, f in fields(data)]
    assert names == ["José Núñez", "Zoë", "Smart \u201cQuotes\u201d"]


def test_utf16_with_bom() -> None:
    data = "Name\tPhone\r\nAnn\t2125550101\r\n".encode("utf-16")
    assert fields(data) == [(2, {"name": "Ann", "phone": "2125550101"})]


@pytest.mark.parametrize(
    ("line", "delimiter"),
    [("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ('"x;y",b,c', ","), ("abc", ",")],
)
def test_sniff_delimiter(line: str, delimiter: str) -> None:
    assert sniff_delimiter(line) == delimiter


def test_semicolon_and_tab_files() -> None:
    semi = b"Name;Phone;Notes\nAnn;2125550101;likes a, comma\n"
    tab = b"Name\tPhone\nAnn\t2125550101\n"
    assert fields(semi)[0][1]["notes"] == "likes a, comma"
    assert fields(tab)[0][1]["phone"] == "2125550101"


def test_line_numbers_are_physical_lines_with_multiline_fields() -> None:
    data = (
        b"\n"  # a blank line before the header
        b"Name,Phone,Notes\n"
        b'Ann,1,"two\nline note"\n'
        b"\n"
        b'Bo,2,"three\nline\nnote"\n'
        b"Cy,3,x\n"
    )
    assert [line for line, _ in fields(data)] == [3, 6, 9]


def test_crlf_line_numbers() -> None:
    data = b"Name,Phone\r\nAnn,1\r\nBo,2\r\n"
    assert [line for line, _ in fields(data)] == [2, 3]


def test_hostile_rows_are_rejected_one_by_one() -> None:
    huge = "x" * (MAX_FIELD_CHARS + 5)
    data = (
        "Name,Phone,Email\n"
        "Ann,1,a@example.com\n"
        "Nul\x00Name,2,\n"
        f"{huge},3,\n"
        "Shifted,Name,4,x@example.com,extra\n"
        "Short row\n"
        "Bo,5,\n"
    ).encode()
    parsed = parse_csv(data)
    assert [(r.line, r.fields["name"]) for r in parsed.rows] == [
        (2, "Ann"), (6, "Short row"), (7, "Bo")
    ]  # fmt: skip
    reasons = {r.line: r.reason for r in parsed.rejections}
    assert set(reasons) == {3, 4, 5}
    assert "NUL" in reasons[3]
    assert "characters long" in reasons[4]
    assert "5 values but the header has 3" in reasons[5]
    assert parsed.rows[1].phones == ()  # rejected later as a missing phone


def test_megabyte_field_beyond_csv_default_limit_does_not_crash() -> None:
    data = b"Name,Phone\n" + b"A" * 2_000_000 + b",1\nBo,2\n"
    parsed = parse_csv(data)
    assert [r.line for r in parsed.rejections] == [2]
    assert [r.fields["name"] for r in parsed.rows] == ["Bo"]


def test_trailing_empty_cells_are_fine() -> None:
    assert fields(b"Name,Phone\nAnn,1,,\n") == [(2, {"name": "Ann", "phone": "1"})]


def test_markup_and_escapes_are_kept_for_validation() -> None:
    data = b"Name,Phone\n[red]Bob[/red],1\n\x1b[31mEve\x1b[0m,2\n"
    assert [f["name"] for _, f in fields(data)] == ["[red]Bob[/red]", "\x1b[31mEve\x1b[0m"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\n\n", "empty"),
        (b"Name,Email\nAnn,a@b.c\n", "no phone column"),
        (b"Phone,Email\n1,a@b.c\n", "no name column"),
        (b"Ann Lee,2125550101\n", "no name and no phone column"),
    ],
)
def test_unusable_header_is_a_file_error(data: bytes, message: str) -> None:
    with pytest.raises(ImportFileError, match=message):
        parse_csv(data)


def test_text_lines_keep_line_ends() -> None:
    assert list(text_lines(io.BytesIO(b"a\r\nb\nc"))) == ["a\r\n", "b\n", "c"]
    assert list(text_lines(io.BytesIO(b"a\rb\rc\n"))) == ["a\r", "b\r", "c\n"]


@pytest.mark.parametrize(
    ("text", "zone", "region", "expected"),
    [
        (
            "2025-03-10T14:05:00Z",
            "America/New_York",
            "US",
            datetime(2025, 3, 10, 14, 5, tzinfo=UTC),
        ),
        ("2025-03-10 14:05", "America/New_York", "US", datetime(2025, 3, 10, 18, 5, tzinfo=UTC)),
        ("03/10/2025 2:05 PM", "America/Chicago", "US", datetime(2025, 3, 10, 19, 5, tzinfo=UTC)),
        ("10/03/2025 14:05", "Europe/London", "GB", datetime(2025, 3, 10, 14, 5, tzinfo=UTC)),
        ("1741615500", "UTC", "US", datetime(2025, 3, 10, 14, 5, tzinfo=UTC)),
        ("2025-03-10T14:05:00+11:00", "UTC", "AU", datetime(2025, 3, 10, 3, 5, tzinfo=UTC)),
    ],
)
def test_parse_received(text: str, zone: str, region: str, expected: datetime) -> None:
    assert parse_received(text, zone=zone, region=region) == expected


def test_parse_received_refuses_nonsense() -> None:
    with pytest.raises(LeadError, match="cannot read the received time"):
        parse_received("last tuesday", zone="UTC")


def test_normalise_zone() -> None:
    assert normalise_zone("Eastern") == "America/New_York"
    assert normalise_zone(" PST ") == "America/Los_Angeles"
    assert normalise_zone("Europe/London") == "Europe/London"
    assert normalise_zone("") is None


# --- property-based: hostile bytes and text never crash, never reach the terminal ---------

UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000))
def test_parse_csv_any_bytes_gives_rows_or_a_file_error(data: bytes) -> None:
    try:
        parsed = parse_csv(b"Name,Phone,Notes\n" + data)
    except ImportFileError:
        return
    lines = (b"Name,Phone,Notes\n" + data).count(b"\n") + data.count(b"\r") + 2
    for row in parsed.rows:
        assert 2 <= row.line <= lines
    for rejection in parsed.rejections:
        assert rejection.reason and 2 <= rejection.line <= lines


cells = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=60
) | st.sampled_from(["\x1b[31mred\x1b[0m", "\x1b]0;title\x07x", "[b]bold[/b]", "\u202eevil"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.tuples(cells, cells), min_size=1, max_size=8))
def test_prepare_rows_any_text_is_clean_or_rejected(rows: list[tuple[str, str]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Name", "Phone", "Notes"])
    for number, (name, notes) in enumerate(rows):
        writer.writerow([name, f"212-555-{100 + number:04d}", notes])
    parsed = parse_csv(out.getvalue().encode())
    drafts, rejections = prepare_rows(parsed, now=datetime(2025, 3, 10, tzinfo=UTC))
    assert len(drafts) + len(rejections) <= len(rows)
    for _, draft in drafts:
        assert not UNSAFE.search(draft.name) and not UNSAFE.search(draft.notes)
        assert draft.name.strip()
    for rejection in rejections:
        assert "\n" not in rejection.reason and not UNSAFE.search(rejection.reason)
