"""The customer archive (客户档案): its entries' required details, the maintenance cycle."""

from callcenter.archive.maintenance import Cycle, Due, load_cycle, next_due
from callcenter.archive.model import (
    COMPLETE_WITHIN,
    ArchiveRow,
    CustomerEdit,
    CustomerFile,
    VehicleEdit,
    missing_details,
)

__all__ = [
    "COMPLETE_WITHIN",
    "ArchiveRow",
    "CustomerEdit",
    "CustomerFile",
    "Cycle",
    "Due",
    "VehicleEdit",
    "load_cycle",
    "missing_details",
    "next_due",
]
