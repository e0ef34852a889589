"""Normalisation: case, accents, punctuation, stretched letters, chat slang, light stemming."""

from __future__ import annotations

import pytest

from knowledge_base.normalize import SLANG, normalize, squeeze_repeats, stem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Tolongggg!!!", "tolong"),
        ("  Café   déjà-vu ", "cafe deja vu"),
        ("lupa pw e-mail", "lupa password email"),
        ("wifi kantor ga bisa konek", "wifi kantor tidak bisa connect"),
        ("Wi-Fi gabisa", "wifi tidak bisa"),
        ("gmn cara ganti kata sandi?", "bagaimana cara ubah password"),
        ("sy udh coba tp blm bs", "saya sudah coba tapi belum bisa"),
        ("laptop gw lemot bgt", "laptop saya lambat bgt"),
        ("printr offline", "printer offline"),
        ("", ""),
        ("?!...", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_squeeze_keeps_double_letters_inside_words() -> None:
    assert squeeze_repeats("cooool") == "cool"
    assert squeeze_repeats("hellooo") == "hello"
    assert squeeze_repeats("meeting") == "meeting"


def test_numbers_survive() -> None:
    assert normalize("Error 404 di lantai 3") == "error 404 di lantai 3"


def test_slang_table_is_normalised_data() -> None:
    for key, value in SLANG.items():
        assert key == key.lower().strip() and " " not in key
        assert value == value.lower().strip()


def test_stem_is_conservative() -> None:
    assert stem("printernya", "id") == "printer"
    assert stem("pembayaran", "id") == "bayar"
    assert stem("printing", "en") == "print"
    assert stem("cards", "en") == "card"
    assert stem("wifi", "id") == "wifi"
    assert stem("access", "en") == "access"
