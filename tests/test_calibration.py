"""Threshold calibration and labelled-file loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.types import MatchThresholds
from knowledge_base.calibration import LabelledFileError, calibrate, evaluate, load_labelled
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
    assert set(data["thresholds"]) == {"answer", "margin", "clarify"}
    assert data["n"] == len(LABELLED)


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
