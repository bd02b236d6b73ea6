"""Which crew can reach a scene before the promised time: pure functions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from callcenter.domain import NOT_ON_DUTY, Case, Crew, CrewStatus

EARTH_RADIUS_KM = 6371.0


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class CrewOption:
    crew: Crew
    distance_km: float
    eta: datetime
    margin: timedelta | None  # promised - eta; positive = early, None = no promise

    @property
    def available(self) -> bool:
        return self.crew.status is CrewStatus.AVAILABLE

    @property
    def in_time(self) -> bool:
        return self.margin is None or self.margin >= timedelta(0)


def crew_distance_km(
    crew: Crew, case: Case, depot: tuple[float, float], road_factor: float = 1.3
) -> float:
    """Road distance estimate from the crew (or the depot) to the scene."""
    if case.lat is None or case.lon is None:
        # Without coordinates the scene is ``distance_km`` from the depot; a crew away from
        # the depot is at most that plus its own distance from the depot.
        base = float(case.distance_km)
        if crew.lat is None or crew.lon is None:
            return base
        return base + haversine_km(crew.lat, crew.lon, *depot) * road_factor
    start = (crew.lat, crew.lon) if crew.lat is not None and crew.lon is not None else depot
    return haversine_km(start[0], start[1], case.lat, case.lon) * road_factor


def rank_crews(
    case: Case,
    crews: list[Crew],
    now: datetime,
    *,
    speed_kmh: float,
    depot: tuple[float, float],
) -> list[CrewOption]:
    """Available crews that arrive in time first (earliest first), then the rest."""
    options = []
    for crew in crews:
        if crew.status in NOT_ON_DUTY:
            continue
        km = crew_distance_km(crew, case, depot)
        eta = now + timedelta(hours=km / speed_kmh)
        promised = case.promised_arrival_at
        options.append(CrewOption(crew, km, eta, promised - eta if promised else None))
    return sorted(options, key=lambda o: (not o.available, not o.in_time, o.eta, o.crew.code))
