"""Small builders shared by tests."""

from __future__ import annotations

from callcenter.domain import Crew, CrewStatus
from callcenter.services import Intake, Services


def intake(**overrides: object) -> Intake:
    values: dict[str, object] = {
        "caller_name": "张伟",
        "phone": "138 1234 5678",
        "plate": "粤B12345",
        "vehicle_model": "丰田卡罗拉",
        "address": "深圳市福田区深南大道6008号",
        "distance_km": "8",
        "fault_description": "车辆无法启动",
        "fee_quote": "150",
        "fee_agreed": True,
    }
    values.update(overrides)
    return Intake(**values)  # type: ignore[arg-type]


def add_crew(services: Services, code: str = "救援1组", **overrides: object) -> Crew:
    crew = Crew(
        code=code,
        name="李强",
        phone="+8613900001111",
        vehicle_plate="粤B7T001",
        vehicle_kind="拖车",
        status=CrewStatus.AVAILABLE,
        lat=22.55,
        lon=114.06,
    )
    for key, value in overrides.items():
        setattr(crew, key, value)
    with services.uow() as uow:
        uow.crews.add(crew)
        uow.commit()
    return crew
