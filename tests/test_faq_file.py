"""The FAQ file formats: YAML and CSV loading, validation with line numbers, writing, round trips."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest

from bot.core.types import FaqEntry
from knowledge_base.faq_file import (
    CSV_COLUMNS,
    FaqFileError,
    FaqFileErrors,
    dump_faq,
    dump_faq_csv,
    load_faq_bytes,
    load_faq_csv,
    load_faq_file,
    load_faq_path,
    load_faq_text,
    load_out_of_scope_path,
    save_faq_file,
    validate_entry,
)
from knowledge_base.faq_file.validation import MAX_ANSWER_CHARS, MAX_PHRASING_CHARS

GOOD = textwrap.dedent(
    """\
    - id: vpn-setup
      category: network
      tags: [vpn, remote]
      questions:
        en: ["How do I set up the VPN?", "vpn not connecting"]
        id: ["cara pasang vpn", "vpn gak konek"]
      answer:
        en: |
          1. Install the client.
          2. Sign in.
        id: |
          1. Pasang aplikasinya.
          2. Masuk.
      triage:
        en: ["What is the exact error text?"]
        id: ["Apa isi pesan errornya?"]
    - id: phishing-received
      category: security
      security: true
      questions:
        en: ["I got a phishing email"]
        id: ["dapat email phishing"]
      answer:
        en: "1. Do not click anything."
        id: "1. Jangan klik apa pun."
    """
)


def errors_of(text: str, source: str = "faq.yaml") -> list[FaqFileError]:
    with pytest.raises(FaqFileErrors) as caught:
        load_faq_text(text, source)
    return caught.value.errors


def only_error(text: str) -> FaqFileError:
    errors = errors_of(text)
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def entry_yaml(**overrides: str) -> str:
    """One entry, one key per line (id on line 1); overrides replace or add keys, '!drop' removes one."""
    fields = {
        "id": "vpn-setup",
        "category": "network",
        "questions": '{en: ["vpn setup"], id: ["pasang vpn"]}',
        "answer": '{en: "1. Do it.", id: "1. Lakukan."}',
    }
    fields.update(overrides)
    lines = [f"  {key}: {value}" for key, value in fields.items() if value != "!drop"]
    lines[0] = "-" + lines[0][1:]
    return "\n".join(lines) + "\n"


# --- loading good files ---------------------------------------------------------------------


def test_loads_entries_with_all_keys() -> None:
    vpn, phishing = load_faq_text(GOOD)
    assert vpn == FaqEntry(
        id="vpn-setup",
        category="network",
        questions={
            "en": ("How do I set up the VPN?", "vpn not connecting"),
            "id": ("cara pasang vpn", "vpn gak konek"),
        },
        answer={"en": "1. Install the client.\n2. Sign in.", "id": "1. Pasang aplikasinya.\n2. Masuk."},
        tags=("vpn", "remote"),
        triage={"en": ("What is the exact error text?",), "id": ("Apa isi pesan errornya?",)},
    )
    assert phishing.security is True
    assert vpn.security is False
    assert vpn.version == 1


def test_one_language_entry_is_fine() -> None:
    (entry,) = load_faq_text(
        entry_yaml(questions='{id: ["lupa password", "pw lupa"]}', answer='{id: "1. Buka portal."}')
    )
    assert entry.questions == {"id": ("lupa password", "pw lupa")}
    assert entry.answer == {"id": "1. Buka portal."}
    (entry,) = load_faq_text(entry_yaml(questions='{en: ["forgot password"]}', answer='{en: "1. Open."}'))
    assert set(entry.answer) == {"en"}


def test_duplicate_phrasings_are_dropped_keeping_order() -> None:
    (entry,) = load_faq_text(
        entry_yaml(
            questions='{en: ["VPN setup", "other", "vpn  setup", " VPN setup ", "other"], id: ["a"]}',
            answer='{en: "x", id: "y"}',
        )
    )
    assert entry.questions["en"] == ("VPN setup", "other")


def test_text_is_trimmed() -> None:
    (entry,) = load_faq_text(
        entry_yaml(questions='{en: ["  spaced  "]}', answer='{en: "  1. a   \\n2. b  "}')
    )
    assert entry.questions["en"] == ("spaced",)
    assert entry.answer["en"] == "1. a\n2. b"


def test_security_false_and_empty_optional_keys() -> None:
    (entry,) = load_faq_text(entry_yaml(security="false", tags="[]", triage="{}"))
    assert entry.security is False and entry.tags == () and entry.triage == {}


def test_utf8_bom_and_crlf_are_accepted() -> None:
    data = ("\ufeff" + GOOD).replace("\n", "\r\n").encode("utf-8")
    entries = load_faq_bytes(data, "faq.yaml")
    assert entries == load_faq_text(GOOD)
    assert load_faq_bytes(GOOD.encode("utf-16"), "faq.yaml") == entries


def test_explicit_empty_list_is_no_entries() -> None:
    assert load_faq_text("[]") == []


# --- validation errors, with line and entry -------------------------------------------------


def test_error_string_format() -> None:
    error = FaqFileError("faq.yaml", "unknown key 'anwser'", "vpn-setup", 12)
    assert str(error) == "faq.yaml:12: entry 'vpn-setup': unknown key 'anwser'"
    assert str(FaqFileError("faq.yaml", "boom")) == "faq.yaml: boom"
    assert str(FaqFileError("faq.yaml", "boom", line=3)) == "faq.yaml:3: boom"
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error)


def test_unknown_key() -> None:
    error = only_error(entry_yaml(anwser='"x"'))
    assert (error.file, error.line, error.entry_id) == ("faq.yaml", 5, "vpn-setup")
    assert error.message.startswith("unknown key 'anwser'")
    assert "did you mean 'answer'" in error.message
    assert str(error).startswith("faq.yaml:5: entry 'vpn-setup': unknown key 'anwser'")


@pytest.mark.parametrize("key", ["id", "category", "questions", "answer"])
def test_missing_required_key(key: str) -> None:
    text = "# a comment\n" + entry_yaml(**{key: "!drop"})
    error = only_error(text)
    assert error.line == 2
    assert error.message.startswith(f"missing required key '{key}'")
    assert error.entry_id == (None if key == "id" else "vpn-setup")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("Vpn-Setup", "not kebab-case"),
        ("vpn_setup", "not kebab-case"),
        ("vpn--setup", "not kebab-case"),
        ("-vpn", "not kebab-case"),
        ("a" * 65, "limit is 64"),
        ('""', "must not be empty"),
        ("42", "must be text, not a number"),
        ("[a]", "must be text, not a list"),
    ],
)
def test_bad_id(value: str, fragment: str) -> None:
    error = only_error("\n" + entry_yaml(id=value))
    assert error.line == 2
    assert fragment in error.message


def test_id_of_64_chars_is_fine() -> None:
    assert load_faq_text(entry_yaml(id="a" * 64))[0].id == "a" * 64


def test_bad_category() -> None:
    error = only_error(entry_yaml(category="netwrk"))
    assert (error.line, error.entry_id) == (2, "vpn-setup")
    assert "unknown category 'netwrk'" in error.message and "network" in error.message


def test_unknown_language() -> None:
    text = entry_yaml(questions="\n    en: [a]\n    fr: [b]", answer='{en: "x"}')
    error = only_error(text)
    assert error.line == 5
    assert "unknown language 'fr'" in error.message


def test_answer_without_questions_in_that_language() -> None:
    error = only_error(entry_yaml(questions='{en: ["a"]}', answer='{en: "x", id: "y"}'))
    assert error.line == 1 and error.entry_id == "vpn-setup"
    assert error.message == "answer in 'id' but no questions in 'id'"


def test_questions_without_answer_in_that_language() -> None:
    error = only_error(entry_yaml(questions='{en: ["a"], id: ["b"]}', answer='{en: "x"}'))
    assert error.message == "questions in 'id' but no answer in 'id'"


def test_triage_language_needs_an_answer() -> None:
    error = only_error(entry_yaml(questions='{en: ["a"]}', answer='{en: "x"}', triage='{id: ["apa?"]}'))
    assert error.message == "triage questions in 'id' but no answer in 'id'"


@pytest.mark.parametrize(
    ("questions", "fragment"),
    [
        ("{en: []}", "must not be an empty list"),
        ('{en: "just one"}', "must be a list of phrasings, not text"),
        ('["a", "b"]', "must be a mapping of language"),
        ("{}", "at least one language"),
        ('{en: ["ok", ""]}', "questions.en[2] must not be empty"),
        ('{en: ["ok", "   "]}', "questions.en[2] must not be empty"),
        ('{en: ["ok", 404]}', "questions.en[2] must be text, not a number (put it in quotes"),
        ('{en: ["ok", yes]}', "must be text, not true/false"),
        ('{en: ["ok", null]}', "questions.en[2] must not be empty"),
        ('{en: ["ok", [x]]}', "must be text, not a list"),
        ('{en: ["ok", "two\\nlines"]}', "must be a single line"),
        (f'{{en: ["{"x" * (MAX_PHRASING_CHARS + 1)}"]}}', f"limit is {MAX_PHRASING_CHARS}"),
    ],
)
def test_bad_questions(questions: str, fragment: str) -> None:
    errors = errors_of(entry_yaml(questions=questions, answer='{en: "1. x"}'))
    assert any(fragment in e.message for e in errors), [str(e) for e in errors]
    assert all(e.entry_id == "vpn-setup" for e in errors)
    assert {e.line for e in errors} <= {1, 3}


def test_phrasing_error_points_at_its_own_line() -> None:
    text = textwrap.dedent(
        """\
        - id: printer-offline
          category: printing
          questions:
            en:
              - printer offline
              - 12345
              - ""
          answer:
            en: "1. Restart it."
        """
    )
    first, second = errors_of(text)
    assert (first.line, first.message[:22]) == (6, "questions.en[2] must b")
    assert (second.line, second.message) == (7, "questions.en[3] must not be empty")


def test_phrasing_of_500_chars_is_fine() -> None:
    long = "x" * MAX_PHRASING_CHARS
    (entry,) = load_faq_text(entry_yaml(questions=f'{{en: ["{long}"]}}', answer='{en: "a"}'))
    assert entry.questions["en"] == (long,)


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ('{en: ""}', "answer.en must not be empty"),
        ("{en: }", "answer.en must not be empty"),
        ("{en: 12}", "answer.en must be text, not a number"),
        ('{en: ["1. a"]}', "answer.en must be text, not a list"),
        ('"1. just text"', "answer must be a mapping of language"),
        ("{}", "at least one language"),
        (f'{{en: "{"x" * (MAX_ANSWER_CHARS + 1)}"}}', f"limit is {MAX_ANSWER_CHARS}"),
    ],
)
def test_bad_answer(answer: str, fragment: str) -> None:
    errors = errors_of(entry_yaml(questions='{en: ["a"]}', answer=answer))
    assert any(fragment in e.message and e.line == 4 for e in errors), [str(e) for e in errors]


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("tags", '"vpn"', "tags must be a list"),
        ("tags", "[vpn, 3]", "tags[2] must be text"),
        ("tags", '[vpn, "a,b"]', "must not contain a comma"),
        ("tags", '[""]', "tags[1] must not be empty"),
        (
            "security",
            '"yes"',
            "security must be true or false, not text (write true or false without quotes)",
        ),
        ("security", "1", "security must be true or false, not a number"),
        ("triage", '["which printer?"]', "triage must be a mapping"),
        ("triage", "{en: []}", "triage.en must not be an empty list"),
        ("triage", "{en: [42]}", "triage.en[1] must be text"),
        ("triage", "{xx: [a]}", "unknown language 'xx' in triage"),
        ("category", "7", "category must be text"),
    ],
)
def test_bad_optional_values(key: str, value: str, fragment: str) -> None:
    text = entry_yaml(**{key: value})
    key_line = next(n for n, line in enumerate(text.splitlines(), 1) if line.strip().startswith(f"{key}:"))
    errors = errors_of(text)
    assert any(fragment in e.message for e in errors), [str(e) for e in errors]
    error = next(e for e in errors if fragment in e.message)
    assert (error.line, error.entry_id) == (key_line, "vpn-setup")


def test_duplicate_id_in_one_file() -> None:
    text = entry_yaml() + entry_yaml(category="email")
    error = only_error(text)
    assert (error.line, error.entry_id) == (5, "vpn-setup")
    assert error.message == "duplicate id 'vpn-setup' (first used on line 1)"


def test_duplicate_key_in_one_entry() -> None:
    error = only_error(entry_yaml() + "  category: email\n")
    assert error.line == 5 and error.message == "duplicate key 'category' (first on line 2)"


def test_duplicate_language_key() -> None:
    error = only_error(entry_yaml(questions="\n    en: [a]\n    en: [b]", answer='{en: "x"}'))
    assert error.line == 5 and "names language 'en' twice" in error.message


def test_all_problems_are_reported_in_line_order() -> None:
    text = entry_yaml(id="Bad_Id", category="nope", extra="1") + entry_yaml(id="ok-one", answer='{en: ""}')
    errors = errors_of(text)
    assert [(e.line, e.entry_id) for e in errors] == [
        (1, "Bad_Id"),
        (2, "Bad_Id"),
        (5, "Bad_Id"),
        (6, "ok-one"),
        (9, "ok-one"),
    ]
    raised = FaqFileErrors(errors)
    assert str(raised) == "\n".join(str(e) for e in errors)
    assert raised.line == 1 and raised.file == "faq.yaml" and len(raised) == 5


def test_errors_without_id_name_the_entry_number() -> None:
    text = entry_yaml() + "- category: email\n  questions: {en: [a]}\n  answer: {en: b}\n"
    error = only_error(text)
    assert (error.line, error.entry_id) == (5, None)
    assert error.message == "missing required key 'id' (entry #2)"


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("", 1, "holds no entries"),
        ("# only a comment\n", 1, "holds no entries"),
        ("id: vpn\ncategory: network\n", 1, "top level must be a list of entries, not a mapping (start each"),
        ("just words", 1, "top level must be a list of entries, not text"),
        ("- just words\n", 1, "entry #1 must be a mapping"),
        ("- id: a\n  category: [unclosed\n", 3, "not valid YAML"),
        ("- id: a\n\tcategory: x\n", 2, "not valid YAML"),
        ("- id: a\n  answer: \x07bell\n", 2, "not valid YAML text"),
        ("- id: a\n---\n- id: b\n", 2, "not valid YAML"),
        ("- !!python/object:os.system {}\n", 1, "entry #1 must be a mapping"),
        ("- id: x\n  category: !!binary aGVsbG8=\n", 2, "category must be text, not binary data"),
        ("[" * 5000, None, "not valid YAML"),
    ],
)
def test_garbage_yaml_is_a_clean_error(text: str, line: int | None, fragment: str) -> None:
    errors = errors_of(text)
    assert any(fragment in e.message for e in errors), [str(e) for e in errors]
    if line is not None:
        assert next(e for e in errors if fragment in e.message).line == line


def test_binary_and_non_utf8_files(tmp_path: Path) -> None:
    binary = tmp_path / "picture.yaml"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(FaqFileError) as caught:
        load_faq_file(binary)
    assert "binary file" in caught.value.message and caught.value.line == 3
    assert str(caught.value).startswith(f"{binary}:3: ")

    latin = tmp_path / "latin.yaml"
    latin.write_bytes(b'- id: a\n  category: network\n  answer: {id: "caf\xe9"}\n')
    with pytest.raises(FaqFileError) as caught:
        load_faq_file(latin)
    assert caught.value.line == 3 and "not UTF-8" in caught.value.message

    random_bytes = bytes(range(256)) * 4
    with pytest.raises(FaqFileError):
        load_faq_bytes(random_bytes, "upload.yaml")
    with pytest.raises(FaqFileError):
        load_faq_bytes(random_bytes, "upload.csv")


def test_missing_and_unsupported_paths(tmp_path: Path) -> None:
    with pytest.raises(FaqFileError, match="no such file or folder"):
        load_faq_path(tmp_path / "nope.yaml")
    other = tmp_path / "faq.json"
    other.write_text("[]")
    with pytest.raises(FaqFileError, match="unsupported file type"):
        load_faq_path(other)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FaqFileError, match="holds no .yaml"):
        load_faq_path(empty)
    with pytest.raises(FaqFileError, match="unsupported file type"):
        load_faq_bytes(b"[]", "faq.json", fmt="json")


def test_too_many_problems_are_capped() -> None:
    text = "".join(
        f"- id: BAD{i}\n  category: x\n  questions: {{en: [a]}}\n  answer: {{en: b}}\n" for i in range(150)
    )
    errors = errors_of(text)
    assert len(errors) == 201
    assert errors[-1].message == "... and 100 more problems not listed"


# --- folders ---------------------------------------------------------------------------------


def test_folder_of_files(tmp_path: Path) -> None:
    (tmp_path / "b-network.yaml").write_text(entry_yaml(id="vpn-setup"), encoding="utf-8")
    (tmp_path / "a-email.yml").write_text(entry_yaml(id="mailbox-full", category="email"), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a faq", encoding="utf-8")
    (tmp_path / ".hidden.yaml").write_text("garbage: [", encoding="utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "c.yaml").write_text("garbage: [", encoding="utf-8")
    entries = load_faq_path(tmp_path)
    assert [e.id for e in entries] == ["mailbox-full", "vpn-setup"]
    assert load_faq_path(str(tmp_path / "b-network.yaml"))[0].id == "vpn-setup"


def test_folder_reports_problems_of_every_file_and_cross_file_duplicates(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(entry_yaml(id="vpn-setup"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(entry_yaml(id="vpn-setup"), encoding="utf-8")
    (tmp_path / "c.yaml").write_text(entry_yaml(id="other", colour="red"), encoding="utf-8")
    (tmp_path / "d.yaml").write_bytes(b"\x00\x01\x02")
    with pytest.raises(FaqFileErrors) as caught:
        load_faq_path(tmp_path)
    found = [
        (Path(e.file).name, e.line, e.entry_id, e.message.split(" (")[0].split(";")[0])
        for e in caught.value.errors
    ]
    assert found == [
        ("b.yaml", None, "vpn-setup", f"duplicate id: also defined in {tmp_path / 'a.yaml'}"),
        ("c.yaml", 5, "other", "unknown key 'colour'"),
        ("d.yaml", 1, None, "this is a binary file, not text"),
    ]


# --- writing and round trips -----------------------------------------------------------------


def sample_entries() -> list[FaqEntry]:
    return [
        FaqEntry(
            id="vpn-setup",
            category="network",
            questions={
                "en": (
                    "How do I set up the VPN?",
                    "vpn | not: connecting #1",
                    "yes",
                    "404",
                    "- dash",
                    "'quoted'",
                ),
                "id": ("cara pasang vpn", "vpn gak konek, gmn?", "null"),
            },
            answer={
                "en": (
                    "1. Install the client: https://vpn.example.com\n2. Sign in.\n\n"
                    "   - indented note\n3. Done."
                ),
                "id": "1. Pasang aplikasinya.\n2. Masuk — lalu klik “Connect” 🙂",
            },
            tags=("vpn", "remote work"),
            triage={"en": ("What is the exact error text?",), "id": ("Apa isi pesan errornya?", "Di mana?")},
        ),
        FaqEntry(
            id="phishing-received",
            category="security",
            questions={"en": ("I got a phishing email",), "id": ("dapat email phishing",)},
            answer={"en": "Single line: no numbering.", "id": '"Quoted" and \\ backslash\ttab'},
            security=True,
        ),
        FaqEntry(
            id="lupa-password",
            category="account",
            questions={"id": ("lupa pw", "pw ke-reset ga bisa login")},
            answer={"id": "1. Buka https://password.example.com\n2. Ikuti langkahnya."},
        ),
    ]


def test_yaml_round_trip() -> None:
    entries = sample_entries()
    text = dump_faq(entries)
    assert load_faq_text(text) == entries
    assert dump_faq(load_faq_text(text)) == text


def test_yaml_round_trip_of_a_loaded_file() -> None:
    entries = load_faq_text(GOOD)
    assert load_faq_text(dump_faq(entries)) == entries


def test_dump_format_follows_the_design() -> None:
    text = dump_faq(sample_entries())
    first = text.split("\n\n- ")[0]
    top_keys = [line[2:].split(":")[0] for line in first.splitlines() if line[2:3].isalpha()]
    assert top_keys == ["id", "category", "tags", "questions", "answer", "triage"]
    assert "security: true" in text and "security: false" not in text
    assert "    en: |-\n      1. Install the client: https://vpn.example.com\n      2. Sign in.\n" in text
    assert "Masuk — lalu klik “Connect” 🙂" in text  # unicode kept
    assert "\n\n- id: phishing-received\n  category: security\n  security: true\n  questions:\n" in text
    assert "version" not in text
    assert dump_faq([]) == "[]\n"
    assert load_faq_text(dump_faq([])) == []


def test_csv_round_trip() -> None:
    entries = sample_entries()
    text = dump_faq_csv(entries)
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert load_faq_csv(text) == entries
    assert dump_faq_csv(load_faq_csv(text)) == text
    assert load_faq_csv(dump_faq_csv(load_faq_text(GOOD))) == load_faq_text(GOOD)


def test_csv_layout() -> None:
    text = dump_faq_csv(sample_entries()[1:2])
    assert text == (
        "id,category,lang,questions,answer,tags,security,triage\n"
        "phishing-received,security,en,I got a phishing email,Single line: no numbering.,,true,\n"
        'phishing-received,security,id,dapat email phishing,"""Quoted"" and \\ backslash\ttab",,true,\n'
    )


