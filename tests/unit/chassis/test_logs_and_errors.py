"""Personal data never reaches the logs; typed errors survive the RPC boundary."""

from nameko.exceptions import deserialize, serialize

from services.chassis.errors import InvalidInput, NotFound
from services.chassis.logs import mask_personal_data, mask_text


def test_id_numbers_phones_and_emails_are_masked():
    text = mask_text("công dân 037090000001 gọi 0912345601, thư an.nguyen@example.vn")
    assert "037090000001" not in text and "*********001" in text
    assert "0912345601" not in text
    assert "an.nguyen@example.vn" not in text and "@example.vn" in text


def test_percent_encoded_paths_are_decoded_before_masking():
    # Seen in the gateway log: GET /api/v1/registry/persons/%20037090000001 wrote the whole number.
    for path in ("/api/v1/registry/persons/%20037090000001", "/x?id=%30%33%37090000001", "/p/%2B84912345601"):
        masked = mask_text(path)
        assert "037090000001" not in masked and "0912345601" not in masked and "912345601" not in masked, (
            masked
        )
    assert mask_text("/persons/%20037090000001").endswith("*********001")
    assert mask_text("100% xong") == "100% xong"  # a lone percent sign is left as it is


def test_processor_masks_nested_values_and_secrets():
    out = mask_personal_data(
        None,
        "info",
        {"event": "x", "person": {"id_number": "037090000001"}, "token": "eyJ...", "items": ["001178000004"]},
    )
    assert out["person"]["id_number"] == "*********001"
    assert out["token"] == "***"
    assert out["items"] == ["*********004"]


def test_dossier_codes_are_not_mistaken_for_personal_data():
    code = "000.00.07.H41-261122-0001"
    assert mask_text(code) == code


def test_typed_errors_cross_rpc_with_code_and_details():
    for exc in (
        InvalidInput("invalid_id_number", "Số định danh sai", {"field": "applicant.id_number"}),
        NotFound("person_not_found", "Không thấy"),
    ):
        back = deserialize(serialize(exc))
        assert type(back) is type(exc)
        assert back.code == exc.code and back.details == exc.details and back.message == exc.message


def test_client_errors_are_logged_without_their_traceback_server_errors_with_it():
    import io
    import logging

    from services.chassis.errors import InvalidInput
    from services.chassis.logs import ClientErrorsWithoutTraceback

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ClientErrorsWithoutTraceback())
    log = logging.getLogger("test.nameko.containers")
    log.addHandler(handler)
    log.propagate = False
    try:
        for exc in (InvalidInput("invalid_request", "Thiếu trường"), RuntimeError("boom")):
            try:
                raise exc
            except Exception as caught:  # noqa: BLE001 - what nameko does with an entrypoint's error
                log.warning("(expected) error handling worker: %s", caught, exc_info=True)
    finally:
        log.removeHandler(handler)
    client, server = stream.getvalue().split("(expected)")[1:]
    assert "invalid_request" in client and "Traceback" not in client
    assert "boom" in server and "Traceback" in server
