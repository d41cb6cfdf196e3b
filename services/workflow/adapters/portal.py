"""Synchronisation with the National Public Service Portal (Cổng Dịch vụ công quốc gia): every dossier's creation
and status change is reported to the portal's dossier synchronisation interface.

- Written with the change: `record_changes(uow, sync)` turns the DossierStatusChanged events a unit of work publishes
  into sync records in the same transaction, numbered 1, 2, 3... per dossier.
- Sent in order, until acknowledged: only the lowest unacknowledged record of a dossier is ever sent; the next
  one waits for its acknowledgement. Failures back off (PORTAL_SYNC_RETRY_MAX_SECONDS caps the wait).
- Claim-once: a replica claims a record with a conditional update (`claimed_until`) before sending it; a claim
  left by a dead replica expires. The portal deduplicates by dossier code + sequence, so a record sent again
  after a crash between send and acknowledgement is harmless.
- The applicant is identified by the case's opaque applicant reference (a keyed hash), never the ID number.

Configuration: PORTAL_SYNC_URL (base URL; unset = no sync), PORTAL_SYNC_RETRY_MAX_SECONDS (default 300)."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

from nameko.extensions import DependencyProvider
from sqlalchemy import func, or_, select, update

from services.chassis.clock import iso_utc
from services.workflow.adapters import storage

CHANGED = "motcua.workflow.v1.DossierStatusChanged"
CLAIM_SECONDS = 60


def _iso_or_empty(value) -> str:
    return iso_utc(value) or ""


class PortalSync(DependencyProvider):
    def setup(self):
        self.url = os.environ.get("PORTAL_SYNC_URL", "").rstrip("/")
        self.enabled = bool(self.url)
        self.retry_max = float(os.environ.get("PORTAL_SYNC_RETRY_MAX_SECONDS", "300"))
        self.province = os.environ.get("MOTCUA_PROVINCE_CODE", "NB")

    def get_dependency(self, worker_ctx):
        return self

    def post(self, record: dict) -> None:
        """Send one record; returns when the portal acknowledged it, raises otherwise."""
        request = urllib.request.Request(
            f"{self.url}/api/dossier-sync",
            data=json.dumps(record, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.loads(response.read() or b"{}")
        if not body.get("accepted"):
            raise RuntimeError("portal did not accept the record")


def record_changes(uow, sync: PortalSync, now: datetime | None = None) -> int:
    """Add a sync record for each status change this unit of work publishes. Call once, at the end of the
    unit of work, in its transaction."""
    if sync is None or sync.enabled is not True:  # not configured (or a test double without the setting)
        return 0
    now = now or datetime.now(timezone.utc)
    written = 0
    table = storage.portal_sync
    for envelope in uow.published:
        data = envelope.get("data") or {}
        if envelope.get("type") != CHANGED or data.get("from_status", "") == data.get("to_status", ""):
            continue
        code = data["dossier_code"]
        case = storage.find_case(uow.session, code)
        last = uow.session.execute(select(func.max(table.c.seq)).where(table.c.dossier_code == code)).scalar()
        seq = (last or 0) + 1
        record = {
            "dossier_code": code,
            "sequence": seq,
            "province_code": sync.province,
            "procedure_code": case["procedure_code"],
            "agency_code": case["agency_code"],
            "status": data["to_status"],
            "previous_status": data.get("from_status", ""),
            "action": data.get("action", ""),
            "applicant_ref": case["applicant_ref"],
            "received_at": _iso_or_empty(case["received_at"]),
            "due_at": _iso_or_empty(case["due_at"]),
            "finished_at": _iso_or_empty(case["finished_at"]),
            "changed_at": _iso_or_empty(now),
        }
        uow.session.execute(
            table.insert().values(
                dossier_code=code,
                seq=seq,
                payload=json.dumps(record, ensure_ascii=False),
                state="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        written += 1
    return written


def _claim_heads(db, now: datetime, limit: int) -> list[dict]:
    """The lowest pending record of each dossier, when due and unclaimed, claimed for this replica."""
    table = storage.portal_sync
    claimed = []
    with db.unit() as uow:
        rows = (
            uow.session.execute(
                select(table).where(table.c.state == "pending").order_by(table.c.dossier_code, table.c.seq)
            )
            .mappings()
            .all()
        )
        heads, seen = [], set()
        for row in rows:
            if row["dossier_code"] in seen:
                continue
            seen.add(row["dossier_code"])
            if row["next_attempt_at"] <= now and (row["claimed_until"] is None or row["claimed_until"] < now):
                heads.append(row)
        for row in heads[:limit]:
            if uow.session.execute(
                update(table)
                .where(
                    table.c.id == row["id"],
                    table.c.state == "pending",
                    or_(table.c.claimed_until.is_(None), table.c.claimed_until < now),
                )
                .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
            ).rowcount:
                claimed.append(dict(row))
    return claimed


def _next_of(db, code: str, now: datetime) -> dict | None:
    table = storage.portal_sync
    with db.unit() as uow:
        row = (
            uow.session.execute(
                select(table)
                .where(table.c.dossier_code == code, table.c.state == "pending")
                .order_by(table.c.seq)
                .limit(1)
            )
            .mappings()
            .first()
        )
        if (
            row is None
            or not uow.session.execute(
                update(table)
                .where(
                    table.c.id == row["id"],
                    table.c.state == "pending",
                    or_(table.c.claimed_until.is_(None), table.c.claimed_until < now),
                )
                .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS))
            ).rowcount
        ):
            return None
        return dict(row)


def send_due(db, sync: PortalSync, limit: int = 100) -> dict:
    """One round: for each dossier, send its pending records in order until one fails."""
    table = storage.portal_sync
    sent = failed = 0
    if not sync.enabled:
        return {"sent": 0, "failed": 0}
    for row in _claim_heads(db, datetime.now(timezone.utc), limit):
        while row is not None:
            try:
                sync.post(json.loads(row["payload"]))
            except (OSError, urllib.error.URLError, ValueError, RuntimeError) as exc:
                now = datetime.now(timezone.utc)
                wait = min(2 ** row["attempts"], sync.retry_max)
                with db.unit() as uow:
                    uow.session.execute(
                        update(table)
                        .where(table.c.id == row["id"])
                        .values(
                            attempts=row["attempts"] + 1,
                            next_attempt_at=now + timedelta(seconds=wait),
                            claimed_until=None,
                            last_error=type(exc).__name__,
                        )
                    )
                failed += 1
                break
            now = datetime.now(timezone.utc)
            with db.unit() as uow:
                uow.session.execute(
                    update(table)
                    .where(table.c.id == row["id"])
                    .values(state="acked", acked_at=now, claimed_until=None, attempts=row["attempts"] + 1)
                )
            sent += 1
            row = _next_of(db, row["dossier_code"], now)
    return {"sent": sent, "failed": failed}


def sync(db, sync: PortalSync, log) -> None:
    """The sync timer's round, when the portal is configured; failures are logged and retried later."""
    if sync.enabled:
        result = send_due(db, sync)
        if result["failed"]:
            log.warning("portal_sync_failed", failed=result["failed"], sent=result["sent"])


