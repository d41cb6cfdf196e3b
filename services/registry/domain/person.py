"""What each category of a person's data discloses (the categories a consent names, domain/consent.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ALL = ("identity", "address", "contact")  # what a trusted service inside the platform reads (get_person)


def disclosed(person: Mapping[str, Any], categories: Iterable[str]) -> dict[str, Any]:
    """The person's ID number and the fields of these categories, as they leave the registry."""
    out: dict[str, Any] = {"id_number": person["id_number"]}
    if "identity" in categories:
        out.update(
            full_name=person["full_name"], birth_date=person["birth_date"].isoformat(), sex=person["sex"]
        )
    if "address" in categories:
        out.update(address_unit_code=person["address_unit_code"], address_line=person["address_line"])
    if "contact" in categories:
        out.update(email=person["email"], phone=person["phone"], language=person["language"])
    return out
