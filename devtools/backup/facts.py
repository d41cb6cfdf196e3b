"""What a copy of a service's database holds, read the same way on SQLite and PostgreSQL: rows per table, the
schema revision, the head of the audit chain and whether the chain verifies. Written into the manifest at backup
time and compared with the restored copy before it replaces anything."""

from __future__ import annotations

from sqlalchemy import inspect, text

from services.chassis import audit, config


def read(conn) -> dict:
    """Rows of every table (not a chosen few: a table added later is counted too), the Alembic revision, the
    audit head (None for a service without an audit chain)."""
    names = sorted(inspect(conn).get_table_names())
    quote = conn.dialect.identifier_preparer.quote
    rows = {name: conn.execute(text(f"SELECT count(*) FROM {quote(name)}")).scalar_one() for name in names}
    revision = (
        conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if "alembic_version" in names
        else None
    )
    head = audit.head(conn) if "audit_head" in names else None
    return {"rows": rows, "schema_revision": revision, "audit_head": head}


def audit_key(service: str) -> bytes | None:
    """The service's audit chain key, as the service derives it (MOTCUA_APPLICANT_REF_KEY; the development key
    with MOTCUA_ENV=local); None when it cannot be known here, and the chains are then not verified."""
    try:
        return audit.chain_key(config.load(service).applicant_ref_key)
    except RuntimeError:
        return None


def verify(conn, found: dict, key: bytes | None) -> dict | None:
    """The audit chain's verdict (`ok`, `entries`, ...), or None without a chain or without a key."""
    if found["audit_head"] is None or key is None:
        return None
    return audit.verify(conn, key).to_dict()


def entry(conn, key: bytes | None) -> dict:
    """A service's facts for the manifest."""
    found = read(conn)
    return {**found, "audit_verified": verify(conn, found, key)}


def differences(expected: dict, found: dict) -> list[str]:
    """Where a restored copy differs from what the manifest recorded."""
    problems = []
    for table in sorted(set(expected["rows"]) | set(found["rows"])):
        want, got = expected["rows"].get(table), found["rows"].get(table)
        if want != got:
            problems.append(f"table {table}: {got} rows restored, {want} backed up")
    if expected["schema_revision"] != found["schema_revision"]:
        problems.append(
            f"schema revision {found['schema_revision']}, backed up {expected['schema_revision']}"
        )
    if expected["audit_head"] != found["audit_head"]:
        problems.append(f"audit head {found['audit_head']}, backed up {expected['audit_head']}")
    return problems