def reconciliation(session, dossier_code: str | None = None) -> dict:
    """What the portal has acknowledged and what it has not, per dossier."""
    table = storage.portal_sync
    query = select(
        table.c.dossier_code,
        table.c.seq,
        table.c.state,
        table.c.attempts,
        table.c.last_error,
        table.c.created_at,
    ).order_by(table.c.dossier_code, table.c.seq)
    if dossier_code:
        query = query.where(table.c.dossier_code == dossier_code)
    dossiers, totals = _tally(session.execute(query).mappings())
    missing = [d for d in dossiers.values() if d["pending"]]
    return {
        **totals,
        "dossiers": len(dossiers),
        "in_sync": not missing,
        "not_acknowledged": missing,
        "items": list(dossiers.values()) if dossier_code else [],
    }


def _tally(rows) -> tuple[dict[str, dict], dict[str, int]]:
    """Per dossier (its records in order): the last record, the last acknowledged before the first pending one,
    the pending ones (attempts and error of the oldest) and where its sync stands; and the totals."""
    dossiers: dict[str, dict] = {}
    totals = {"records": 0, "acknowledged": 0, "pending": 0}
    for row in rows:
        entry = dossiers.setdefault(
            row["dossier_code"],
            {
                "dossier_code": row["dossier_code"],
                "last_seq": 0,
                "acked_seq": 0,
                "pending": 0,
                "attempts": 0,
                "last_error": "",
                "oldest_pending_at": "",
            },
        )
        entry["last_seq"] = row["seq"]
        totals["records"] += 1
        if row["state"] == "acked":
            totals["acknowledged"] += 1
            if entry["pending"] == 0:
                entry["acked_seq"] = row["seq"]
        else:
            totals["pending"] += 1
            entry["pending"] += 1
            if not entry["oldest_pending_at"]:
                entry["oldest_pending_at"] = _iso_or_empty(row["created_at"])
                entry["attempts"], entry["last_error"] = row["attempts"], row["last_error"]
    for entry in dossiers.values():
        entry["sync_status"] = (
            "synced" if entry["pending"] == 0 else ("retrying" if entry["attempts"] else "queued")
        )
    return dossiers, totals
