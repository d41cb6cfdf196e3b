"""The log scanner used after every integration run finds what it should, and only that."""

from devtools.logscan import scan_logs_for_personal_data


def test_scanner_flags_leaks_and_passes_masked_lines(tmp_path):
    (tmp_path / "intake.log").write_text(
        "\n".join(
            [
                '{"event": "dossier_submitted", "applicant": "*********001", "phone": "091****601"}',
                '{"event": "GET /api/v1/dossiers/000.00.07.H41-261122-0001"}',
                '{"event": "oops", "applicant": "037090000001"}',
                '{"event": "call 0912345601"}',
                '{"event": "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIwMzcwOTAwMDAwMDEifQ.sig"}',
            ]
        )
    )
    leaks = scan_logs_for_personal_data(tmp_path)
    assert [leak.split(": ")[1] for leak in leaks] == ["id_number", "phone", "token"]
    assert all(":1:" not in leak and ":2:" not in leak for leak in leaks)
