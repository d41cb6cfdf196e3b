"""The officers' work queue asks intake about applicants, who live here and not in workflow: which dossiers of
given agencies were filed by a person found by name, ID number or phone (workflow then keeps those its unit
holds), and who filed the dossiers on a queue page (the name and the masked ID number, never the phone).

Every search by name, ID number or phone is logged for each citizen it matched, in the registry's access log
(the citizen sees it beside the other reads of their data) before the answer leaves intake: a search the registry
cannot log is not answered."""

from __future__ import annotations

from services.chassis.errors import Forbidden
from services.intake.adapters import storage
from services.intake.domain import search
from services.intake.use_cases import Ports

MAX_MATCHES = 500  # a broader search (a common family name alone) asks the officer to add words
MAX_CODES = 5000  # an export's rows


def _officer(who: dict) -> None:
    if who["kind"] != "officer" or not who.get("unit"):
        raise Forbidden("officers_only", "Chức năng dành cho cán bộ.")


def find(ports: Ports, text: str, agencies: list[str], who: dict) -> dict:
    """{codes, kind, truncated}: dossiers received by `agencies` whose applicant matches `text` (`kind`: name,
    id_number, phone; `none` when the text is a dossier code or nothing intake can look up)."""
    _officer(who)
    query = search.parse(text)
    if not query.terms or not agencies:
        return {"codes": [], "kind": query.kind, "truncated": False}
    with ports.db.autocommit() as conn:
        codes = storage.find_by_terms(conn, list(query.terms), agencies[:200], MAX_MATCHES + 1)
        matched = storage.applicants_of(conn, codes[:MAX_MATCHES])
    reads = [{"id_number": m["applicant_id_number"], "dossier_code": m["code"]} for m in matched]
    requester = f"{who['subject']}@{who['unit']}"[:60]
    ports.registry.record_reads(reads, requester, query.category, f"queue_search:{query.kind}")
    ports.log.info("queue_searched", kind=query.kind, matches=len(reads), unit=who["unit"])
    return {"codes": codes[:MAX_MATCHES], "kind": query.kind, "truncated": len(codes) > MAX_MATCHES}


def applicants(db, codes: list[str], who: dict) -> dict:
    """{code: {full_name, id_number_masked}} for the dossiers of a queue page or export (the caller, the gateway,
    asks only for codes workflow listed in the officer's unit)."""
    _officer(who)
    with db.autocommit() as conn:
        rows = storage.applicants_of(conn, list(dict.fromkeys(codes))[:MAX_CODES])
    return {
        r["code"]: {
            "full_name": r["applicant_name"],
            "id_number_masked": search.masked_id(r["applicant_id_number"]),
        }
        for r in rows
    }
