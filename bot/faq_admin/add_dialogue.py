"""The step-by-step dialogues in a direct chat: ``/faq add`` (id, category, questions and answers per
language, preview, save), a new answer or a new language for an entry, and editing a draft."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.core.records import Conversation
from bot.core.types import (
    CATEGORIES,
    LANGUAGES,
    Button,
    FaqEntry,
)

if TYPE_CHECKING:
    pass
from bot.faq_admin.action import AdminAction
from bot.faq_admin.proposals import FaqProposals
from bot.faq_admin.rules import (
    A_CATEGORY,
    A_SAVE,
    A_STEP,
    A_STOP,
    DONE_WORDS,
    MAX_PHRASINGS,
    SAVE_WORDS,
    SKIP_WORDS,
    STATE_ADD,
    STATE_EDIT,
    _merge,
    answer_problem,
    clean_answer,
    id_problem,
    phrasing_problem,
    split_phrasings,
)


class FaqDialogues(FaqProposals):
    """Step-by-step dialogues."""

    def add(self, act: AdminAction, rest: str) -> None:
        """``/faq add [ID]``: the step-by-step dialogue for a new entry."""
        entry_id = rest.strip().lower()
        langs = [self.engine.config.default_language] + [
            lang for lang in LANGUAGES if lang != self.engine.config.default_language
        ]
        ctx: dict[str, Any] = {"step": "id", "langs": langs, "li": 0, "questions": {}, "answer": {}}
        conv = self._begin(act, STATE_ADD, ctx)
        if conv is None:
            return
        if entry_id and self._add_take_id(act, ctx, entry_id):
            self._store(act, conv, STATE_ADD, ctx)
            return
        act.tell("faq_add_ask_id")

    def _add_take_id(self, act: AdminAction, ctx: dict[str, Any], value: str) -> bool:
        entry_id = value.strip().lower()
        if found := id_problem(entry_id):
            act.problem(found)
            return False
        if act.uow.faq.get(entry_id) is not None:
            act.tell("faq_id_taken", id=entry_id)
            return False
        ctx["id"] = entry_id
        ctx["step"] = "category"
        act.say(
            act.t("faq_add_ask_category", id=entry_id),
            tuple(Button(c, A_CATEGORY, c) for c in CATEGORIES),
        )
        return True

    def _add_ask_questions(self, act: AdminAction, ctx: dict[str, Any]) -> None:
        lang = ctx["langs"][ctx["li"]]
        ctx["step"] = "questions"
        has_any = any(ctx["answer"].values())
        key = "faq_add_ask_questions" if ctx["li"] == 0 else "faq_add_ask_questions_more"
        buttons = (Button(act.t("faq_btn_skip"), A_STEP, "skip"),) if ctx["li"] == 0 or has_any else ()
        act.say(act.t(key, code=lang.upper(), lang_name=act.t(f"faq_lang_{lang}")), buttons)

    def _add_next_language(self, act: AdminAction, ctx: dict[str, Any]) -> None:
        if ctx["li"] + 1 < len(ctx["langs"]):
            ctx["li"] += 1
            self._add_ask_questions(act, ctx)
            return
        if not any(ctx["answer"].values()):
            ctx["li"] = 0
            act.tell("faq_add_need_language")
            self._add_ask_questions(act, ctx)
            return
        ctx["step"] = "preview"
        entry = self._ctx_entry(ctx)
        act.say(
            act.t("faq_add_preview") + "\n\n" + self.render_entry(act, entry),
            (Button(act.t("faq_btn_save"), A_SAVE, ""), Button(act.t("faq_btn_cancel"), A_STOP, "")),
        )

    @staticmethod
    def _ctx_entry(ctx: dict[str, Any]) -> FaqEntry:
        langs = [lang for lang in ctx["langs"] if ctx["answer"].get(lang)]
        return FaqEntry(
            id=ctx["id"],
            category=ctx["category"],
            questions={lang: tuple(ctx["questions"][lang]) for lang in langs},
            answer={lang: ctx["answer"][lang] for lang in langs},
            version=0,
        )

    def _take_phrasings(
        self, act: AdminAction, entry_id: str, have: list[str], text: str
    ) -> list[str] | None:
        """``have`` plus the phrasings in ``text``; None (after saying why) when one is bad."""
        phrasings = split_phrasings(text)
        for phrasing in phrasings:
            if found := phrasing_problem(phrasing):
                act.problem(found)
                return None
        merged = _merge(have, phrasings)
        if len(merged) > MAX_PHRASINGS:
            act.tell("faq_too_many_phrasings", limit=MAX_PHRASINGS)
            return None
        for line in self._clashes(act, entry_id, phrasings):
            act.say(line)
        return merged

    def _add_text(self, act: AdminAction, conv: Conversation, ctx: dict[str, Any], text: str) -> None:
        step = ctx.get("step")
        word = text.strip().lower()
        if step == "id":
            self._add_take_id(act, ctx, text)
        elif step == "category":
            if word in CATEGORIES:
                ctx["category"] = word
                self._add_ask_questions(act, ctx)
            else:
                act.say(
                    act.t("faq_bad_category", value=word[:30], categories=", ".join(CATEGORIES)),
                    tuple(Button(c, A_CATEGORY, c) for c in CATEGORIES),
                )
        elif step == "questions":
            lang = ctx["langs"][ctx["li"]]
            have = list(ctx["questions"].get(lang, []))
            if word in DONE_WORDS or word in SKIP_WORDS:
                if have and word in DONE_WORDS:
                    ctx["step"] = "answer"
                    act.tell("faq_add_ask_answer", code=lang.upper())
                else:
                    ctx["questions"].pop(lang, None)
                    self._add_next_language(act, ctx)
            else:
                merged = self._take_phrasings(act, ctx["id"], have, text)
                if merged is not None:
                    ctx["questions"][lang] = merged
                    act.say(
                        act.t("faq_add_got_questions", count=len(merged), code=lang.upper()),
                        (Button(act.t("faq_btn_done"), A_STEP, "done"),),
                    )
        elif step == "answer":
            lang = ctx["langs"][ctx["li"]]
            answer = clean_answer(text)
            if found := answer_problem(answer):
                act.problem(found)
            else:
                ctx["answer"][lang] = answer
                self._add_next_language(act, ctx)
        elif step == "preview":
            if word in SAVE_WORDS:
                self._add_save(act, conv, ctx)
                return
            act.say(
                act.t("faq_add_press_save"),
                (Button(act.t("faq_btn_save"), A_SAVE, ""), Button(act.t("faq_btn_cancel"), A_STOP, "")),
            )
        if conv.state == STATE_ADD:
            self._store(act, conv, STATE_ADD, ctx)

    def _add_save(self, act: AdminAction, conv: Conversation, ctx: dict[str, Any]) -> None:
        entry = self._ctx_entry(ctx)
        if act.uow.faq.get(entry.id) is not None:  # someone else took the id meanwhile
            act.tell("faq_id_taken", id=entry.id)
            ctx["step"] = "id"
            self._store(act, conv, STATE_ADD, ctx)
            return
        saved = self._put(act, entry, "faq.add", "chat: created")
        self._end(conv, act.turn.now)
        act.tell("faq_add_saved", id=saved.id, version=saved.version)

    def _edit_text(self, act: AdminAction, conv: Conversation, ctx: dict[str, Any], text: str) -> None:
        entry = act.uow.faq.get(ctx.get("id", ""))
        if entry is None:  # deleted meanwhile
            self._end(conv, act.turn.now)
            act.tell("faq_unknown_entry", id=ctx.get("id", "?"), hint="")
            return
        lang = ctx["elang"]
        word = text.strip().lower()
        if ctx.get("step") == "answer":
            answer = clean_answer(text)
            if found := answer_problem(answer):
                act.problem(found)
                return
            if ctx.get("new_lang") and not ctx.get("questions"):
                ctx["answer"] = answer
                ctx["step"] = "questions"
                self._store(act, conv, STATE_EDIT, ctx)
                act.tell("faq_new_lang_ask_questions", id=entry.id, code=lang.upper())
                return
            self._end(conv, act.turn.now)
            if not ctx.get("new_lang"):
                self._save_answer(act, entry, lang, answer)
                return
            ctx["answer"] = answer
            self._save_language(act, entry, lang, ctx)
            return
        have = list(ctx.get("questions") or [])
        if word in DONE_WORDS:
            if not have:
                act.tell("faq_new_lang_need_question", code=lang.upper())
                return
            self._end(conv, act.turn.now)
            self._save_language(act, entry, lang, ctx)
            return
        if word in SKIP_WORDS:
            act.tell("faq_new_lang_need_question", code=lang.upper())
            return
        merged = self._take_phrasings(act, entry.id, have, text)
        if merged is None:
            return
        ctx["questions"] = merged
        self._store(act, conv, STATE_EDIT, ctx)
        act.say(
            act.t("faq_add_got_questions", count=len(merged), code=lang.upper()),
            (Button(act.t("faq_btn_done"), A_STEP, "done"),),
        )

    def _save_language(self, act: AdminAction, entry: FaqEntry, lang: str, ctx: dict[str, Any]) -> None:
        questions = _merge(entry.questions.get(lang, ()), list(ctx.get("questions") or []))
        new = replace(
            entry,
            questions={**entry.questions, lang: tuple(questions)},
            answer={**entry.answer, lang: ctx["answer"]},
        )
        self._put(act, new, "faq.language", f"chat: language added ({lang})", lang=lang)
        self._saved(act, entry.id)

    def _draft_text(self, act: AdminAction, conv: Conversation, ctx: dict[str, Any], text: str) -> None:
        draft = act.uow.drafts.get(int(ctx.get("draft") or 0))
        if draft is None or not draft.is_pending:
            self._end(conv, act.turn.now)
            act.tell("faq_button_expired")
            return
        if self._set_draft_field(act, draft, str(ctx.get("field", "")), text):
            self._end(conv, act.turn.now)
            self._show_draft(act, draft)
