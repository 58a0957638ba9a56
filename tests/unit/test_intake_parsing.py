"""Pure parts of the intake services: body and label parsing, the [intake] config table,
the webhook's gate (tokens, signatures, rate limit with a fake clock), the inquiry key in
the store, and the one-line message when the `intake` extra is missing."""

from __future__ import annotations

import hashlib
import hmac
import sys
from datetime import UTC, datetime

import pytest

from leadtui.cli import main
from leadtui.config import ConfigError, load_settings
from leadtui.domain.cadence import load_cadence
from leadtui.domain.model import LeadError
from leadtui.intake.fields import FieldError, form_pairs, json_pairs, map_pairs
from leadtui.intake.http import Gate
from leadtui.intake.mailparse import NotALead, html_to_text, read_message
from leadtui.intake.settings import parse_intake
from leadtui.service.add_lead import Arrival, add_arrivals, add_lead
from leadtui.store.repository import open_store

NOW = datetime(2026, 5, 12, 18, 45, tzinfo=UTC)


def test_form_keys_use_imports_header_aliases():
    pairs = form_pairs(b"Given+Name=Lia&Surname=Okafor&Cell+Number=404-555-0177&btn=Go", None)
    assert map_pairs(pairs) == {"name": "Lia Okafor", "phone": "404-555-0177"}
    assert map_pairs([("Contact Name", "A B"), ("Full Name", "C D")])["name"] == "A B"


def test_json_members_must_be_text_or_numbers():
    assert map_pairs(json_pairs(b'{"phone": 4045550177, "name": "N", "email": null}')) == {
        "phone": "4045550177",
        "name": "N",
    }
    with pytest.raises(FieldError, match="^email must be text"):
        json_pairs(b'{"Email Address": {"x": 1}}')
    with pytest.raises(FieldError, match="malformed JSON at line 2"):
        json_pairs(b'{"a": 1,\n oops}')
    with pytest.raises(FieldError, match="not UTF-8"):
        json_pairs('{"name": "é"}'.encode("latin-1"))


def test_form_charset_is_honoured_and_unknown_ones_refused():
    latin = b"Name=Ren%E9e&Phone=1"
    assert map_pairs(form_pairs(latin, "iso-8859-1"))["name"] == "Renée"
    with pytest.raises(FieldError, match="not valid utf-8"):
        form_pairs(latin, None)
    with pytest.raises(FieldError, match="unknown charset"):
        form_pairs(b"a=b", "klingon-8")


def test_html_table_rows_read_as_label_lines():
    html = "<table><tr><td>Name:</td><td>Al &lt;b&gt;</td></tr><tr><th>Tel</th><td>:1</td></tr>"
    assert html_to_text(html + "<script>evil()</script></table>") == "Name: Al <b>\nTel :1"


def test_mail_fields_received_and_key():
    raw = (
        b"From: Forms <Forms@Site.Example>\r\nDate: Tue, 12 May 2026 09:10:11 -0700\r\n"
        b"Message-ID: <abc.42@site.example>\r\nSubject: =?utf-8?q?New_lead_=E2=9C=93?=\r\n\r\n"
        b"* Name: Tomas Berg\r\n> Phone Number: 971 555 0108\r\nDate: yesterday\r\n"
    )
    lead = read_message(raw)
    assert lead.fields == {
        "name": "Tomas Berg",
        "phone": "971 555 0108",
        "source": "forms@site.example",
    }
    assert lead.received == datetime(2026, 5, 12, 16, 10, 11, tzinfo=UTC)  # not the body's
    assert lead.key == "mail:<abc.42@site.example>" and lead.subject == "New lead ✓"
    no_id = raw.replace(b"Message-ID: <abc.42@site.example>\r\n", b"")
    assert read_message(no_id).key == read_message(no_id).key != lead.key
    with pytest.raises(NotALead, match="no phone found"):
        read_message(raw.replace(b"Phone Number", b"Fax"))


def test_intake_config_is_checked(tmp_path):
    good = parse_intake({"tokens": {"web-form": "x" * 20}, "rate_limit": 3})
    assert good.tokens == {"web-form": "x" * 20} and good.rate_limit == 3.0
    assert "x" * 20 not in repr(good)
    for bad, words in [
        ({"tokens": {"web": "short"}}, "at least 16"),
        ({"tokens": {"bad name": "y" * 20}}, "source name"),
        ({"rate_limit": 0}, "rate_limit"),
        ({"mail": {"handled": "move"}}, "move_to"),
        ({"mail": {"labels": {"nobody": {"phone": ["Tel"]}}}}, "sender"),
        ({"mail": {"labels": {"@x.example": {"fax": ["Fax"]}}}}, "unknown field"),
        ({"colour": 1}, "unknown key"),
    ]:
        with pytest.raises(ValueError, match=words):
            parse_intake(bad)
    config = tmp_path / "config.toml"
    config.write_text('rep_name = "R"\n\n[intake.tokens]\nweb = "tiny"\n')
    with pytest.raises(ConfigError, match=r"line 3: intake tokens.web must be at least 16"):
        load_settings(config, env={})


