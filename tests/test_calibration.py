"""Threshold calibration and labelled-file loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.types import Candidate, Decision, MatchThresholds
from knowledge_base.calibration import (
    CONFIDENCE_FEATURES,
    calibrate,
    evaluate,
    fit_confidence,
    format_confidence,
    rank_labelled,
    ranked_from,
)
from knowledge_base.confidence import confidence, decision_features, ruled_out
from knowledge_base.labelled import LabelledFileError, load_labelled
from knowledge_base.matcher import FaqMatcher
from tests.test_matcher import FAQ

LABELLED = [
    ("lupa pw email", "email-password"),
    ("forgot email password", "email-password"),
    ("wifi kantor ga bisa konek", "wifi"),
    ("office wifi broken", "wifi"),
    ("printr offline", "printer"),
    ("cannot print", "printer"),
    ("laptop lemot", "laptop-slow"),
    ("vpn putus", "vpn"),
    ("phishing email", "phishing"),
    ("what is the weather tomorrow", "escalate"),
    ("resep nasi goreng", "escalate"),
    ("book a flight to bali", "escalate"),
    ("kantin buka jam berapa", "escalate"),
    ("how do I bake sourdough bread", "escalate"),
]


def test_calibration_reduces_wrong_answers() -> None:
    loose = MatchThresholds(answer=1.0, margin=0.0, clarify=0.5)
    matcher = FaqMatcher(FAQ, thresholds=loose)
    before = evaluate(matcher, LABELLED)
    assert before.wrong_answer_rate > 0.2
    cal = calibrate(matcher, LABELLED, max_wrong_rate=0.0, apply=True)
    assert cal.wrong_answer_rate == 0.0
    assert cal.answered_correct_rate > 0.5
    assert matcher.thresholds == cal.thresholds
    assert cal.n == len(LABELLED) and cal.n_out_of_scope == 5
    assert cal.oos_recall > 0.5
    assert 0.0 <= cal.top1 <= cal.top3 <= 1.0


def test_calibration_report() -> None:
    cal = calibrate(FaqMatcher(FAQ), LABELLED)
    table = cal.format_table()
    assert "wrong answers" in table and "F1" in table
    data = cal.as_dict()
    assert set(data["thresholds"]) == {"answer", "margin", "clarify", "weights", "floor"}
    assert data["n"] == len(LABELLED)
    assert 0.0 <= data["answer_rate"] <= 1.0


def test_calibrate_needs_items() -> None:
    with pytest.raises(ValueError):
        calibrate(FaqMatcher(FAQ), [])


def test_load_yaml_and_jsonl(tmp_path: Path) -> None:
    y = tmp_path / "set.yaml"
    y.write_text(
        "- text: lupa pw\n  expect: email-password\n- {text: hello, expect: escalate}\n", encoding="utf-8"
    )
    assert load_labelled(y) == [("lupa pw", "email-password"), ("hello", "escalate")]
    j = tmp_path / "set.jsonl"
    j.write_text(
        '{"text": "lupa pw", "expect": "email-password"}\n\n{"text": "x", "expect": "escalate"}\n',
        encoding="utf-8",
    )
    assert load_labelled(j) == [("lupa pw", "email-password"), ("x", "escalate")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.yaml", "- text: [unclosed\n", "invalid YAML"),
        ("map.yaml", "text: a\nexpect: b\n", "expected a list"),
        ("missing.yaml", "- text: hello\n", "'expect'"),
        ("extra.yaml", "- {text: a, expect: b, why: c}\n", "unknown key"),
        ("empty.yaml", "[]\n", "no labelled questions"),
        ("bad.jsonl", '{"text": "a", "expect": "b"}\n{oops\n', "line 2"),
        ("blank.jsonl", '{"text": "  ", "expect": "b"}\n', "'text'"),
    ],
)
def test_load_errors(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LabelledFileError, match=message):
        load_labelled(path)


def test_load_missing_file(tmp_path: Path) -> None:
    with pytest.raises(LabelledFileError, match="cannot read"):
        load_labelled(tmp_path / "nope.yaml")


def _noisy_labelled() -> list[tuple[str, str]]:
    """In-scope questions (some ambiguous) and out-of-scope ones that share words with the FAQ."""
    in_scope = [
        ("lupa password email", "email-password"),
        ("reset password email saya", "email-password"),
        ("email password forgotten", "email-password"),
        ("tidak bisa login ke email", "email-password"),
        ("wifi tidak connect", "wifi"),
        ("wifi kantor mati", "wifi"),
        ("no wifi internet", "wifi"),
        ("wifi does not work in the office", "wifi"),
        ("printer offline lagi", "printer"),
        ("printer paper jam", "printer"),
        ("cannot print anything", "printer"),
        ("kertas macet di printer", "printer"),
        ("laptop lambat", "laptop-slow"),
        ("computer very slow", "laptop-slow"),
        ("laptop sering hang", "laptop-slow"),
        ("vpn disconnecting", "vpn"),
        ("cara connect vpn", "vpn"),
        ("vpn putus", "vpn"),
        ("phishing email", "phishing"),
        ("saya klik link aneh", "phishing"),
        ("suspicious link in email", "phishing"),
        ("internet putus", "vpn"),
        ("email tidak bisa", "email-password"),
        ("connect", "wifi"),
    ]
    out_of_scope = [
        "email the printer manual to my boss",
        "wifi password for guests at the party",
        "laptop bag recommendation",
        "how do I print a boarding pass at home",
        "vpn for netflix abroad",
        "resep nasi goreng",
        "jadwal kereta ke bandung",
        "what is the weather tomorrow",
        "book a meeting room",
        "kantin buka jam berapa",
    ]
    return in_scope + [(t, "escalate") for t in out_of_scope]


def test_confidence_is_fitted_with_non_negative_weights() -> None:
    matcher = FaqMatcher(FAQ)
    items = _noisy_labelled()
    weights = fit_confidence(rank_labelled(matcher, items))
    assert weights and "bias" in weights
    assert set(weights) - {"bias"} <= set(CONFIDENCE_FEATURES)
    assert all(w >= 0 for name, w in weights.items() if name != "bias")
    text = format_confidence(weights)
    assert text.startswith("100*sigmoid(") and all(name in text for name in weights if name != "bias")


def test_too_few_items_fit_no_confidence() -> None:
    matcher = FaqMatcher(FAQ)
    assert fit_confidence(rank_labelled(matcher, LABELLED[:6])) == {}


def test_confidence_thresholds_drive_the_matcher() -> None:
    matcher = FaqMatcher(FAQ)
    items = _noisy_labelled()
    cal = calibrate(matcher, items, max_wrong_rate=0.1, apply=True)
    # the matcher's own decisions reproduce the calibration's figures
    again = evaluate(matcher, items, max_wrong_rate=0.1)
    assert again.answered_correct_rate == cal.answered_correct_rate
    assert again.wrong_answer_rate == cal.wrong_answer_rate
    assert again.clarify_rate == cal.clarify_rate
    weights = {"bias": -4.0, "score": 0.05, "odds": 1.0}
    strict = MatchThresholds(answer=50.0, margin=0.0, clarify=10.0, weights=weights)
    matcher.set_thresholds(strict)
    result = matcher.match("printer offline")
    ranked = matcher.rank("printer offline")
    sure = confidence(decision_features(ranked), weights)
    assert result.decision is (Decision.ANSWER if sure >= 50.0 else Decision.CLARIFY)
    assert result.best is not None and dict(result.best.components)["confidence"] == round(sure, 1)
    matcher.set_thresholds(MatchThresholds(answer=100.0, margin=0.0, clarify=10.0, weights=weights))
    assert matcher.match("printer offline").decision is Decision.CLARIFY
    assert ("answer confidence" in cal.format_table()) == bool(cal.thresholds.weights)


def test_stored_thresholds_round_trip() -> None:
    import dataclasses
    import json

    t = MatchThresholds(answer=61.0, margin=2.0, clarify=30.0, weights={"bias": -3.0, "odds": 0.5})
    stored = json.loads(json.dumps(dataclasses.asdict(t)))
    assert MatchThresholds(**stored) == t


def test_a_ranking_closer_to_a_known_out_of_scope_question_is_escalated_under_any_thresholds() -> None:
    """Calibration counts such a ranking as escalated, as the matcher decides it, and the answer
    confidence may weigh the best entry's lead over the known example."""

    near = [Candidate("vpn", 80.0, (("out_of_scope", 85.0),)), Candidate("wifi", 40.0, ())]
    clear = [Candidate("vpn", 80.0, (("out_of_scope", 50.0),)), Candidate("wifi", 40.0, ())]
    assert ruled_out(near) and not ruled_out(clear) and not ruled_out([])
    assert decision_features(clear)["oos_lead"] == 30.0
    assert decision_features(clear[1:])["oos_lead"] == 0.0  # no examples: no lead
    matcher = FaqMatcher([])
    loose = MatchThresholds(answer=0.0, margin=0.0, clarify=0.0)
    assert matcher.decide(near, loose) is Decision.ESCALATE
    assert matcher.decide(clear, loose) is Decision.ANSWER
    items = ranked_from([near, clear], ["escalate", "vpn"])
    cal = evaluate(matcher, [("", "escalate"), ("", "vpn")], loose, _ranked=items)
    assert cal.oos_recall == 1.0 and cal.answered_correct_rate == 1.0 and cal.wrong_answer_rate == 0.0


