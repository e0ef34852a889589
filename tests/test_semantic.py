"""The semantic matcher with the real embedded model: ranking, stored embeddings, self-calibrated
thresholds that follow the FAQ, the lexical fallback, and the ``kb`` commands around them."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.core.types import Decision, FaqEntry
from bot.faq.importing import import_entries
from bot.faq.index import LABELLED_SETTING, THRESHOLDS_SETTING, FaqIndex, faq_fingerprint
from knowledge_base.embeddings import EmbeddingCache
from knowledge_base.encoders import make_encoder
from knowledge_base.encoders.port import EncoderUnavailable, TextEncoder
from knowledge_base.faq_file import dump_faq, load_bundled_out_of_scope, load_faq_path
from knowledge_base.matcher import FaqMatcher
from knowledge_base.normalize import normalize
from knowledge_base.self_calibration import SelfCalibrationPlan
from knowledge_base.semantic import SemanticMatcher
from storage.database import make_engine
from storage.embeddings import SqlEmbeddingStore
from storage.uow import sql_uow_factory

OWN_FAQ = Path(__file__).resolve().parent.parent / "benchmarks" / "helpdesk45" / "faq.yaml"
MODEL = make_encoder("semantic")
assert MODEL is not None


def own_faq(n: int = 12) -> list[FaqEntry]:
    """The first ``n`` entries of the 45-entry bilingual FAQ written for the benchmark."""
    return load_faq_path(OWN_FAQ)[:n]


class CountingEncoder:
    """The real model, counting the texts it is asked to encode."""

    def __init__(self, inner: TextEncoder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return self.inner.encode(texts)


class BrokenEncoder:
    """A model that cannot be loaded (a missing file, a bad build)."""

    calls = 0

    @property
    def model_id(self) -> str:
        raise EncoderUnavailable("model file missing")

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        BrokenEncoder.calls += 1
        raise EncoderUnavailable("model file missing")


@pytest.fixture(scope="module")
def shared_cache() -> EmbeddingCache:
    return EmbeddingCache(MODEL)  # type: ignore[arg-type]


def test_paraphrases_without_shared_words_rank_right_in_both_languages(shared_cache: EmbeddingCache) -> None:
    entries = own_faq(16)
    semantic = SemanticMatcher(shared_cache, entries, default_lang="id")
    assert semantic.kind.startswith("semantic:e5-small")
    cases = {
        "my laptop is completely dead, power button does nothing even plugged in": "laptop-no-power",
        "boss wants to see my agenda in outlook how do i let her": "calendar-sharing",
        "mau baca email kerja di iphone caranya?": "email-on-phone",
    }
    for text, expect in cases.items():
        ranked = semantic.rank(text, k=3)
        assert ranked[0].entry_id == expect, (text, ranked)
        parts = dict(ranked[0].components)
        assert parts["semantic"] > 0 and "lexical" in parts
    # the blend is the lexical score moved by the semantic one
    best = semantic.rank("boss wants to see my agenda in outlook how do i let her")[0]
    parts = dict(best.components)
    w = semantic.blend.semantic_weight
    assert best.score == pytest.approx((1 - w) * parts["lexical"] + w * parts["semantic"], abs=0.1)


def test_phrasing_vectors_are_stored_and_an_edit_encodes_only_what_changed(database_url: str) -> None:
    engine = make_engine(database_url)
    entries = own_faq(6)
    first = CountingEncoder(MODEL)  # type: ignore[arg-type]
    SemanticMatcher(EmbeddingCache(first, SqlEmbeddingStore(engine)), entries)
    phrasings = sum(len(q) for e in entries for q in e.questions.values())
    assert len(first.texts) == phrasings

    # another process (a new cache) on the same database: nothing is encoded again
    second = CountingEncoder(MODEL)  # type: ignore[arg-type]
    matcher = SemanticMatcher(EmbeddingCache(second, SqlEmbeddingStore(engine)), entries)
    assert second.texts == []

    # one phrasing edited: exactly that one goes to the model
    edited = replace(entries[0], questions={**entries[0].questions, "en": ("My password no longer works",)})
    matcher.rebuild([edited, *entries[1:]])
    assert second.texts == ["my password no longer works"]

    # a question asked twice is encoded once
    matcher.match("wifi kantor tidak bisa connect")
    matcher.match("wifi kantor tidak bisa connect")
    assert second.texts.count("wifi kantor tidak bisa connect") == 1
    engine.dispose()


def test_a_missing_model_leaves_the_lexical_matcher_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    entries = own_faq(6)
    with caplog.at_level(logging.WARNING, logger="knowledge_base.semantic"):
        matcher = SemanticMatcher(EmbeddingCache(BrokenEncoder()), entries, default_lang="id")  # type: ignore[arg-type]
        results = [matcher.match("lupa password laptop") for _ in range(3)]
    lexical = FaqMatcher(entries, default_lang="id").match("lupa password laptop")
    assert matcher.kind == "lexical" and "model file missing" in str(matcher.unavailable)
    assert [c.entry_id for c in results[0].candidates] == [c.entry_id for c in lexical.candidates]
    warnings = [r for r in caplog.records if "semantic matcher is off" in r.getMessage()]
    assert len(warnings) == 1


def test_thresholds_follow_the_faq_after_import_and_edit(
    database_url: str, shared_cache: EmbeddingCache
) -> None:
    factory = sql_uow_factory(make_engine(database_url))
    entries = own_faq(10)
    with factory() as uow:
        import_entries(uow, entries, author="test")
        uow.commit()
    matcher = SemanticMatcher(shared_cache, default_lang="id")
    index = FaqIndex(factory, matcher, refresh_seconds=0)
    index.refresh(force=True)
    with factory() as uow:
        record = uow.faq.get_setting(THRESHOLDS_SETTING)
    assert record["matcher"] == matcher.kind and record["source"] == "self"
    assert record["faq"] == faq_fingerprint(entries)
    assert 0 < record["clarify"] <= 100 and 0 <= record["answer"] <= 100
    # a covered, messy question is answered or offered; an unrelated one is not answered
    covered = index.match("lupa pw laptop gmn cara gantinya")
    assert covered.decision in (Decision.ANSWER, Decision.CLARIFY)
    assert "password-reset" in [c.entry_id for c in covered.candidates[:3]]
    assert index.match("kantin buka jam berapa ya").decision is not Decision.ANSWER

    # an edit: the index picks it up at once and refits in the background
    with factory() as uow:
        uow.faq.delete(entries[-1].id, "test", "gone")
        uow.commit()
    index.invalidate()
    assert index.refresh()
    assert entries[-1].id not in {e.id for e in index.entries()}
    index.wait_for_calibration(timeout=60)
    with factory() as uow:
        record = uow.faq.get_setting(THRESHOLDS_SETTING)
    assert record["faq"] == faq_fingerprint(entries[:-1])

    # a second process on the same database reuses the stored thresholds: no calibration
    other = FaqIndex(factory, SemanticMatcher(shared_cache, default_lang="id"), refresh_seconds=0)
    other.refresh(force=True)
    assert other.last_calibration is None
    assert other.finder.thresholds.answer == pytest.approx(record["answer"])  # type: ignore[attr-defined]


def test_labelled_questions_win_over_self_calibration(
    database_url: str, shared_cache: EmbeddingCache
) -> None:
    factory = sql_uow_factory(make_engine(database_url))
    entries = own_faq(10)
    labelled = [[q, e.id] for e in entries for q in e.questions["en"][:3]]
    labelled += [["kantin buka jam berapa", "escalate"], ["parkir motor di mana", "escalate"]]
    with factory() as uow:
        import_entries(uow, entries, author="test")
        uow.faq.set_setting(LABELLED_SETTING, labelled)
        uow.commit()
    index = FaqIndex(factory, SemanticMatcher(shared_cache, default_lang="id"), refresh_seconds=0)
    index.refresh(force=True)
    assert index.last_calibration == "labelled"
    with factory() as uow:
        assert uow.faq.get_setting(THRESHOLDS_SETTING)["source"] == "labelled"


def test_kb_import_fits_thresholds_and_match_lists_candidates_whatever_the_decision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'helpdesk.db'}"
    faq = tmp_path / "own.yaml"
    faq.write_text(dump_faq(own_faq(2)), encoding="utf-8")  # the FAQ the desk starts with
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("HELPDESK_FAQ_PATH", str(faq))
    monkeypatch.setenv("HELPDESK_MATCHER", "semantic")
    runner = CliRunner()
    source = tmp_path / "import.yaml"
    source.write_text(dump_faq(own_faq(8)), encoding="utf-8")
    result = runner.invoke(app, ["kb", "import", str(source), "--replace"])
    assert result.exit_code == 0, result.output
    assert "thresholds fitted to the new FAQ from the FAQ itself (semantic:e5-small" in result.output

    result = runner.invoke(
        app, ["kb", "match", "--json", "--explain", "kantin buka jam berapa", "vpn putus terus"]
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["decision"] for r in lines][0] == "escalate"
    for record in lines:
        assert 1 <= len(record["matches"]) <= 5  # ranked candidates even when escalating
        scores = [m["score"] for m in record["matches"]]
        assert scores == sorted(scores, reverse=True)
        best = record["components"][record["matches"][0]["id"]]
        assert {"lexical", "semantic"} <= set(best)
        assert record["matcher"].startswith("semantic:")

    # the model unavailable: the same command still answers, on words, and says why
    monkeypatch.setenv("HELPDESK_MATCHER", f"sentence-transformers:{tmp_path / 'no-model'}")
    result = runner.invoke(app, ["kb", "match", "--explain", "vpn putus terus"])
    assert result.exit_code == 0, result.output
    assert "matcher: lexical (model unavailable: no model folder at" in result.output


class PlacedEncoder:
    """Vectors placed by hand for a few texts, as the matcher normalises them (any other text: a
    direction of its own)."""

    def __init__(self, placed: dict[str, Sequence[float]]) -> None:
        self.placed = {normalize(text): np.asarray(vec, dtype=np.float32) for text, vec in placed.items()}

    @property
    def model_id(self) -> str:
        return "placed-by-hand"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = []
        for text in texts:
            vec = self.placed.get(text, np.array([0, 0, 0, 1], dtype=np.float32))
            rows.append(vec / np.linalg.norm(vec))
        return np.vstack(rows)


def test_an_entry_whose_phrasings_agree_beats_one_loosely_worded_phrasing() -> None:
    """The semantic score weighs the entry's centroid beside its closest phrasing: two phrasings
    at cosine 0.93 on either side of the question outrank one phrasing at 0.95 whose sibling is
    about something else (no words are shared, so only the semantic side can tell)."""
    side = float(np.sqrt(1 - 0.93**2))
    encoder = PlacedEncoder(
        {
            "quartz": [1, 0, 0, 0],
            "amber north": [0.93, side, 0, 0],
            "amber south": [0.93, -side, 0, 0],
            "basalt east": [0.95, 0, float(np.sqrt(1 - 0.95**2)), 0],
            "basalt west": [0, 1, 0, 0],
        }
    )
    entries = [
        FaqEntry("agreeing", "x", {"en": ("amber north", "amber south")}, {"en": "A"}),
        FaqEntry("loose", "x", {"en": ("basalt east", "basalt west")}, {"en": "B"}),
    ]
    blended = SemanticMatcher(EmbeddingCache(encoder), entries, default_lang="en")  # type: ignore[arg-type]
    assert blended.blend.centroid_weight > 0
    ranked = blended.rank("quartz")
    assert [c.entry_id for c in ranked] == ["agreeing", "loose"]
    assert all(dict(c.components)["lexical"] == 0 for c in ranked)
    closest_only = SemanticMatcher(
        EmbeddingCache(encoder),  # type: ignore[arg-type]
        entries,
        default_lang="en",
        blend=replace(blended.blend, centroid_weight=0.0),
    )
    assert closest_only.rank("quartz")[0].entry_id == "loose"


def test_a_question_needs_preparing_only_until_its_vector_is_cached() -> None:
    encoder = CountingEncoder(MODEL)  # type: ignore[arg-type]
    semantic = SemanticMatcher(EmbeddingCache(encoder), own_faq(4), default_lang="id")  # type: ignore[arg-type]
    question = "printer di lantai tiga macet terus"
    assert not semantic.is_prepared(question)
    semantic.prepare(question)
    encoded = len(encoder.texts)
    assert semantic.is_prepared(question) and semantic.is_prepared("  PRINTER di lantai tiga macet terus ")
    semantic.match(question)
    assert len(encoder.texts) == encoded  # the match found the vector prepared
    assert semantic.is_prepared("")  # nothing to encode
    assert SemanticMatcher(None, own_faq(4)).is_prepared(question)  # no model: nothing ahead


def test_a_question_closer_to_a_known_out_of_scope_question_is_escalated_with_candidates_listed() -> None:
    """A neighbouring topic the FAQ leaves out scores like a covered question; a known example of
    it escalates the question under any thresholds, and the entries are still listed."""
    entries = own_faq(6)
    question = "bagaimana cara mengganti lampu proyektor di ruang rapat"
    known = ("lampu proyektor ruang rapat mati minta diganti", "projector lamp in the meeting room is broken")
    plain = SemanticMatcher(EmbeddingCache(MODEL), entries, default_lang="id")  # type: ignore[arg-type]
    plain.set_thresholds(replace(plain.thresholds, answer=0.0, margin=0.0, clarify=0.0, weights={}))
    assert plain.match(question).decision is Decision.ANSWER  # thresholds that answer anything

    guarded = SemanticMatcher(
        EmbeddingCache(MODEL),  # type: ignore[arg-type]
        entries,
        default_lang="id",
        out_of_scope=(*known, "  "),
    )
    guarded.set_thresholds(plain.thresholds)
    assert guarded.out_of_scope == known  # blank examples dropped
    assert [e.id for e in guarded.entries] == [e.id for e in entries]  # the hidden entry stays hidden
    result = guarded.match(question)
    assert result.decision is Decision.ESCALATE
    ids = [c.entry_id for c in result.candidates]
    assert ids == [c.entry_id for c in plain.match(question).candidates]
    best = dict(result.candidates[0].components)
    assert best["out_of_scope"] >= result.candidates[0].score
    # a covered question is still answered, with its lead over the known examples as a feature
    covered = guarded.match(entries[0].questions["id"][0])
    assert covered.decision is Decision.ANSWER
    assert covered.candidates[0].entry_id == entries[0].id
    assert dict(covered.candidates[0].components)["out_of_scope"] < covered.candidates[0].score
    # the fold matchers of self-calibration keep the examples
    assert guarded.like(entries[:3]).out_of_scope == known


def test_the_out_of_scope_setting_reads_a_file_of_questions(tmp_path: Path) -> None:
    from bot.app import make_matcher
    from bot.settings import Settings

    listed = tmp_path / "not-covered.txt"
    listed.write_text("# asked often, answered elsewhere\n\nlampu proyektor mati\nLampu  proyektor MATI\n")
    settings = Settings(_env_file=None, HELPDESK_MATCHER="lexical", HELPDESK_OUT_OF_SCOPE_PATH=str(listed))  # type: ignore[call-arg]
    assert make_matcher(settings).out_of_scope == ("lampu proyektor mati",)


def test_a_bad_out_of_scope_file_stops_the_command_with_the_reason(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n")
    env = {"HELPDESK_OUT_OF_SCOPE_PATH": str(empty), "DATABASE_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    result = CliRunner().invoke(app, ["kb", "list"], env=env)
    assert result.exit_code == 2
    assert "HELPDESK_OUT_OF_SCOPE_PATH" in result.output and "lists no questions" in result.output
    assert not (tmp_path / "h.db").exists()  # stopped before anything was touched


def test_the_out_of_scope_examples_count_by_the_closest_one_not_their_centroid() -> None:
    """Examples are about anything: one close example is enough, however far the others are."""
    encoder = PlacedEncoder(
        {
            "quartz": [1, 0, 0, 0],
            "amber north": [0.9, float(np.sqrt(1 - 0.81)), 0, 0],
            "basalt east": [0.98, 0, float(np.sqrt(1 - 0.98**2)), 0],
            "basalt west": [0, 1, 0, 0],
            "basalt south": [0, 0, 1, 0],
        }
    )
    entries = [FaqEntry("amber", "x", {"en": ("amber north",)}, {"en": "A"})]
    matcher = SemanticMatcher(
        EmbeddingCache(encoder),  # type: ignore[arg-type]
        entries,
        default_lang="en",
        out_of_scope=("basalt east", "basalt west", "basalt south"),
    )
    ranked = matcher.rank("quartz")
    assert [c.entry_id for c in ranked] == ["amber"]
    parts = dict(ranked[0].components)
    assert parts["out_of_scope"] >= ranked[0].score  # 0.98 beats 0.9, the centroid would not
    assert matcher.decide(ranked) is Decision.ESCALATE


def _unit(cos: float, axis: int) -> list[float]:
    """A 4-d unit vector at cosine ``cos`` to the first axis, the rest along ``axis``."""
    vec = [cos, 0.0, 0.0, 0.0]
    vec[axis] = float(np.sqrt(1 - cos**2))
    return vec


def test_generic_out_of_scope_examples_the_faq_answers_are_set_aside_and_the_others_guard() -> None:
    """A bundled example as close to a phrasing as a paraphrase is one the FAQ answers: it is not
    used. A far one escalates a question closer to it than to any entry, under any thresholds."""
    encoder = PlacedEncoder(
        {
            "amber north": [1, 0, 0, 0],
            "amber nord": _unit(0.95, 1),  # a paraphrase of the phrasing
            "basalt east": [0, 0, 1, 0],
            "basalt eastward": _unit(0.1, 2),
        }
    )
    entries = [FaqEntry("amber", "x", {"en": ("amber north",)}, {"en": "A"})]
    matcher = SemanticMatcher(
        EmbeddingCache(encoder),  # type: ignore[arg-type]
        entries,
        default_lang="en",
        generic_out_of_scope=("amber nord", "basalt east", "  "),
    )
    matcher.set_thresholds(replace(matcher.thresholds, answer=0.0, margin=0.0, clarify=0.0, weights={}))
    assert matcher.set_aside == ("amber nord",)
    assert [e.id for e in matcher.entries] == ["amber"]  # the hidden entry stays hidden
    assert matcher.match("amber nord").decision is Decision.ANSWER  # the set-aside example guards nothing
    guarded = matcher.match("basalt eastward")
    assert guarded.decision is Decision.ESCALATE
    assert [c.entry_id for c in guarded.candidates] == ["amber"]  # still listed
    # the FAQ changes: an entry now answers what the far example asks, so it is set aside too
    matcher.rebuild([*entries, FaqEntry("basalt", "x", {"en": ("basalt east",)}, {"en": "B"})])
    assert set(matcher.set_aside) == {"amber nord", "basalt east"}
    assert matcher.match("basalt eastward").decision is Decision.ANSWER


def test_without_the_model_no_generic_example_is_used() -> None:
    """Words alone cannot tell an example the FAQ answers: the lexical matcher leaves them out."""
    entries = own_faq(4)
    plain = SemanticMatcher(None, entries)
    matcher = SemanticMatcher(None, entries, generic_out_of_scope=(entries[0].questions["id"][0],))
    question = entries[0].questions["id"][0]
    assert matcher.match(question).decision is plain.match(question).decision is Decision.ANSWER
    assert dict(matcher.match(question).candidates[0].components).get("out_of_scope") is None


def test_self_calibration_runs_without_the_generic_examples() -> None:
    """The thresholds fitted for a FAQ do not depend on the bundled examples, only their guard does."""
    entries = own_faq(12)
    plain = SemanticMatcher(EmbeddingCache(MODEL), entries, default_lang="id")  # type: ignore[arg-type]
    bundled = SemanticMatcher(
        EmbeddingCache(MODEL),  # type: ignore[arg-type]
        entries,
        default_lang="id",
        generic_out_of_scope=load_bundled_out_of_scope(),
    )
    assert len(bundled.generic_out_of_scope) > 300 > len(bundled.set_aside) > 0
    assert bundled.calibrate_self().thresholds == plain.calibrate_self().thresholds
    anything = replace(plain.thresholds, answer=0.0, margin=0.0, clarify=0.0, weights={})
    plain.set_thresholds(anything)
    bundled.set_thresholds(anything)
    for question in ("kantin buka jam berapa ya", "what's the weather in Bandung tomorrow"):
        assert plain.match(question).decision is Decision.ANSWER
        assert bundled.match(question).decision is Decision.ESCALATE
    covered = entries[3].questions["en"][0]
    assert bundled.match(covered).candidates[0].entry_id == entries[3].id
    assert bundled.match(covered).decision is Decision.ANSWER


def test_the_bundled_out_of_scope_questions_are_used_unless_switched_off() -> None:
    from bot.app import make_matcher
    from bot.settings import Settings

    on = Settings(_env_file=None, HELPDESK_MATCHER="lexical")  # type: ignore[call-arg]
    off = Settings(_env_file=None, HELPDESK_MATCHER="lexical", HELPDESK_OUT_OF_SCOPE_BUNDLED="false")  # type: ignore[call-arg]
    assert make_matcher(on).generic_out_of_scope == load_bundled_out_of_scope()
    assert make_matcher(off).generic_out_of_scope == ()


def test_simulated_questions_get_the_looser_wrong_answer_cap_and_labelled_ones_the_strict_one() -> None:
    """Simulated wrong answers overstate real ones, so their cap is looser; real questions keep theirs."""
    entries = own_faq(12)
    plan = SelfCalibrationPlan(max_wrong_rate=0.02, simulated_wrong_rate=0.2)
    matcher = SemanticMatcher(None, entries, default_lang="id")
    loose = matcher.calibrate_self(plan=plan)
    strict = matcher.calibrate_self(plan=replace(plan, simulated_wrong_rate=0.0))
    assert loose.max_wrong_rate == 0.2 and strict.max_wrong_rate == 0.0
    assert strict.wrong_answer_rate == 0.0 < loose.wrong_answer_rate <= 0.2
    assert loose.answered_correct_rate > strict.answered_correct_rate  # the looser cap answers more
    labelled = [(q, e.id) for e in entries for q in e.questions["en"][:3]]
    assert matcher.calibrate_self(labelled, plan=plan).max_wrong_rate == 0.02
