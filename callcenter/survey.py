"""The feedback call's satisfaction survey: templates as data, answers checked (pure).

A template is a TOML file. The shipped one is ``callcenter/surveys/default.toml`` (seed 004's
nine questions); a site replaces it, or adds another, by dropping
``<config_dir>/surveys/<name>.toml`` (the site file wins whole, nothing is merged). Every file
is validated on load; a mistake raises :class:`TemplateError` naming the file, the key and
what is wrong, e.g. ``default.toml: questions[5].scale: must be one of: rating, yes_no``
(list indexes count from 0).

Schema::

    title = "售后服务满意度回访"        # optional, shown in Chinese; defaults to the file name
    title_en = "After-sales survey"    # optional, shown in any other language
    low_at_most = 2                    # a rating of 1..low_at_most asks for the reason
                                       # (required); 0: never asks
    target_percent = 97                # the satisfaction rate the centre must reach (0–100]

    [satisfied]                        # what counts as a satisfied survey
    question = "q9"                    # a rating question's key
    at_least = 4                       # answered this or better (1–5)

    [escalate]                         # optional; what is reported at once
    very_dissatisfied = true           # any rating of 1
    open_fault = true                  # a question's open_fault_on answer

    [[questions]]                      # 1 to 20, asked in this order
    key = "q1"                         # q1..q99, unique: the raw field and payload key
    scale = "rating"                   # rating: 1 very dissatisfied … 5 very satisfied;
                                       # yes_no: 1 yes, 2 no; both: 0 not applicable / refused
    text = "…"                         # the question in Chinese
    text_en = "…"                      # the question in English
    open_fault_on = "yes"              # yes_no only, optional: this answer ("yes" or "no")
                                       # reports a fault still open; it asks what the fault is

Answers arrive as typed (``"0"`` … ``"5"``, full-width digits too) with the reasons as
``reason_<key>`` and a free ``comment``; :func:`parse_answers` checks them all and names
every wrong field at once. The question text is the template's own words in the interface
language (:func:`callcenter.i18n.current_language`), not a gettext message.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

from callcenter.errors import CallCenterError, ValidationError, ValidationErrors
from callcenter.i18n import N_, _, current_language
from callcenter.validation import check_text

TEMPLATES_DIR = Path(__file__).with_name("surveys")
DEFAULT_TEMPLATE = "default"
MAX_QUESTIONS = 20
MAX_REASON = 200
MAX_COMMENT = 500
MAX_TEXT = 200
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_KEY_RE = re.compile(r"^q[1-9][0-9]?$")

#: The escalation raised by an open fault; ``very_dissatisfied:<key>`` by a rating of 1.
OPEN_FAULT = "open_fault"
VERY_DISSATISFIED = "very_dissatisfied"


class TemplateError(CallCenterError):
    """A survey template is missing, unreadable or invalid. The message names file and key."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"{file}: {key}: {problem}" if key else f"{file}: {problem}")
        self.file = file
        self.key = key
        self.problem = problem


class Scale(StrEnum):
    RATING = "rating"  # 1 very dissatisfied … 5 very satisfied; 0 not applicable / refused
    YES_NO = "yes_no"  # 1 yes, 2 no; 0 not applicable / refused

    @property
    def values(self) -> tuple[int, ...]:
        return (0, 1, 2, 3, 4, 5) if self is Scale.RATING else (0, 1, 2)

    def legend(self) -> list[tuple[int, str]]:
        """Each answer and what it means, translated, in the order the operator reads them."""
        return [(value, _(_ANSWER_LABELS[self][value])) for value in _LEGEND_ORDER[self]]

    def answer_label(self, value: int) -> str:
        return _(_ANSWER_LABELS[self][value])


