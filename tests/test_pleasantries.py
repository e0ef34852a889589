"""Greetings and thanks around a question: left out of what is matched, never the problem itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.pleasantries import topic_of
from knowledge_base.embeddings import EmbeddingCache
from knowledge_base.encoders import make_encoder
from knowledge_base.faq_file import load_faq_path
from knowledge_base.matcher import FaqMatcher
from knowledge_base.normalize import normalize
from knowledge_base.semantic import SemanticMatcher
from tests.test_semantic import CountingEncoder

OWN_FAQ = Path(__file__).resolve().parent.parent / "benchmarks" / "helpdesk45" / "faq.yaml"


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("Halo, selamat pagi pak. Mau tanya, VPN putus terus. Terima kasih banyak ya", "vpn putus terus"),
        ("hi team, quick question: outlook won't open, thanks in advance", "outlook won't open"),
        ("gak bisa login makasih ya", "gak bisa login"),  # the negation is the problem
        ("no internet pls", "no internet"),
        ("admin rights needed please", "admin rights needed"),
        ("my headset drops every few min", "my headset drops every few min"),  # minutes, not "admin"
        ("halo pak", "halo pak"),  # nothing but a greeting: left as it is
        ("thank you so much", "thank you so much"),
    ],
)
def test_the_topic_leaves_out_opening_greetings_and_closing_thanks(message: str, topic: str) -> None:
    assert topic_of(normalize(message)) == normalize(topic)


def test_a_question_wrapped_in_greetings_scores_as_the_bare_question() -> None:
    matcher = FaqMatcher(load_faq_path(OWN_FAQ)[:12], default_lang="id")
    bare = matcher.rank("akun saya terkunci setelah salah password")
    wrapped = matcher.rank("Halo, pagi pak. Mau tanya, akun saya terkunci setelah salah password. Makasih ya")
    assert [(c.entry_id, c.score) for c in wrapped] == [(c.entry_id, c.score) for c in bare]
    assert bare[0].entry_id == "account-locked"


def test_the_model_encodes_the_topic_once_for_every_greeting_around_it() -> None:
    encoder = CountingEncoder(make_encoder("semantic"))  # type: ignore[arg-type]
    semantic = SemanticMatcher(EmbeddingCache(encoder), load_faq_path(OWN_FAQ)[:4], default_lang="id")  # type: ignore[arg-type]
    semantic.prepare("selamat siang bu, printer di lantai tiga macet terus, makasih")
    encoded = len(encoder.texts)
    assert semantic.is_prepared("printer di lantai tiga macet terus")
    assert semantic.is_prepared("Halo kak, printer di lantai tiga macet terus ya")
    semantic.match("pagi pak printer di lantai tiga macet terus")
    assert len(encoder.texts) == encoded