def test_csv_hand_written_variants() -> None:
    text = (
        "\ufeffID;Category;Lang;Questions;Answer;Tags\r\n"
        '"vpn-setup";network;en;"vpn setup\r\n\r\nvpn broken\r\nVPN setup";"1. Do it.";"vpn, remote ,"\r\n'
        "\r\n"
        'vpn-setup;;id;"pasang vpn";"1. Lakukan."\r\n'
    )
    (entry,) = load_faq_csv(text)
    assert entry == FaqEntry(
        id="vpn-setup",
        category="network",
        questions={"en": ("vpn setup", "vpn broken"), "id": ("pasang vpn",)},
        answer={"en": "1. Do it.", "id": "1. Lakukan."},
        tags=("vpn", "remote"),
    )


def test_csv_security_words() -> None:
    header = "id,category,lang,questions,answer,security\n"
    for word, expected in (("yes", True), ("TRUE", True), ("ya", True), ("no", False), ("", False)):
        (entry,) = load_faq_csv(header + f"a,security,en,q,x,{word}\n")
        assert entry.security is expected


@pytest.mark.parametrize(
    ("rows", "line", "entry_id", "fragment"),
    [
        ("vpn-setup,network,en,q,\n", 2, "vpn-setup", "answer.en must not be empty"),
        ("vpn-setup,network,en,,x\n", 2, "vpn-setup", "the questions cell is empty"),
        ("vpn-setup,netwrk,en,q,x\n", 2, "vpn-setup", "unknown category 'netwrk'"),
        ("vpn-setup,network,fr,q,x\n", 2, "vpn-setup", "unknown language 'fr'"),
        ("vpn-setup,network,,q,x\n", 2, "vpn-setup", "the lang cell is empty"),
        ("Bad Id,network,en,q,x\n", 2, "Bad Id", "not kebab-case"),
        (",network,en,q,x\n", 2, None, "the row has no id"),
        ("a,network,en,q,x\na,network,en,q2,y\n", 3, "a", "language 'en' appears twice (first on line 2)"),
        ("a,network,en,q,x\na,email,id,q2,y\n", 3, "a", "category 'email' differs from 'network' on line 2"),
        ("a,,en,q,x\n", 2, "a", "no row gives the category"),
        ('a,network,en,"ok\n' + "x" * 501 + '",x\n', 2, "a", "limit is 500"),
        ('a,network,en,"multi\nline",x\nb,network,en,q,x,,,extra\n', 4, "b", "the row has 8 cells"),
        ('a,network,en,"q\n",x\nb,network,en,q,x,,maybe\n', 4, "b", "security must be true or false"),
        ('a,network,en,q,x\nb,network,en,"unclosed,x\n', 3, None, "not valid CSV"),
        ('a,network,en,q,x\nb,network,en,"q"x,y\n', 3, None, "not valid CSV"),
    ],
)
def test_csv_errors_carry_the_line(rows: str, line: int, entry_id: str | None, fragment: str) -> None:
    header = "id,category,lang,questions,answer,tags,security\n"
    with pytest.raises(FaqFileErrors) as caught:
        load_faq_csv(header + rows, "faq.csv")
    errors = caught.value.errors
    assert any(e.line == line and e.entry_id == entry_id and fragment in e.message for e in errors), [
        str(e) for e in errors
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "holds no rows"),
        ("id,category,lang,questions\n", "lacks the column(s) answer"),
        ("id,category,lang,questions,answer,colour\n", "unknown column 'colour'"),
        ("id,id,category,lang,questions,answer\n", "appears twice"),
        ("vpn-setup,network,en,q,x\n", "lacks the column(s)"),
        ("id,category\x00", "binary file"),
    ],
)
def test_csv_bad_header_or_content(text: str, fragment: str) -> None:
    with pytest.raises(FaqFileErrors) as caught:
        load_faq_csv(text)
    assert any(fragment in e.message for e in caught.value.errors), [str(e) for e in caught.value.errors]


