"""The customer archive, search as typed and the audit log, on every backend."""

from __future__ import annotations

import pytest

from callcenter.services import Services
from tests.factories import intake


@pytest.mark.parametrize(
    "typed",
    [
        "0755-8888 6666",
        "(0755) 88886666",
        "０７５５８８８８６６６６",
        "+86 755 8888 6666",
        "8888 6666",
        "粤b·12345",
        "粤B 12 345",
        "ｂ１２３４５",
        "20261122-0001",
        "２０２６１１２２-０００１",
        "20261122",
        "张伟",
        "科技园",
    ],
)
def test_case_search_finds_what_was_typed(container, typed: str) -> None:
    services: Services = container.services
    case = services.take_call(intake(phone="0755-8888 6666", address="深圳市南山区科技园"))
    services.take_call(intake(phone="13912345678", plate="粤A55555", caller_name="李娜"))
    found = [c.number for c in services.search(typed)]
    assert case.number in found, typed


def test_case_search_keeps_unrelated_cases_out(container) -> None:
    services: Services = container.services
    services.take_call(intake(phone="0755-8888 6666"))
    other = services.take_call(intake(phone="13912345678", plate="粤A55555", caller_name="李娜"))
    assert [c.number for c in services.search("粤a 55555")] == [other.number]
    assert [c.number for c in services.search("139-1234-5678")] == [other.number]
    assert services.search("100%") == []
    assert services.search("  ") == []
