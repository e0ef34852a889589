"""FAQ matcher behaviour on a small bilingual knowledge base."""

from __future__ import annotations

import time

import pytest

from bot.core.types import Decision, FaqEntry, MatchThresholds
from knowledge_base.matcher import FaqMatcher


def _entry(eid: str, category: str, en: list[str], id_: list[str], security: bool = False) -> FaqEntry:
    return FaqEntry(
        id=eid,
        category=category,
        questions={"en": tuple(en), "id": tuple(id_)},
        answer={"en": f"answer {eid}", "id": f"jawaban {eid}"},
        security=security,
    )


FAQ = [
    _entry(
        "email-password",
        "email",
        ["I forgot my email password", "reset my email password", "can't log in to my email"],
        ["lupa password email", "cara reset kata sandi email", "tidak bisa login email"],
    ),
    _entry(
        "wifi",
        "network",
        ["wifi is not connecting", "office wifi does not work", "no internet on the wifi"],
        ["wifi kantor tidak bisa connect", "tidak bisa terhubung ke wifi", "internet wifi mati"],
    ),
    _entry(
        "printer",
        "printing",
        ["printer is offline", "cannot print to the printer", "printer paper jam"],
        ["printer offline", "tidak bisa mencetak ke printer", "kertas printer macet"],
    ),
    _entry(
        "laptop-slow",
        "hardware",
        ["my laptop is very slow", "computer freezes and is slow"],
        ["laptop lambat sekali", "komputer sering hang dan lambat"],
    ),
    _entry(
        "vpn",
        "network",
        ["how do I connect to the vpn", "vpn keeps disconnecting"],
        ["cara connect ke vpn", "vpn sering putus"],
    ),
    _entry(
        "phishing",
        "security",
        ["I clicked a suspicious link in an email", "I think I got a phishing email"],
        ["saya klik link mencurigakan di email", "dapat email phishing"],
        security=True,
    ),
]


@pytest.fixture(scope="module")
def matcher() -> FaqMatcher:
    return FaqMatcher(FAQ)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lupa pw email", "email-password"),
        ("wifi kantor ga bisa konek", "wifi"),
        ("printr offline", "printer"),
        ("printernya offlineee tolongggg", "printer"),
        ("laptop gw lemot bgt", "laptop-slow"),
        ("forgot my emial pasword", "email-password"),
        ("the wi-fi in the office doesnt work", "wifi"),
        ("vpn putus terus", "vpn"),
        ("got a phishing mail", "phishing"),
    ],
)
def test_typos_and_slang_find_the_entry(matcher: FaqMatcher, text: str, expected: str) -> None:
    result = matcher.match(text)
    assert result.best is not None
    assert result.best.entry_id == expected
    assert result.decision in (Decision.ANSWER, Decision.CLARIFY)


def test_clear_question_is_answered(matcher: FaqMatcher) -> None:
    result = matcher.match("wifi kantor tidak bisa connect")
    assert result.decision is Decision.ANSWER
    assert result.best is not None and result.best.entry_id == "wifi"
    assert result.lang == "id"
    assert result.normalized == "wifi kantor tidak bisa connect"


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "!!!???", "@@@ ### $$$"])
def test_empty_or_garbage_escalates_without_candidates(matcher: FaqMatcher, text: str) -> None:
    result = matcher.match(text)
    assert result.decision is Decision.ESCALATE
    assert result.candidates == ()


@pytest.mark.parametrize(
    "text", ["what is the weather tomorrow in paris", "resep nasi goreng enak", "qzxv jjkw"]
)
def test_unrelated_text_escalates(matcher: FaqMatcher, text: str) -> None:
    assert matcher.match(text).decision is Decision.ESCALATE


def test_close_entries_clarify() -> None:
    m = FaqMatcher(
        [
            _entry(
                "jira-password",
                "access",
                ["reset jira password", "forgot jira password"],
                ["reset password jira"],
            ),
            _entry(
                "wiki-password",
                "access",
                ["reset wiki password", "forgot wiki password"],
                ["reset password wiki"],
            ),
        ]
    )
    result = m.match("reset password")
    assert result.decision is Decision.CLARIFY
    assert {c.entry_id for c in result.candidates} == {"jira-password", "wiki-password"}
    best = m.match("forgot wiki password").best
    assert best is not None and best.entry_id == "wiki-password"
    assert len(result.candidates) <= 3