def test_a_floor_below_clarify_answers_clear_low_scores_and_escalates_unsure_ones() -> None:
    """Covered questions with a clear lead but a low score, and out-of-scope ones scored higher
    with no lead: one threshold cannot answer the first and escalate the second, a floor can."""
    rankings: list[list[Candidate]] = []
    expected: list[str] = []
    for i in range(10):
        d = i / 10
        rankings.append([Candidate("vpn", 40.0 + d, ()), Candidate("wifi", 10.0, ())])
        expected.append("vpn")
        rankings.append([Candidate("wifi", 80.0 + d, ()), Candidate("vpn", 30.0, ())])
        expected.append("wifi")
        rankings.append([Candidate("printer", 45.0 + d, ()), Candidate("vpn", 41.0 + d, ())])
        expected.append("escalate")
        rankings.append([Candidate("printer", 20.0 + d, ()), Candidate("vpn", 16.0, ())])
        expected.append("escalate")
    items = ranked_from(rankings, expected)
    matcher = FaqMatcher([])
    labelled = [("", e) for e in expected]
    cal = calibrate(matcher, labelled, max_wrong_rate=0.0, _ranked=items, apply=True)
    t = cal.thresholds
    assert t.weights and t.floor is not None
    assert t.floor <= 40.0 < 45.9 < t.clarify
    assert cal.answered_correct_rate == 1.0 and cal.oos_recall == 1.0 and cal.wrong_answer_rate == 0.0
    # the matcher decides as calibration counted
    assert matcher.decide(rankings[0]) is Decision.ANSWER
    assert matcher.decide(rankings[2]) is Decision.ESCALATE
    plain = MatchThresholds(t.answer, t.margin, t.clarify, t.weights)
    assert plain.answer_floor == t.clarify
    assert matcher.decide(rankings[0], plain) is Decision.ESCALATE
