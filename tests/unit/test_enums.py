"""Every enum member has its own label, even where values repeat across enums."""

from __future__ import annotations

import pytest

from callcenter.domain import enums
from callcenter.i18n import set_language

LABELLED = [
    cls
    for cls in vars(enums).values()
    if isinstance(cls, type) and issubclass(cls, enums.Labelled) and cls is not enums.Labelled
]


@pytest.mark.parametrize("cls", LABELLED, ids=lambda c: c.__name__)
def test_every_member_has_a_label(cls: type[enums.Labelled]) -> None:
    for member in cls:
        assert member.label


def test_same_value_in_two_enums_keeps_two_labels() -> None:
    set_language("zh_CN")
    assert enums.Priority.GENERAL.label == "一般"
    assert enums.CustomerCategory.GENERAL.label == "一般客户"
    assert enums.RescuePlan.TYRE.label != enums.FaultCategory.TYRE.label
    set_language("en")
    assert enums.Priority.GENERAL.label == "General"
