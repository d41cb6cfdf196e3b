"""Dossiers as filed, through the entrypoints: later document versions, a citizen's list with its cursor, the
contact for notify, the answer kept for a submission's key."""

import pytest

from services.chassis.errors import Forbidden, InvalidInput, NotFound
from tests.unit.intake.test_service import (
    CITIZEN,
    LAND,
    OTHER_CITIZEN,
    ROUTE_WITH_DOCS,
    _Reply,
    _upload,
    intake_worker,
)

BODY = {"procedure_code": "1.000656", "applicant": {"id_number": "037090000001"}}
UPLOAD_1, UPLOAD_2 = "8a0d5a2e-0000-4000-8000-0000000000b1", "8a0d5a2e-0000-4000-8000-0000000000b2"


@pytest.fixture
def intake():
    return intake_worker()


def test_a_file_sent_later_becomes_the_next_version_once(intake):
    intake.workflow.route.call_async.side_effect = lambda *a: _Reply(ROUTE_WITH_DOCS)
    intake.registry.find_documents.call_async.side_effect = lambda *a: _Reply([LAND])
    code = intake.submit_dossier(
        {**BODY, "procedure_code": "2.000488", "documents": [{"code": "QSDD", "reuse": LAND["id"]}]}, CITIZEN
    )["code"]
    intake.register_upload(_upload(UPLOAD_1, "c" * 64), CITIZEN)
    request = {"documents": [{"code": "QSDD", "upload": UPLOAD_1}]}
    [added] = intake.add_documents(code, request, CITIZEN)["documents"]
    assert (added["code"], added["version"], added["sha256"], added["file_name"]) == (
        "QSDD",
        2,
        "c" * 64,
        f"{UPLOAD_1}.pdf",
    )
    assert intake.add_documents(code, request, CITIZEN)["documents"] == [added]  # a retry adds nothing
    versions = [
        (d["version"], d["current"])
        for d in intake.get_dossier(code, CITIZEN)["documents"]
        if d["code"] == "QSDD"
    ]
    assert versions == [(1, False), (2, True)]
    intake.register_upload(_upload(UPLOAD_2), CITIZEN)
    with pytest.raises(InvalidInput) as refused:
        intake.add_documents(code, {"documents": [{"code": "XYZ", "upload": UPLOAD_2}]}, CITIZEN)
    assert refused.value.code == "documents_invalid" and "XYZ" in refused.value.details["documents"]
    with pytest.raises(NotFound):
        intake.add_documents(code, {"documents": [{"code": "QSDD", "upload": UPLOAD_2}]}, OTHER_CITIZEN)


def test_a_citizen_lists_their_dossiers_newest_first_page_by_page(intake):
    codes = [intake.submit_dossier(BODY, CITIZEN)["code"] for _ in range(3)]
    first = intake.list_dossiers(CITIZEN, limit=2)
    assert [d["code"] for d in first["items"]] == codes[:0:-1] and first["next"]
    rest = intake.list_dossiers(CITIZEN, limit=2, before=first["next"])
    assert [d["code"] for d in rest["items"]] == codes[:1] and rest["next"] is None
    assert intake.list_dossiers(OTHER_CITIZEN)["items"] == []
    with pytest.raises(InvalidInput) as refused:
        intake.list_dossiers(CITIZEN, before="yesterday|X")
    assert refused.value.code == "invalid_cursor"
    with pytest.raises(Forbidden):
        intake.list_dossiers({"subject": "officer-7", "kind": "officer"})


def test_the_contact_and_the_answer_kept_for_a_key(intake):
    code = intake.submit_dossier(BODY, CITIZEN, "key-0002")["code"]
    assert intake.get_contact(code) == {
        "full_name": "Nguyễn Văn An",
        "email": "an@example.vn",
        "phone": "0912345601",
        "language": "vi",
    }
    kept = intake.filed_with_key("key-0002", CITIZEN)
    assert kept["code"] == code and kept["replayed"] is True
    with pytest.raises(NotFound):
        intake.filed_with_key("key-0002", OTHER_CITIZEN)
    with pytest.raises(NotFound):
        intake.get_contact("000.00.07.H41-261207-9999")
