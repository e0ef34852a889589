"""The one-shot ``/faq`` commands that read or change entries: show, list, search, addq, delq, answer,
delete, history, rollback, cancel."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.core.types import (
    CATEGORIES,
    Button,
    Decision,
    FaqEntry,
)
from bot.faq_admin.diff import describe, diff_versions, same_content

if TYPE_CHECKING:
    pass
from bot.faq_admin.action import AdminAction
from bot.faq_admin.base import FaqAdminBase
from bot.faq_admin.rules import (
    A_DELETE,
    A_LIST,
    A_STOP,
    HISTORY_LIMIT,
    LIST_LIMIT,
    MAX_PHRASINGS,
    STATE_EDIT,
    STATES,
    _author,
    _key,
    _merge,
    _when,
    answer_problem,
    clean_answer,
    entry_ref,
    phrasing_problem,
    split_args,
    split_phrasings,
)


class FaqEditing(FaqAdminBase):
    """One-shot commands on entries."""

    def show(self, act: AdminAction, rest: str) -> None:
        """``/faq show ID``."""
        entry_id, _ = split_args(rest)
        if not entry_id:
            act.tell("faq_usage", usage=act.t("faq_usage_show"))
            return
        entry = self._entry(act, entry_id)
        if entry is not None:
            history = act.uow.faq.history(entry.id)
            act.say(self.render_entry(act, entry, history[-1] if history else None))

    def list_entries(self, act: AdminAction, rest: str) -> None:
        """``/faq list [CATEGORY]``: categories as buttons, or the entries of one category."""
        category = rest.strip().lower()
        entries = sorted(act.uow.faq.all(), key=lambda e: e.id)
        if not category:
            counts = {c: sum(1 for e in entries if e.category == c) for c in CATEGORIES}
            buttons = tuple(Button(f"{c} ({n})", A_LIST, c) for c, n in counts.items() if n)
            act.say(act.t("faq_list_counts", count=len(entries)), buttons)
            return
        if category not in CATEGORIES:
            act.tell("faq_bad_category", value=category[:30], categories=", ".join(CATEGORIES))
            return
        chosen = [e for e in entries if e.category == category]
        if not chosen:
            act.tell("faq_list_empty", category=category)
            return
        lines = [act.t("faq_list_head", category=category, count=len(chosen))]
        lines += [f"• {e.id} — {e.title_in(act.lang)[:70]}" for e in chosen[:LIST_LIMIT]]
        if len(chosen) > LIST_LIMIT:
            lines.append(act.t("faq_list_more", count=len(chosen) - LIST_LIMIT))
        lines.append(act.t("faq_list_footer"))
        act.say("\n".join(lines))

    def search(self, act: AdminAction, rest: str) -> None:
        """``/faq search TEXT``: what the bot would do with a question, and the closest entries."""
        if not rest:
            act.tell("faq_usage", usage=act.t("faq_usage_search"))
            return
        result = self.engine.faq.match(rest)
        lines = [act.t(f"faq_search_{result.decision}")]
        for candidate in result.candidates[:5]:
            entry = act.uow.faq.get(candidate.entry_id)
            title = entry.title_in(act.lang)[:60] if entry is not None else ""
            lines.append(f"{candidate.score:5.1f}  {candidate.entry_id} — {title}")
        if result.decision == Decision.ESCALATE and not result.candidates:
            lines.append(act.t("faq_search_none"))
        act.say("\n".join(lines))

    def add_question(self, act: AdminAction, rest: str) -> None:
        """``/faq addq ID LANG phrasing`` (several phrasings: one per line)."""
        match = re.match(r"(\S+)\s+(\S+)\s+(.+)", rest, re.DOTALL)
        if match is None:
            act.tell("faq_usage", usage=act.t("faq_usage_addq"))
            return
        entry = self._entry(act, match.group(1))
        lang = self._language(act, match.group(2)) if entry is not None else None
        if entry is None or lang is None:
            return
        phrasings = split_phrasings(match.group(3))
        for phrasing in phrasings:
            if found := phrasing_problem(phrasing):
                act.problem(found)
                return
        if lang not in entry.answer:
            self._new_language(act, entry, lang, questions=phrasings)
            return
        merged = _merge(entry.questions.get(lang, ()), phrasings)
        if len(merged) == len(entry.questions.get(lang, ())):
            act.tell("faq_addq_exists", id=entry.id, code=lang.upper())
            return
        if len(merged) > MAX_PHRASINGS:
            act.tell("faq_too_many_phrasings", limit=MAX_PHRASINGS)
            return
        warnings = self._clashes(act, entry.id, phrasings)
        new = replace(entry, questions={**entry.questions, lang: tuple(merged)})
        self._put(act, new, "faq.addq", f"chat: question added ({lang})", lang=lang, text=phrasings)
        self._saved(act, entry.id)
        for line in warnings:
            act.say(line)

    def delete_question(self, act: AdminAction, rest: str) -> None:
        """``/faq delq ID LANG phrasing-or-number``."""
        match = re.match(r"(\S+)\s+(\S+)\s+(.+)", rest, re.DOTALL)
        if match is None:
            act.tell("faq_usage", usage=act.t("faq_usage_delq"))
            return
        entry = self._entry(act, match.group(1))
        lang = self._language(act, match.group(2)) if entry is not None else None
        if entry is None or lang is None:
            return
        questions = list(entry.questions.get(lang, ()))
        target = match.group(3).strip()
        index: int | None = None
        if target.isascii() and target.isdigit() and 1 <= int(target) <= len(questions):
            index = int(target) - 1
        else:
            index = next((i for i, q in enumerate(questions) if _key(q) == _key(target)), None)
        if index is None:
            numbered = "\n".join(f"{n}. {q}" for n, q in enumerate(questions, 1)) or "-"
            act.tell("faq_delq_not_found", id=entry.id, code=lang.upper(), questions=numbered)
            return
        if len(questions) == 1:
            act.tell("faq_delq_last", id=entry.id, code=lang.upper())
            return
        removed = questions.pop(index)
        new = replace(entry, questions={**entry.questions, lang: tuple(questions)})
        self._put(act, new, "faq.delq", f"chat: question removed ({lang})", lang=lang, text=removed)
        self._saved(act, entry.id)

    def answer(self, act: AdminAction, rest: str) -> None:
        """``/faq answer ID LANG [new answer]``: replace an answer (or add a language)."""
        match = re.match(r"(\S+)\s+(\S+)(?:\s+(.*))?$", rest, re.DOTALL)
        if match is None:
            act.tell("faq_usage", usage=act.t("faq_usage_answer"))
            return
        entry = self._entry(act, match.group(1))
        lang = self._language(act, match.group(2)) if entry is not None else None
        if entry is None or lang is None:
            return
        text = clean_answer(match.group(3) or "")
        if text and (found := answer_problem(text)):
            act.problem(found)
            return
        if lang not in entry.answer:
            self._new_language(act, entry, lang, answer=text or None)
            return
        if text:
            self._save_answer(act, entry, lang, text)
            return
        if not act.private:
            act.tell("faq_answer_inline_hint", id=entry.id, code=lang)
            return
        ctx: dict[str, Any] = {"step": "answer", "id": entry.id, "elang": lang, "questions": []}
        if self._begin(act, STATE_EDIT, ctx) is not None:
            act.say(act.t("faq_answer_current", id=entry.id, code=lang.upper()) + "\n\n" + entry.answer[lang])
            act.tell("faq_answer_ask", code=lang.upper())

    def _save_answer(self, act: AdminAction, entry: FaqEntry, lang: str, text: str) -> None:
        new = replace(entry, answer={**entry.answer, lang: text})
        if same_content(new, entry):
            act.tell("faq_unchanged", id=entry.id, version=entry.version)
            return
        self._put(act, new, "faq.answer", f"chat: answer changed ({lang})", lang=lang)
        self._saved(act, entry.id)

    def _new_language(
        self,
        act: AdminAction,
        entry: FaqEntry,
        lang: str,
        questions: list[str] | None = None,
        answer: str | None = None,
    ) -> None:
        """Adding ``lang`` to ``entry`` needs questions and an answer: collect what is missing."""
        if not act.private:
            act.tell("faq_new_lang_private", id=entry.id, code=lang)
            return
        ctx = {
            "step": "answer" if answer is None else "questions",
            "id": entry.id,
            "elang": lang,
            "questions": list(questions or []),
            "answer": answer,
            "new_lang": True,
        }
        if self._begin(act, STATE_EDIT, ctx) is None:
            return
        if answer is None:
            act.tell("faq_new_lang_ask_answer", id=entry.id, code=lang.upper())
        else:
            act.tell("faq_new_lang_ask_questions", id=entry.id, code=lang.upper())

    def delete(self, act: AdminAction, rest: str) -> None:
        """``/faq delete ID``: asks for confirmation with buttons."""
        entry_id, _ = split_args(rest)
        if not entry_id:
            act.tell("faq_usage", usage=act.t("faq_usage_delete"))
            return
        entry = self._entry(act, entry_id)
        if entry is None:
            return
        act.say(
            act.t("faq_delete_confirm", id=entry.id, title=entry.title_in(act.lang), version=entry.version),
            (
                Button(act.t("faq_btn_delete"), A_DELETE, entry_ref(entry.id)),
                Button(act.t("faq_btn_keep"), A_STOP, ""),
            ),
        )

    def _delete_confirmed(self, act: AdminAction, ref: str) -> None:
        entry_id = ref
        if ref.startswith("~"):
            entry_id = next((e.id for e in act.uow.faq.all() if entry_ref(e.id) == ref), "")
        if act.uow.faq.get(entry_id) is None:
            act.replace_pressed(act.t("faq_unknown_entry", id=entry_id or "?", hint=""))
            return
        act.uow.faq.delete(entry_id, _author(act.event), "chat: deleted")
        act.audit("faq.delete", entry_id)
        act.changed()
        versions = act.uow.faq.history(entry_id)
        restore = versions[-2].version if len(versions) > 1 else 1
        act.replace_pressed(act.t("faq_deleted", id=entry_id, version=restore))

    def history(self, act: AdminAction, rest: str) -> None:
        """``/faq history ID``: the latest versions with author, time, note and what changed."""
        entry_id, _ = split_args(rest)
        entry_id = entry_id.lower()
        if not entry_id:
            act.tell("faq_usage", usage=act.t("faq_usage_history"))
            return
        versions = act.uow.faq.history(entry_id)
        if not versions:
            self._entry(act, entry_id)
            return
        lines = [act.t("faq_history_head", id=entry_id, count=len(versions))]
        shown = list(enumerate(versions))[-HISTORY_LIMIT:]
        for index, version in reversed(shown):
            previous = versions[index - 1] if index else None
            lines.append("")
            lines.append(
                act.t(
                    "faq_history_line",
                    version=version.version,
                    when=_when(version.at),
                    author=version.author or "-",
                    note=version.note or "-",
                )
            )
            lines += [f"  {line}" for line in describe(diff_versions(previous, version), act.lang)]
        if len(versions) > HISTORY_LIMIT:
            lines += ["", act.t("faq_history_more", count=len(versions) - HISTORY_LIMIT)]
        lines += ["", act.t("faq_history_footer", id=entry_id)]
        act.say("\n".join(lines))

    def rollback(self, act: AdminAction, rest: str) -> None:
        """``/faq rollback ID VERSION``: a new version equal to an old one (also restores a deleted entry)."""
        match = re.match(r"(\S+)\s+v?(\S+)\s*$", rest, re.IGNORECASE)
        if match is None:
            act.tell("faq_usage", usage=act.t("faq_usage_rollback"))
            return
        entry_id = match.group(1).lower()
        versions = act.uow.faq.history(entry_id)
        if not versions:
            self._entry(act, entry_id)
            return
        wanted = match.group(2)
        target = next((v for v in versions if wanted.isdigit() and v.version == int(wanted)), None)
        if target is None:
            first, last = versions[0].version, versions[-1].version
            act.tell("faq_no_version", id=entry_id, version=wanted[:10], first=first, last=last)
            return
        if target.deleted:
            act.tell("faq_rollback_deleted", id=entry_id, version=target.version)
            return
        entry = FaqEntry.from_data(target.data, target.version)
        current = act.uow.faq.get(entry_id)
        if current is not None and same_content(current, entry):
            act.tell("faq_unchanged", id=entry_id, version=current.version)
            return
        self._put(act, entry, "faq.rollback", f"rollback to v{target.version}", to_version=target.version)
        self._saved(act, entry_id, "faq_rolled_back", target=target.version)

    def cancel(self, act: AdminAction, rest: str) -> None:
        """``/faq cancel``: end the dialogue in this chat without saving."""
        conv = self._conversation(act)
        if conv is not None and conv.state in STATES:
            self._end(conv, act.turn.now)
            act.tell("faq_cancelled")
        else:
            act.tell("faq_nothing_to_cancel")