def test_thresholds_change_the_decision(matcher: FaqMatcher) -> None:
    text = "printer offline"
    assert matcher.match(text).decision is Decision.ANSWER
    strict = FaqMatcher(FAQ, thresholds=MatchThresholds(answer=99.9, margin=0.0, clarify=1.0))
    assert strict.match(text).decision is Decision.CLARIFY
    strict.set_thresholds(MatchThresholds(answer=100.0, margin=0.0, clarify=100.0))
    assert strict.thresholds.clarify == 100.0
    assert strict.match(text).decision is Decision.ESCALATE


def test_candidates_are_ranked_and_explained(matcher: FaqMatcher) -> None:
    cands = matcher.rank("printer offline", k=5)
    assert 1 <= len(cands) <= 5
    scores = [c.score for c in cands]
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 100.0 for s in scores)
    names = {name for name, _ in cands[0].components}
    assert {"max", "centroid", "bayes", "fuzzy"} <= names


def test_rebuild_replaces_entries(matcher: FaqMatcher) -> None:
    m = FaqMatcher(FAQ[:2])
    assert m.match("printer offline").decision is Decision.ESCALATE
    m.rebuild(FAQ, MatchThresholds(answer=60.0, margin=5.0, clarify=40.0))
    assert m.thresholds.answer == 60.0
    best = m.match("printer offline").best
    assert best is not None and best.entry_id == "printer"
    m.rebuild([])
    assert m.match("printer offline").decision is Decision.ESCALATE


def test_explicit_language_is_kept(matcher: FaqMatcher) -> None:
    assert matcher.match("printer offline", lang="en").lang == "en"
    assert FaqMatcher(FAQ, default_lang="en").match("vpn").lang == "en"


def test_very_long_text_is_fast_and_safe(matcher: FaqMatcher) -> None:
    text = ("printer offline tolong " * 500)[:10_000]
    start = time.perf_counter()
    result = matcher.match(text)
    assert time.perf_counter() - start < 0.5
    assert result.best is not None and result.best.entry_id == "printer"


def test_empty_knowledge_base_escalates() -> None:
    assert FaqMatcher().match("printer offline").decision is Decision.ESCALATE


def test_components_include_odds_and_cover(matcher: FaqMatcher) -> None:
    cands = matcher.rank("printer offline", k=3)
    parts = dict(cands[0].components)
    assert parts["odds"] > 0 > dict(cands[1].components)["odds"]
    assert 0.0 <= parts["cover"] <= 100.0
    assert parts["cover"] > dict(cands[-1].components)["cover"]


def test_unknown_words_lower_the_score(matcher: FaqMatcher) -> None:
    plain = matcher.rank("printer offline", k=1)[0]
    padded = matcher.rank("printer offline zorblax quuxify", k=1)[0]
    assert padded.entry_id == plain.entry_id == "printer"
    assert padded.score < plain.score


def test_decision_features_and_confidence() -> None:
    from bot.core.types import Candidate
    from knowledge_base.confidence import confidence, decision_features

    names = ("score", "margin", "odds", "fuzzy", "cover", "semantic", "oos_lead", "vote")
    assert decision_features([]) == dict.fromkeys(names, 0.0)
    cands = [
        Candidate("a", 80.0, (("odds", 2.5), ("fuzzy", 90.0), ("cover", 70.0))),
        Candidate("b", 55.0, (("odds", -2.5),)),
    ]
    feats = decision_features(cands)
    expected = {"score": 80.0, "margin": 25.0, "odds": 2.5, "fuzzy": 90.0, "cover": 70.0, "semantic": 0.0}
    expected["oos_lead"] = expected["vote"] = 0.0
    assert feats == expected
    assert confidence(feats, {"bias": 0.0}) == 50.0
    low = confidence(feats, {"bias": -3.0, "odds": 0.5})
    high = confidence(feats, {"bias": -3.0, "odds": 1.5})
    assert 0.0 < low < 50.0 < high < 100.0


def test_large_knowledge_base_skips_common_features_but_still_ranks() -> None:
    many = [
        _entry(f"e{i}", "other", [f"the thing number {i} is broken", f"the {i} thing does not work"], [])
        for i in range(60)
    ]
    m = FaqMatcher([*FAQ, *many])
    best = m.match("printer offline").best
    assert best is not None and best.entry_id == "printer"
    best = m.match("the thing number 42 is broken").best
    assert best is not None and best.entry_id == "e42"