def test_save_and_load_files(tmp_path: Path) -> None:
    entries = sample_entries()
    for name in ("faq.yaml", "faq.csv"):
        save_faq_file(tmp_path / name, entries)
        assert load_faq_path(tmp_path / name) == entries
        assert load_faq_file(tmp_path / name) == entries


def test_validate_entry() -> None:
    good = sample_entries()[0]
    assert validate_entry(good) == []
    bad = FaqEntry(id="Bad", category="misc", questions={"en": ("a",)}, answer={"id": "x"})
    problems = validate_entry(bad)
    assert any("not kebab-case" in p for p in problems)
    assert any("unknown category" in p for p in problems)
    assert "answer in 'id' but no questions in 'id'" in problems


def test_out_of_scope_questions_are_read_one_per_line(tmp_path: Path) -> None:
    listed = tmp_path / "not-covered.txt"
    listed.write_bytes(
        "\ufeff# what the FAQ does not answer\n\nlampu proyektor  mati\r\n".encode()
        + b"LAMPU proyektor mati\nmeja saya goyang\n"
    )
    assert load_out_of_scope_path(listed) == ("lampu proyektor mati", "meja saya goyang")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\x00\x01binary", "binary file"),
        (b"# only a comment\n\n", "lists no questions"),
        (b"caf\xe9 broken", "not UTF-8"),
        (("x" * (MAX_PHRASING_CHARS + 1)).encode() + b"\nfine question\n", "the limit is"),
    ],
)
def test_a_bad_out_of_scope_file_is_refused_with_the_reason(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    listed = tmp_path / "not-covered.txt"
    listed.write_bytes(content)
    with pytest.raises(FaqFileErrors) as caught:
        load_out_of_scope_path(listed)
    assert problem in str(caught.value)
    with pytest.raises(FaqFileErrors, match="cannot read"):
        load_out_of_scope_path(tmp_path / "missing.txt")