def test_gate_tokens_signatures_and_rate():
    clock = [100.0]
    gate = Gate({"a": "token-a-0123456789", "b": "token-b-0123456789"},
                {"v": "secret-v-0123456789"}, rate=2, monotonic=lambda: clock[0])  # fmt: skip
    assert gate.by_token("token-b-0123456789") == "b"
    assert gate.by_token("token-b-012345678") is None
    body = b'{"name": "x"}'
    signature = hmac.new(b"secret-v-0123456789", body, hashlib.sha256).hexdigest()
    assert gate.by_signature(f"sha256={signature}", body) == "v"
    assert gate.by_signature(signature.upper(), body) == "v"
    assert gate.by_signature(signature, body + b" ") is None
    assert [gate.allow("a") for _ in range(10)] == [0.0] * 10  # a burst of 5 s at 2/s
    assert gate.allow("a") == pytest.approx(0.5)
    assert gate.allow("b") == 0.0  # buckets are per source
    clock[0] += 1.0
    assert [gate.allow("a") for _ in range(2)] == [0.0, 0.0]
    assert gate.allow("a") > 0


def test_inquiry_key_stores_once_and_answers_as_the_first_time(backend):
    with backend.open() as store:  # on both backends (tests/store_backends.py)
        first = add_lead(store, name="Kai", phone="+1 206 555 0142", inquiry_key="k1", now=NOW)
        repeat = add_lead(store, name="Kai", phone="+1 206 555 0142", inquiry_key="k2", now=NOW)
        assert (first.created, first.replayed, repeat.created, repeat.replayed) == (
            True, False, False, False)  # fmt: skip
    with backend.open() as store:  # after a restart
        again = add_lead(store, name="Kai", phone="+1 206 555 0142", inquiry_key="k1", now=NOW)
        again2 = add_lead(store, name="Kai", phone="+1 206 555 0142", inquiry_key="k2", now=NOW)
        assert (again.created, again.replayed, again2.created, again2.replayed) == (
            True, True, False, True)  # fmt: skip
        (lead,) = store.leads()
        assert len(lead.inquiries) == 1


def test_add_arrivals_stores_the_good_and_returns_the_refusals(tmp_path):
    with open_store(tmp_path / "leads.json", cadence=load_cadence()) as store:
        answers = add_arrivals(
            store,
            [Arrival("Ann", "+1 212 555 0101"), Arrival("Bad", "99"),
             Arrival("Ann Again", "212-555-0101", inquiry_key="m2")],
            now=NOW,
        )  # fmt: skip
        assert answers[0].created and isinstance(answers[1], LeadError)
        assert answers[2].lead.id == answers[0].lead.id and not answers[2].created
        assert store.lead_count() == 1


def test_a_missing_extra_is_one_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    assert main(["intake", "serve"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("leadtui: the intake services need the 'intake' extra (uvicorn")
    assert err.count("\n") == 1


def test_a_comment_over_several_lines_is_kept_whole_and_nothing_else_runs_on(tmp_path):
    raw = (
        b"From: Form <form@site.example>\r\nMessage-ID: <m-7@site.example>\r\n"
        b"Subject: New inquiry\r\n\r\n"
        b"Name: Tove Lind\r\nPhone: +46 8 555 012 34\r\nThanks, talk soon\r\n"
        b"Message: Two offices, 40 seats.\r\nCan you call after lunch?\r\n"
        b"> quoted line too\r\n\r\nThis paragraph is not part of it.\r\n"
        b"-- \r\nSent from the site\r\n"
    )
    mail = read_message(raw)
    assert mail.fields["name"] == "Tove Lind"
    assert mail.fields["phone"] == "+46 8 555 012 34"  # its next line is not the number
    assert mail.fields["notes"] == (
        "Two offices, 40 seats.\nCan you call after lunch?\nquoted line too"
    )
    store = open_store(tmp_path / "leads.json", cadence=load_cadence(None))
    try:
        done = add_lead(store, name=mail.fields["name"], phone=mail.fields["phone"],
                        notes=mail.fields["notes"], source="mail", now=NOW)  # fmt: skip
        stored = store.get_lead(done.lead.id)
    finally:
        store.close()
    assert "Can you call after lunch?" in stored.notes
    assert "This paragraph" not in stored.notes