_ANSWER_LABELS: dict[Scale, dict[int, str]] = {
    Scale.RATING: {
        5: N_("Very satisfied"),
        4: N_("Satisfied"),
        3: N_("Neutral"),
        2: N_("Dissatisfied"),
        1: N_("Very dissatisfied"),
        0: N_("Not applicable / refused"),
    },
    Scale.YES_NO: {1: N_("Yes"), 2: N_("No"), 0: N_("Not applicable / refused")},
}
_LEGEND_ORDER = {Scale.RATING: (5, 4, 3, 2, 1, 0), Scale.YES_NO: (1, 2, 0)}
_YES_NO = {"yes": 1, "no": 2}


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    text: str  # Chinese
    text_en: str
    scale: Scale
    #: yes_no only: the answer (1 yes, 2 no) that reports a fault still open; None: none does.
    open_fault_on: int | None = None

    @property
    def label(self) -> str:
        """The question in the interface language."""
        return self.text if current_language().startswith("zh") else self.text_en

    @property
    def number(self) -> str:
        return self.key[1:]


@dataclass(frozen=True)
class SurveyTemplate:
    """A validated survey template."""

    name: str
    title_zh: str
    title_en: str
    source: str
    questions: tuple[Question, ...]
    low_at_most: int
    satisfied_question: str
    satisfied_at_least: int
    target_percent: float
    escalate_very_dissatisfied: bool = True
    escalate_open_fault: bool = True

    @property
    def title(self) -> str:
        return self.title_zh if current_language().startswith("zh") else self.title_en

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(q.key for q in self.questions)

    def question(self, key: str) -> Question:
        for question in self.questions:
            if question.key == key:
                return question
        raise KeyError(key)

    def needs_reason(self, question: Question, answer: int) -> bool:
        """Whether ``answer`` to ``question`` asks why: a low rating, or the open fault."""
        if question.scale is Scale.RATING:
            return 1 <= answer <= self.low_at_most
        return question.open_fault_on is not None and answer == question.open_fault_on

    def reason_prompt(self, question: Question) -> str:
        """What the reason field asks, translated."""
        if question.scale is Scale.YES_NO:
            return _("What is the problem?")
        return _("What made the owner unhappy?")


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class SurveyResult:
    """One answered survey, checked."""

    template: str
    answers: Mapping[str, int]  # key → 0..5 (0: not applicable / refused)
    reasons: Mapping[str, str] = field(default_factory=dict)  # key → why (low, open fault)
    comment: str = ""
    #: Whether the template's satisfaction question was answered well enough; None when it was
    #: answered 0 (not applicable / refused): such a survey is not counted in the rate.
    satisfied: bool | None = None
    #: Codes reported at once: ``very_dissatisfied:<key>``, ``open_fault``; see
    #: :func:`escalation_text`.
    escalations: tuple[str, ...] = ()

    @property
    def open_fault(self) -> bool:
        return OPEN_FAULT in self.escalations

    def as_payload(self) -> dict[str, Any]:
        """A JSON-ready dict (what the call task and the case keep)."""
        return {
            "template": self.template,
            "answers": dict(self.answers),
            "reasons": dict(self.reasons),
            "comment": self.comment,
            "satisfied": self.satisfied,
            "escalations": list(self.escalations),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> SurveyResult:
        """The result kept by :meth:`as_payload`; ValueError for anything else."""
        try:
            answers = {str(k): int(v) for k, v in dict(payload["answers"]).items()}
            reasons = {str(k): str(v) for k, v in dict(payload.get("reasons") or {}).items()}
            satisfied = payload.get("satisfied")
            if satisfied is not None and not isinstance(satisfied, bool):
                raise ValueError(f"satisfied must be true, false or null: {satisfied!r}")
            return cls(
                template=str(payload["template"]),
                answers=answers,
                reasons=reasons,
                comment=str(payload.get("comment") or ""),
                satisfied=satisfied,
                escalations=tuple(str(e) for e in payload.get("escalations") or ()),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a survey result: {exc}") from exc


def escalation_text(code: str) -> str:
    """An escalation code, translated for display."""
    if code == OPEN_FAULT:
        return _("The owner reports a fault still to be dealt with")
    kind, _sep, key = code.partition(":")
    if kind == VERY_DISSATISFIED:
        return _("Very dissatisfied (question {number})").format(number=key.removeprefix("q"))
    return code


# --------------------------------------------------------------------------------------------
# Checking the answers


def parse_answers(template: SurveyTemplate, raw: Mapping[str, str]) -> SurveyResult:
    """Check the survey as typed: ``raw`` holds each question's answer by key (``"0"`` …
    ``"5"``), the reasons as ``reason_<key>`` and a ``comment``; other keys are ignored.

    Raises :class:`ValidationErrors` naming every wrong field: a missing answer, an answer out
    of the question's scale, a low rating (or an open fault) without its reason, a reason or
    comment too long or with a control character. A reason typed for an answer that does not
    ask one (the answer was corrected) is dropped.
    """
    errors: list[ValidationError] = []
    answers: dict[str, int] = {}
    reasons: dict[str, str] = {}
    for question in template.questions:
        value = _answer(question, raw.get(question.key), errors)
        if value is None:
            continue
        answers[question.key] = value
        if template.needs_reason(question, value):
            name = f"reason_{question.key}"
            text = raw.get(name)
            try:
                if not (text or "").strip():
                    raise ValidationError(name, _missing_reason(question))
                reasons[question.key] = check_text(name, text, MAX_REASON)
            except ValidationError as exc:
                errors.append(exc)
    try:
        comment = check_text(
            "comment", raw.get("comment"), MAX_COMMENT, required=False, multiline=True
        )
    except ValidationError as exc:
        errors.append(exc)
        comment = ""
    if errors:
        raise ValidationErrors(errors)
    return SurveyResult(
        template=template.name,
        answers=answers,
        reasons=reasons,
        comment=comment,
        satisfied=_satisfied(template, answers),
        escalations=_escalations(template, answers),
    )


def _answer(question: Question, text: str | None, errors: list[ValidationError]) -> int | None:
    typed = unicodedata.normalize("NFKC", text or "").strip()
    if not typed:
        errors.append(ValidationError(question.key, _("Answer this question (0: not applicable).")))
        return None
    if typed.isascii() and typed.isdigit() and int(typed) in question.scale.values:
        return int(typed)
    if question.scale is Scale.RATING:
        message = _("Answer 1 (very dissatisfied) to 5 (very satisfied), or 0 (not applicable).")
    else:
        message = _("Answer 1 (yes), 2 (no) or 0 (not applicable).")
    errors.append(ValidationError(question.key, message))
    return None


def _missing_reason(question: Question) -> str:
    if question.scale is Scale.YES_NO:
        return _("Say what the problem is.")
    return _("A low rating needs the owner's reason.")


def _satisfied(template: SurveyTemplate, answers: Mapping[str, int]) -> bool | None:
    answer = answers.get(template.satisfied_question, 0)
    if answer == 0:
        return None
    return answer >= template.satisfied_at_least


def _escalations(template: SurveyTemplate, answers: Mapping[str, int]) -> tuple[str, ...]:
    codes: list[str] = []
    for question in template.questions:
        answer = answers.get(question.key, 0)
        if template.escalate_very_dissatisfied and question.scale is Scale.RATING and answer == 1:
            codes.append(f"{VERY_DISSATISFIED}:{question.key}")
    if template.escalate_open_fault and any(
        q.open_fault_on is not None and answers.get(q.key) == q.open_fault_on
        for q in template.questions
    ):
        codes.append(OPEN_FAULT)
    return tuple(codes)


# --------------------------------------------------------------------------------------------
# The satisfaction rate


@dataclass(frozen=True, slots=True)
class Rate:
    """``satisfied`` of ``answered`` surveys; ``percent`` is None when none was answered."""

    satisfied: int
    answered: int

    @property
    def percent(self) -> float | None:
        if self.answered == 0:
            return None
        return 100 * self.satisfied / self.answered

    def meets(self, target_percent: float) -> bool | None:
        """Whether the rate reaches ``target_percent``; None when nothing was answered."""
        if self.answered == 0:
            return None
        # Whole numbers, no float rounding: satisfied/answered >= target/100.
        return 100 * self.satisfied >= target_percent * self.answered


def satisfaction_rate(results: Iterable[SurveyResult]) -> Rate:
    """The share of satisfied surveys among those whose satisfaction question was answered
    (``satisfied`` None — answered 0 — is not counted)."""
    satisfied = answered = 0
    for result in results:
        if result.satisfied is None:
            continue
        answered += 1
        satisfied += result.satisfied
    return Rate(satisfied, answered)


# --------------------------------------------------------------------------------------------
# Loading


def template_path(name: str = DEFAULT_TEMPLATE, config_dir: Path | None = None) -> Path:
    """The file ``name`` is read from: the site's copy if there is one, else the shipped one."""
    if not _NAME_RE.match(name):
        raise TemplateError(f"{name}.toml", "", _("not a valid survey template name"))
    if config_dir is not None:
        site = Path(config_dir) / "surveys" / f"{name}.toml"
        if site.is_file():
            return site
    shipped = TEMPLATES_DIR / f"{name}.toml"
    if shipped.is_file():
        return shipped
    raise TemplateError(
        f"{name}.toml",
        "",
        _("no such survey template; available: {names}").format(
            names=", ".join(available_templates(config_dir))
        ),
    )


def available_templates(config_dir: Path | None = None) -> list[str]:
    dirs = [TEMPLATES_DIR]
    if config_dir is not None:
        dirs.append(Path(config_dir) / "surveys")
    names = {p.stem for d in dirs if d.is_dir() for p in d.glob("*.toml") if _NAME_RE.match(p.stem)}
    return sorted(names)


def load_template(name: str = DEFAULT_TEMPLATE, config_dir: Path | None = None) -> SurveyTemplate:
    """Load and validate the template ``name``; the site's config dir wins over the shipped
    one. Cached per file and modification time, so an edited file is read again."""
    path = template_path(name, config_dir)
    try:
        stat = path.stat()
    except OSError as exc:
        raise TemplateError(str(path), "", _("cannot be read: {error}").format(error=exc)) from exc
    return _load_file(path, stat.st_mtime_ns, stat.st_size)


def site_template(name: str = DEFAULT_TEMPLATE) -> SurveyTemplate:
    """The template the centre uses: ``<config dir>/surveys/<name>.toml`` when the site has
    one (the config directory of ``callcenter --help``; ``CALLCENTER_CONFIG_DIR``), else the
    shipped one."""
    from callcenter.settings import config_dir

    return load_template(name, config_dir())


@functools.lru_cache(maxsize=16)
def _load_file(path: Path, mtime_ns: int, size: int) -> SurveyTemplate:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(str(path), "", _("cannot be read: {error}").format(error=exc)) from exc
    return parse_template(text, name=path.stem, source=str(path))


def parse_template(text: str, *, name: str, source: str | None = None) -> SurveyTemplate:
    """Validate the TOML ``text`` of template ``name``; ``source`` names it in errors."""
    file = source or f"{name}.toml"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(file, "", _("not valid TOML: {error}").format(error=exc)) from exc
    top = _Table(file, "", data)
    top.check_keys(
        [
            "title",
            "title_en",
            "low_at_most",
            "target_percent",
            "satisfied",
            "escalate",
            "questions",
        ]
    )
    title_zh = top.string("title", default=name)
    title_en = top.string("title_en", default=title_zh)
    low_at_most = top.integer("low_at_most", 0, 4)
    target = top.get("target_percent")
    if target is None:
        top.fail("target_percent", _("is required"))
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target <= 100:
        top.fail("target_percent", _("must be a number above 0 and at most 100"))

    questions = _questions(top)
    satisfied = top.table("satisfied")
    satisfied.check_keys(["question", "at_least"])
    key = satisfied.string("question", default="")
    if not key:
        satisfied.fail("question", _("is required"))
    chosen = next((q for q in questions if q.key == key), None)
    if chosen is None:
        satisfied.fail(
            "question",
            _("no such question; expected one of: {choices}").format(
                choices=", ".join(q.key for q in questions)
            ),
        )
    if chosen.scale is not Scale.RATING:
        satisfied.fail("question", _("must be a rating question"))
    at_least = satisfied.integer("at_least", 1, 5)

    very_dissatisfied = open_fault = True
    if "escalate" in data:
        escalate = top.table("escalate")
        escalate.check_keys(["very_dissatisfied", "open_fault"])
        very_dissatisfied = escalate.boolean("very_dissatisfied", True)
        open_fault = escalate.boolean("open_fault", True)
    return SurveyTemplate(
        name=name,
        title_zh=title_zh,
        title_en=title_en,
        source=file,
        questions=questions,
        low_at_most=low_at_most,
        satisfied_question=key,
        satisfied_at_least=at_least,
        target_percent=float(target),
        escalate_very_dissatisfied=very_dissatisfied,
        escalate_open_fault=open_fault,
    )


def _questions(top: _Table) -> tuple[Question, ...]:
    raw = top.get("questions")
    if raw is None:
        top.fail("questions", _("is required"))
    if not isinstance(raw, list) or not raw:
        top.fail("questions", _("must be a non-empty list of tables ([[questions]])"))
    if len(raw) > MAX_QUESTIONS:
        top.fail("questions", _("at most {n} questions").format(n=MAX_QUESTIONS))
    questions: list[Question] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        where = f"questions[{i}]"
        if not isinstance(item, dict):
            raise TemplateError(top.file, where, _("must be a table"))
        entry = _Table(top.file, where, item)
        entry.check_keys(["key", "scale", "text", "text_en", "open_fault_on"])
        key = entry.string("key", default="")
        if not _KEY_RE.match(key):
            entry.fail("key", _("must be q1 to q99"))
        if key in seen:
            entry.fail("key", _("{key} is used twice").format(key=key))
        seen.add(key)
        scale_raw = entry.string("scale", default="")
        if scale_raw not in set(Scale):
            entry.fail("scale", _("must be one of: {choices}").format(choices=", ".join(Scale)))
        scale = Scale(scale_raw)
        texts = [entry.text(k) for k in ("text", "text_en")]
        open_fault: int | None = None
        if "open_fault_on" in item:
            if scale is not Scale.YES_NO:
                entry.fail("open_fault_on", _("only a yes_no question reports a fault"))
            value = entry.string("open_fault_on", default="")
            if value not in _YES_NO:
                problem = _("must be one of: {choices}").format(choices="yes, no")
                entry.fail("open_fault_on", problem)
            open_fault = _YES_NO[value]
        questions.append(Question(key, texts[0], texts[1], scale, open_fault))
    return tuple(questions)


class _Table:
    """One TOML table, read with its dotted path for errors."""

    def __init__(self, file: str, path: str, data: Mapping[str, Any]) -> None:
        self.file = file
        self.path = path
        self.data = data

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, problem: str) -> NoReturn:
        raise TemplateError(self.file, self.where(key), problem)

    def check_keys(self, allowed: list[str]) -> None:
        for key in self.data:
            if key not in allowed:
                self.fail(
                    key,
                    _("unknown key; expected one of: {choices}").format(choices=", ".join(allowed)),
                )

    def get(self, key: str) -> Any:
        return self.data.get(key)

    def table(self, key: str) -> _Table:
        value = self.get(key)
        if value is None:
            self.fail(key, _("is required"))
        if not isinstance(value, dict):
            self.fail(key, _("must be a table"))
        return _Table(self.file, self.where(key), value)

    def string(self, key: str, default: str) -> str:
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, str):
            self.fail(key, _("must be a string"))
        return value

    def text(self, key: str) -> str:
        """A required line of text shown to operators: no control characters."""
        value = self.string(key, default="").strip()
        if not value:
            self.fail(key, _("is required"))
        try:
            return check_text(key, value, MAX_TEXT)
        except ValidationError as exc:
            self.fail(key, exc.message)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(key, _("must be true or false"))
        return value

    def integer(self, key: str, low: int, high: int) -> int:
        value = self.get(key)
        if value is None:
            self.fail(key, _("is required"))
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problem = _("must be a whole number from {low} to {high}")
            self.fail(key, problem.format(low=low, high=high))
        return value
