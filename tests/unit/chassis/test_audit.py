"""The audit chain: appended entries verify; any change, insertion or removal is found, with its place."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from services.chassis import audit

KEY = audit.chain_key("unit-test-secret")


@pytest.fixture
def session():
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    md = MetaData()
    audit.add_tables(md)
    md.create_all(engine)
    with Session(engine) as s:
        for i in range(1, 6):
            audit.append(
                s,
                KEY,
                [
                    audit.Entry(
                        f"officer:leader-{i}",
                        "case.approve",
                        f"DOSSIER-{i}",
                        {"reason": f"lý do {i}", "roles": ["leader"]},
                    )
                ],
            )
        s.commit()
        yield s


def test_an_untouched_chain_verifies(session):
    verdict = audit.verify(session, KEY)
    assert verdict.ok and verdict.entries == 5 and verdict.head_seq == 5


def test_several_entries_in_one_transaction_chain_in_order(session):
    audit.append(
        session,
        KEY,
        [
            audit.Entry("registry", "personal_data.read", "person:x", {"category": c})
            for c in ("identity", "address", "contact")
        ],
    )
    session.commit()
    assert audit.verify(session, KEY).to_dict() == {
        "ok": True,
        "entries": 8,
        "head_seq": 8,
        "first_bad_seq": None,
        "reason": "",
    }


def test_a_changed_detail_is_found_at_its_entry(session):
    session.execute(
        text("UPDATE audit_log SET details = :d WHERE seq = 3"),
        {"d": json.dumps({"reason": "đã sửa", "roles": ["leader"]}, ensure_ascii=False)},
    )
    verdict = audit.verify(session, KEY)
    assert not verdict.ok and verdict.first_bad_seq == 3 and "hash" in verdict.reason


def test_a_changed_actor_with_a_recomputed_plain_hash_is_found(session):
    # Without the key nobody can recompute a valid hash: a plain SHA-256 (or a guess) does not match.
    import hashlib

    session.execute(
        text("UPDATE audit_log SET actor = 'officer:someone-else', hash = :h WHERE seq = 2"),
        {"h": hashlib.sha256(b"forged").hexdigest()},
    )
    verdict = audit.verify(session, KEY)
    assert not verdict.ok and verdict.first_bad_seq == 2


def test_a_deleted_middle_entry_is_found(session):
    session.execute(text("DELETE FROM audit_log WHERE seq = 2"))
    verdict = audit.verify(session, KEY)
    assert not verdict.ok and verdict.first_bad_seq == 2 and "missing" in verdict.reason


def test_deleted_last_entries_are_found_through_the_head(session):
    session.execute(text("DELETE FROM audit_log WHERE seq >= 4"))
    verdict = audit.verify(session, KEY)
    assert not verdict.ok and verdict.first_bad_seq == 4 and "head" in verdict.reason


def test_deleted_last_entries_with_the_head_moved_back_are_found(session):
    # The head rewound to entry 3's seq but keeping a hash it cannot recompute without the key.
    session.execute(text("DELETE FROM audit_log WHERE seq >= 4"))
    session.execute(text("UPDATE audit_head SET seq = 3"))
    assert not audit.verify(session, KEY).ok


def test_an_inserted_entry_is_found(session):
    later = [
        dict(r)
        for r in session.execute(text("SELECT * FROM audit_log WHERE seq >= 4 ORDER BY seq")).mappings()
    ]
    session.execute(text("DELETE FROM audit_log WHERE seq >= 4"))
    for r in later:  # shifted one place to make room after entry 3
        session.execute(
            text(
                "INSERT INTO audit_log VALUES (:seq, :at, :actor, :action, :target, :details, "
                ":prev_hash, :hash)"
            ),
            {**r, "seq": r["seq"] + 1},
        )
    row = session.execute(text("SELECT * FROM audit_log WHERE seq = 3")).mappings().one()
    session.execute(
        text(
            "INSERT INTO audit_log (seq, at, actor, action, target, details, prev_hash, hash) "
            "VALUES (4, :at, 'officer:intruder', 'case.approve', 'DOSSIER-X', '{}', :prev, :h)"
        ),
        {"at": row["at"], "prev": row["hash"], "h": "0" * 64},
    )
    session.execute(text("UPDATE audit_head SET seq = 6"))
    verdict = audit.verify(session, KEY)
    assert not verdict.ok and verdict.first_bad_seq == 4


def test_the_wrong_key_fails_everything(session):
    verdict = audit.verify(session, audit.chain_key("another-secret"))
    assert not verdict.ok and verdict.first_bad_seq == 1


def test_person_reference_is_stable_keyed_and_hides_the_number():
    ref = audit.person_ref("secret", "037090000001")
    assert ref == audit.person_ref("secret", "037090000001") != audit.person_ref("other", "037090000001")
    assert "037090000001" not in ref and ref.startswith("person:")
