from datetime import date

from services.catalog.hospitals.models import HospitalRow


def is_designated(hospital: HospitalRow, on: date) -> bool:
    """Designated for one-stop assistance settlement on that date: [from, until]."""
    if hospital.designated_from is None or on < hospital.designated_from:
        return False
    return hospital.designated_until is None or on <= hospital.designated_until
