"""The feedback call's survey (pure): templates as data, answers checked, the satisfaction
rate, escalations; and the feedback kind's retry schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from callcenter import survey
from callcenter.calls import feedback, kinds
from callcenter.calls.model import Outcome, Subject, TaskState
from callcenter.errors import ValidationErrors
from callcenter.i18n import set_language
from callcenter.survey import (
    Rate,
    Scale,
    SurveyResult,
    TemplateError,
    escalation_text,
    load_template,
    parse_answers,
    parse_template,
    satisfaction_rate,
)

AT = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)
GOOD = {f"q{n}": "5" for n in range(1, 10)} | {"q6": "2"}


@pytest.fixture
def template() -> survey.SurveyTemplate:
    return load_template()


def _errors(template: survey.SurveyTemplate, raw: dict[str, str]) -> dict[str, str]:
    with pytest.raises(ValidationErrors) as caught:
        parse_answers(template, raw)
    return caught.value.by_field


# -- the template -------------------------------------------------------------------------


def test_the_default_template_holds_seed_004s_nine_questions(
    template: survey.SurveyTemplate,
) -> None:
    assert template.keys == tuple(f"q{n}" for n in range(1, 10))
    assert [q.key for q in template.questions if q.scale is Scale.YES_NO] == ["q6"]
    assert template.question("q6").open_fault_on == 1  # yes: a fault still open
    assert (template.low_at_most, template.target_percent) == (2, 97)
    assert (template.satisfied_question, template.satisfied_at_least) == ("q9", 4)
    texts = "".join(q.text for q in template.questions)
    assert "龙工" not in texts and "旳" not in texts and "与否" not in texts
    assert template.question("q4").text == "您对我们服务人员的服务态度满意吗？"
    assert all(q.text_en and q.text for q in template.questions)


def test_the_question_is_shown_in_the_interface_language(
    template: survey.SurveyTemplate,
) -> None:
    q9 = template.question("q9")
    assert q9.label == "Overall, are you satisfied with our after-sales service?"
    set_language("zh_CN")
    assert q9.label == "您对我们的售后服务总体评价满意吗？"
    assert template.title == "售后服务满意度回访"
    assert Scale.RATING.legend()[0] == (5, "非常满意")
    assert Scale.YES_NO.legend() == [(1, "是"), (2, "否"), (0, "不适用/拒答")]


def test_the_revisit_has_its_own_template_of_the_same_questions() -> None:
    revisit = load_template("revisit")
    default = load_template()
    assert revisit.name == "revisit" and revisit.title_en == "After-sales revisit survey"
    assert revisit.keys == default.keys and revisit.satisfied_question == "q9"


def test_a_site_template_wins_over_the_shipped_one(tmp_path: Path) -> None:
    shipped = survey.TEMPLATES_DIR / "default.toml"
    site = tmp_path / "surveys"
    site.mkdir()
    text = shipped.read_text(encoding="utf-8").replace("target_percent = 97", "target_percent = 95")
    (site / "default.toml").write_text(text, encoding="utf-8")
    assert load_template(config_dir=tmp_path).target_percent == 95
    assert load_template(config_dir=tmp_path / "nothing").target_percent == 97
    assert survey.available_templates(tmp_path) == ["default", "revisit"]
    with pytest.raises(TemplateError, match="no such survey template; available: default, revisit"):
        load_template("other", tmp_path)
    with pytest.raises(TemplateError, match="not a valid"):
        load_template("../etc")


MINIMAL = """
low_at_most = 2
target_percent = 97
[satisfied]
question = "q1"
at_least = 4
[[questions]]
key = "q1"
scale = "rating"
text = "满意吗？"
text_en = "Satisfied?"
[[questions]]
key = "q2"
scale = "yes_no"
text = "有故障吗？"
text_en = "A fault?"
"""


def test_a_minimal_template_is_valid() -> None:
    parsed = parse_template(MINIMAL, name="mini")
    assert parsed.keys == ("q1", "q2") and parsed.title_en == "mini"
    assert parsed.escalate_very_dissatisfied and parsed.escalate_open_fault


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        (("target_percent = 97", "target_percent = 0"), "target_percent", "above 0"),
        (("target_percent = 97", "target_percent = 101"), "target_percent", "at most 100"),
        (("target_percent = 97\n", ""), "target_percent", "is required"),
        (("low_at_most = 2", "low_at_most = 5"), "low_at_most", "from 0 to 4"),
        (("low_at_most = 2", "low_at_most = true"), "low_at_most", "whole number"),
        (("low_at_most = 2", "colour = 2"), "colour", "unknown key"),
        (('question = "q1"', 'question = "q7"'), "satisfied.question", "no such question"),
        (('question = "q1"', 'question = "q2"'), "satisfied.question", "rating question"),
        (("at_least = 4", "at_least = 6"), "satisfied.at_least", "from 1 to 5"),
        (('key = "q2"', 'key = "q1"'), "questions[1].key", "used twice"),
        (('key = "q2"', 'key = "two"'), "questions[1].key", "q1 to q99"),
        (('scale = "yes_no"', 'scale = "stars"'), "questions[1].scale", "rating, yes_no"),
        (('text = "满意吗？"', 'text = ""'), "questions[0].text", "is required"),
        (
            ('text_en = "A fault?"', 'text_en = "A\\u001b[2Jfault"'),
            "questions[1].text_en",
            "control",
        ),
        (
            ('text_en = "A fault?"', 'text_en = "x"\nopen_fault_on = "maybe"'),
            "questions[1].open_fault_on",
            "yes, no",
        ),
        (
            ('text_en = "Satisfied?"', 'text_en = "x"\nopen_fault_on = "yes"'),
            "questions[0].open_fault_on",
            "yes_no",
        ),
        (("[satisfied]", "[escalate]\nloud = true\n[satisfied]"), "escalate.loud", "unknown key"),
    ],
)
def test_a_wrong_template_names_file_and_key(
    change: tuple[str, str], where: str, problem: str
) -> None:
    old, new = change
    assert old in MINIMAL
    with pytest.raises(TemplateError) as caught:
        parse_template(MINIMAL.replace(old, new, 1), name="mini", source="site/mini.toml")
    assert caught.value.file == "site/mini.toml" and caught.value.key == where
    assert problem in caught.value.problem
    assert str(caught.value).startswith(f"site/mini.toml: {where}: ")


def test_a_template_that_is_not_toml_or_has_no_questions() -> None:
    with pytest.raises(TemplateError, match="not valid TOML"):
        parse_template("questions = [", name="x")
    with pytest.raises(TemplateError, match="questions: is required"):
        parse_template("low_at_most = 1\ntarget_percent = 90", name="x")
    with pytest.raises(TemplateError, match="questions: must be a non-empty list"):
        parse_template("low_at_most = 1\ntarget_percent = 90\nquestions = []", name="x")


# -- the answers --------------------------------------------------------------------------


def test_a_good_survey_is_satisfied_with_nothing_to_report(
    template: survey.SurveyTemplate,
) -> None:
    result = parse_answers(template, GOOD | {"comment": "  很好  ", "other": "ignored"})
    assert result.answers == {f"q{n}": 5 for n in range(1, 10)} | {"q6": 2}
    assert result.satisfied is True and result.escalations == () and result.comment == "很好"
    assert result.reasons == {}


def test_full_width_digits_are_answers(template: survey.SurveyTemplate) -> None:
    assert parse_answers(template, GOOD | {"q1": "４"}).answers["q1"] == 4


def test_every_wrong_field_is_named_at_once(template: survey.SurveyTemplate) -> None:
    raw = GOOD | {"q1": "", "q2": "6", "q3": "x", "q6": "3", "q4": "2", "comment": "a\x07"}
    del raw["q9"]
    errors = _errors(template, raw)
    assert set(errors) == {"q1", "q2", "q3", "q6", "reason_q4", "q9", "comment"}
    assert "0" in errors["q1"] and "5" in errors["q2"] and "2 (no)" in errors["q6"]


def test_a_low_rating_needs_its_reason_and_a_high_one_drops_it(
    template: survey.SurveyTemplate,
) -> None:
    assert set(_errors(template, GOOD | {"q5": "2", "reason_q5": "  "})) == {"reason_q5"}
    assert set(_errors(template, GOOD | {"q5": "1"})) == {"reason_q5"}
    result = parse_answers(template, GOOD | {"q5": "2", "reason_q5": " 修了两次 "})
    assert result.reasons == {"q5": "修了两次"} and result.escalations == ()
    corrected = parse_answers(template, GOOD | {"q5": "3", "reason_q5": "修了两次"})
    assert corrected.reasons == {}
    long = _errors(template, GOOD | {"q5": "2", "reason_q5": "长" * 201})
    assert "200" in long["reason_q5"]


def test_the_messages_are_translated(template: survey.SurveyTemplate) -> None:
    set_language("zh_CN")
    errors = _errors(template, GOOD | {"q1": "", "q5": "1"})
    assert all(not m.isascii() for m in errors.values())


def test_an_open_fault_is_escalated_and_asks_what_it_is(
    template: survey.SurveyTemplate,
) -> None:
    assert set(_errors(template, GOOD | {"q6": "1"})) == {"reason_q6"}
    result = parse_answers(template, GOOD | {"q6": "1", "reason_q6": "液压漏油"})
    assert result.open_fault and result.escalations == ("open_fault",)
    assert parse_answers(template, GOOD | {"q6": "0"}).escalations == ()


def test_every_rating_of_1_is_escalated(template: survey.SurveyTemplate) -> None:
    raw = GOOD | {"q4": "1", "reason_q4": "态度差", "q9": "1", "reason_q9": "不满意"}
    raw |= {"q6": "1", "reason_q6": "异响"}
    result = parse_answers(template, raw)
    assert result.escalations == ("very_dissatisfied:q4", "very_dissatisfied:q9", "open_fault")
    assert result.satisfied is False
    assert escalation_text("very_dissatisfied:q4") == "Very dissatisfied (question 4)"
    set_language("zh_CN")
    assert "4" in escalation_text("very_dissatisfied:q4")
    assert escalation_text("open_fault") != "open_fault"


def test_the_template_decides_what_is_satisfied(template: survey.SurveyTemplate) -> None:
    assert parse_answers(template, GOOD | {"q9": "4"}).satisfied is True
    assert parse_answers(template, GOOD | {"q9": "3"}).satisfied is False
    assert parse_answers(template, GOOD | {"q9": "0"}).satisfied is None
    # q1 low does not make the survey unsatisfied: only q9 counts.
    assert parse_answers(template, GOOD | {"q1": "3"}).satisfied is True


def test_the_payload_round_trips(template: survey.SurveyTemplate) -> None:
    result = parse_answers(template, GOOD | {"q4": "1", "reason_q4": "态度差", "q9": "0"})
    payload = result.as_payload()
    assert payload["satisfied"] is None and payload["escalations"] == ["very_dissatisfied:q4"]
    assert SurveyResult.from_payload(payload) == result
    with pytest.raises(ValueError):
        SurveyResult.from_payload({"answers": {}})
    with pytest.raises(ValueError):
        SurveyResult.from_payload(payload | {"satisfied": "yes"})


# -- the satisfaction rate ----------------------------------------------------------------


def _result(satisfied: bool | None) -> SurveyResult:
    return SurveyResult("default", {}, satisfied=satisfied)


def test_nothing_answered_is_no_rate_and_no_division() -> None:
    rate = satisfaction_rate([])
    assert rate == Rate(0, 0) and rate.percent is None and rate.meets(97) is None
    assert satisfaction_rate([_result(None)]).answered == 0


def test_unanswered_surveys_are_not_counted() -> None:
    rate = satisfaction_rate([_result(True), _result(None), _result(False), _result(True)])
    assert (rate.satisfied, rate.answered) == (2, 3)
    assert rate.percent == pytest.approx(66.667, abs=0.001)


def test_the_97_percent_target() -> None:
    rate = satisfaction_rate([_result(True)] * 97 + [_result(False)] * 3)
    assert rate.percent == 97 and rate.meets(97) is True
    below = satisfaction_rate([_result(True)] * 96 + [_result(False)] * 4)
    assert below.meets(97) is False
    # 33 of 34 is 97.06 %: meets; 32 of 33 is 96.97 %: does not.
    assert satisfaction_rate([_result(True)] * 33 + [_result(False)]).meets(97) is True
    assert satisfaction_rate([_result(True)] * 32 + [_result(False)]).meets(97) is False


# -- the kind -----------------------------------------------------------------------------


def test_the_feedback_kind_is_built_in() -> None:
    kind = kinds.get("feedback")
    assert kind is feedback.KIND and kind in kinds.BUILT_IN and not kind.external
    assert kind.subject is Subject.CASE and kind.title == "Feedback call"
    assert set(kind.outcomes) == set(Outcome)


def test_three_tries_over_a_day() -> None:
    kind = feedback.KIND
    first = kind.after(Outcome.NOT_REACHED, 1, AT)
    assert first == (TaskState.OPEN, AT + timedelta(hours=4))
    second = kind.after(Outcome.BUSY, 2, first[1])
    assert second == (TaskState.OPEN, AT + timedelta(hours=12))
    assert kind.after(Outcome.NOT_REACHED, 3, second[1]) == (TaskState.GIVEN_UP, second[1])
    assert second[1] - AT < timedelta(hours=24)


def test_a_refusal_or_a_wrong_number_gives_up_and_reached_is_done() -> None:
    kind = feedback.KIND
    assert kind.after(Outcome.REFUSED, 1, AT) == (TaskState.GIVEN_UP, AT)
    assert kind.after(Outcome.WRONG_NUMBER, 1, AT) == (TaskState.GIVEN_UP, AT)
    assert kind.after(Outcome.REACHED, 2, AT) == (TaskState.DONE, AT)


def test_the_kinds_result_is_the_survey_and_who_accepted() -> None:
    payload = feedback.parse_result(GOOD | {"accept_by": " 张伟 "})
    assert payload["accept_by"] == "张伟" and payload["satisfied"] is True
    assert feedback.parse_result(GOOD)["accept_by"] == ""
    with pytest.raises(ValidationErrors) as caught:
        feedback.parse_result(GOOD | {"q1": "9", "accept_by": "a\x1b[31m"})
    assert set(caught.value.by_field) == {"q1", "accept_by"}


def test_the_centre_s_own_template_replaces_the_shipped_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A centre changes its survey in <config dir>/surveys/default.toml; the feedback call's
    checking and the board's target read it."""
    from callcenter.survey import site_template

    shipped = (Path(survey.__file__).with_name("surveys") / "default.toml").read_text("utf-8")
    changed = shipped.replace("target_percent = 97", "target_percent = 95").replace(
        "low_at_most = 2", "low_at_most = 3"
    )
    (tmp_path / "surveys").mkdir()
    (tmp_path / "surveys" / "default.toml").write_text(changed, "utf-8")
    answers = {f"q{i}": "5" for i in range(1, 10)} | {"q6": "2", "q4": "3"}
    assert feedback.parse_result(answers)["answers"]["q4"] == 3  # the shipped template
    monkeypatch.setenv("CALLCENTER_CONFIG_DIR", str(tmp_path))
    assert site_template().target_percent == 95
    with pytest.raises(ValidationErrors) as raised:
        feedback.parse_result(answers)  # a 3 is low for this centre: say why
    assert "reason_q4" in raised.value.by_field
