"""Registry storage: persons (the registry's copy of population data) and the queries it needs."""
from __future__ import annotations

from sqlalchemy import Column, Date, String, Table, select

from services.chassis.database import new_metadata

metadata = new_metadata()

persons = Table(
    "persons",
    metadata,
    Column("id_number", String(12), primary_key=True),
    Column("full_name", String(200), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("sex", String(10), nullable=False),
    Column("address_unit_code", String(20), nullable=False),
    Column("address_line", String(300), nullable=False, default=""),
    Column("email", String(200), nullable=False, default=""),
    Column("phone", String(20), nullable=False, default=""),
    Column("language", String(5), nullable=False, default="vi"),
)


def find_person(session, id_number: str) -> dict | None:
    row = session.execute(select(persons).where(persons.c.id_number == id_number)).mappings().first()
    return dict(row) if row else None


def upsert_person(session, person: dict) -> None:
    if find_person(session, person["id_number"]):
        session.execute(persons.update().where(persons.c.id_number == person["id_number"]).values(**person))
    else:
        session.execute(persons.insert().values(**person))
