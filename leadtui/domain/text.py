"""Make untrusted text safe to store and to show in a terminal as plain text.

Lead names, notes and sources come from web forms and vendor CSVs. `clean_text` removes
everything that could act on a terminal or disguise what is shown, and nothing else:

- whole escape sequences, not just their ESC byte: CSI (`ESC [` or 0x9B, e.g. colours,
  cursor moves), OSC (`ESC ]` or 0x9D, e.g. window titles, hyperlinks, clipboard writes),
  DCS, SOS, PM and APC strings up to their terminator (BEL or ST; an unterminated string
  runs to the next ESC or the end, as a terminal would swallow it), and two- or three-byte
  ESC sequences such as `ESC c` (reset);
- every other C0 and C1 control character, DEL and NUL;
- bidi embedding/override/isolate characters (U+202A..U+202E, U+2066..U+2069), LRM, RLM
  and ALM, zero-width space, word joiner and invisible operators, the BOM, deprecated
  format characters, interlinear annotation marks, Unicode tag characters (used to
  smuggle hidden text), Hangul filler letters (blank-looking "names") and lone surrogates
  (they cannot be encoded to UTF-8 at all).

Zero-width joiner/non-joiner and the soft hyphen stay: scripts and emoji need them and
they cannot reorder or hide text.

Line breaks: with `multiline=True` every line break (CR LF, CR, VT, FF, NEL, U+2028,
U+2029) becomes "\\n"; otherwise each becomes one space. A tab becomes one space. Nothing
else is collapsed. The result is trimmed at both ends. Cleaning is idempotent.
"""

from __future__ import annotations

import re

from leadtui.domain.model import LeadError

__all__ = ["INVISIBLE", "UNSAFE", "UNSAFE_IN_JSON", "clean_text", "one_line", "plain_line"]

# Characters that format invisibly or can make displayed text lie (see module docstring).
INVISIBLE = (
    "\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\u3164\ufeff\uffa0\ufff9-\ufffb\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e007f"
)
_SURROGATES = "\ud800-\udfff"

# One pass over escape sequences. Each alternative always succeeds once it has started
# (terminators and final bytes are optional), so the scan stays linear on hostile input.
_ESCAPES = re.compile(
    # DCS, SOS, OSC, PM, APC (7-bit and 8-bit introducers) with their payload
    "(?:\x1b[P\\]X^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\\\|\x9c)?"
    # CSI: parameters, intermediates, final byte
    "|(?:\x1b\\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    # any other escape sequence (or a lone ESC)
    "|\x1b[\x20-\x2f]*[\x30-\x7e]?"
)
_LINE_BREAKS = re.compile("\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
_REMOVE = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f{INVISIBLE}{_SURROGATES}]+")
_ABOVE_C0 = f"\x7f-\x9f\u2028\u2029{INVISIBLE}{_SURROGATES}"

#: The one set of characters that must never reach a terminal (or a config value) from
#: data: C0 and C1 controls, DEL, line/paragraph separators, the invisible and bidi
#: characters above and lone surrogates. `clean_text` removes them on the way in; the
#: faces replace or escape them on the way out (`plain_line`, the CLI's `visible`).
UNSAFE = re.compile(f"[\x00-\x1f{_ABOVE_C0}]")
#: The same without the C0 controls: what `json.dumps` leaves raw (it escapes C0 itself).
UNSAFE_IN_JSON = re.compile(f"[{_ABOVE_C0}]")
_SUSPECT = UNSAFE  # anything at all that needs more than a trim


def clean_text(value: str, *, max_length: int, multiline: bool = False, field: str = "text") -> str:
    """`value` without escape sequences, control and spoofing characters, trimmed.

    LeadError "<field> is longer than N characters" when the cleaned text is longer than
    `max_length`, and "<field> must be text" for a value that is not a string.
    """
    if not isinstance(value, str):
        raise LeadError(f"{field} must be text")
    # Refuse absurd input before doing any work on it (megabyte-long fields).
    if len(value) > max_length * 8 + 4096:
        raise LeadError(f"{field} is longer than {max_length} characters")
    if _SUSPECT.search(value):
        value = _ESCAPES.sub("", value)
        value = _LINE_BREAKS.sub("\n" if multiline else " ", value)
        value = value.replace("\t", " ")
        value = _REMOVE.sub("", value)
    value = value.strip()
    if len(value) > max_length:
        raise LeadError(f"{field} is longer than {max_length} characters")
    return value


def one_line(value: str, limit: int = 300) -> str:
    """Any text as one short, clean line (for error messages and log lines); never raises."""
    text = clean_text(str(value)[: limit * 8], max_length=1 << 30)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def plain_line(value: object, width: int | None = None, *, cut: str = "\u2026") -> str:
    """Visible text on one line: every unsafe character becomes a space, runs of white
    space one space; cut to `width` (ending in `cut`). For showing data, never raises."""
    text = " ".join(UNSAFE.sub(" ", str(value)).split())
    if width is not None and len(text) > width:
        text = text[: max(width - 1, 0)] + cut
    return text
