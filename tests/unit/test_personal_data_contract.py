"""The personal-data contract of the events (protos/motcua/common/v1/options.proto) is enforced by the build: a
personal field on a public event, or a field named like personal data but not marked, stops `make protos`."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from services.chassis.config import REPO_ROOT
from services.chassis.events import EVENTS, exchange_name, is_private, personal_fields, public_view

STATUS_PROTO = "motcua/workflow/v1/events.proto"
ANCHOR = "  bool clock_stopped = 13;\n"
# options.proto: the workflow's protos import it already.
IMPORTS = 'import "motcua/intake/v1/events.proto";\n'


def _build(tmp_path, edit=None) -> subprocess.CompletedProcess:
    protos = tmp_path / "protos"
    shutil.copytree(REPO_ROOT / "protos", protos)
    if edit:
        path = protos / STATUS_PROTO
        text = path.read_text(encoding="utf-8")
        assert ANCHOR in text
        text = text.replace(ANCHOR, ANCHOR + edit).replace(
            'import "motcua/common/v1/metadata.proto";\n',
            'import "motcua/common/v1/metadata.proto";\n' + IMPORTS,
        )
        path.write_text(text, encoding="utf-8")
    return subprocess.run(
        ["make", "-s", "protos", f"PROTO_DIR={protos}", f"GEN={tmp_path / 'gen'}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_protos_as_committed_build(tmp_path):
    result = _build(tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "gen" / "motcua" / "workflow" / "v1" / "events_pb2.py").exists()


def test_a_personal_field_on_a_public_event_fails_the_build(tmp_path):
    result = _build(tmp_path, "  string applicant_note = 14 [(motcua.common.v1.personal) = true];\n")
    assert result.returncode != 0
    assert (
        "motcua.workflow.v1.DossierStatusChanged.applicant_note: personal data on a public event"
        in result.stderr
    )
    assert not (tmp_path / "gen" / ".stamp").exists()  # nothing half-built is left for the next make


def test_a_message_holding_personal_data_on_a_public_event_fails_the_build(tmp_path):
    result = _build(tmp_path, "  motcua.intake.v1.Contact applicant = 14;\n")
    assert (
        result.returncode != 0 and "DossierStatusChanged.applicant.full_name: personal data" in result.stderr
    )


def test_an_unmarked_field_named_like_personal_data_fails_the_build(tmp_path):
    result = _build(tmp_path, "  string applicant_phone = 14;\n")
    assert (
        result.returncode != 0
        and "DossierStatusChanged.applicant_phone: the name says personal data" in result.stderr
    )


def test_public_events_carry_no_personal_field_and_private_ones_go_to_their_own_exchange():
    private = [name for name in EVENTS if is_private(name)]
    # A contact (personal data), and the staff directory's changes (who may work where: the platform's own).
    assert private == ["motcua.intake.v1.ApplicantContactRecorded", "motcua.workflow.v1.StaffMemberChanged"]
    assert personal_fields(EVENTS["motcua.intake.v1.ApplicantContactRecorded"].DESCRIPTOR)
    for name, cls in EVENTS.items():
        if is_private(name):
            assert exchange_name(name).endswith(".private")
        else:
            assert exchange_name(name).endswith(".events") and personal_fields(cls.DESCRIPTOR) == []


@pytest.mark.parametrize(
    "data",
    [
        {
            "dossier_code": "X",
            "contact": {"full_name": "Nguyễn Văn A", "email": "a@example.vn"},
        },  # an old producer's
        {"dossier_code": "X", "contact": {}, "unknown": 1},
    ],
)
def test_public_view_keeps_only_declared_non_personal_fields(data):
    assert public_view("motcua.intake.v1.DossierSubmitted", data) == {"dossier_code": "X"}
    kept = public_view("motcua.intake.v1.ApplicantContactRecorded", data)
    assert kept == {"dossier_code": "X", "contact": {}}
