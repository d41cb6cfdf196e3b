"""The OpenAPI document names the Idempotency-Key header on every create that honours it."""

from services.chassis.idempotency import MAX_KEY_LENGTH
from services.gateway import openapi
from services.gateway.service import GatewayService  # noqa: F401 - declaring the routes fills openapi.ROUTES

CREATES = [
    "/api/v1/dossiers",
    "/api/v1/dossiers/{code}/refunds",
    "/api/v1/dossiers/{code}/payment",
    "/api/v1/me/consents",
    "/api/v1/subscriptions",
    "/api/v1/drafts",
    "/api/v1/uploads",
]


def test_every_idempotent_create_documents_the_header_and_the_replay():
    paths = openapi.build()["paths"]
    for path in CREATES:
        operation = paths[path]["post"]
        [header] = [p for p in operation["parameters"] if p["in"] == "header"]
        assert header["name"] == "Idempotency-Key" and header["required"] is False, path
        assert header["schema"]["maxLength"] == MAX_KEY_LENGTH, path
        assert set(operation["responses"]) >= {"200", "201"}, path
        assert "Idempotency-Key" in operation["description"], path
    action = paths["/api/v1/dossiers/{code}/actions"]["post"]
    assert [p["name"] for p in action["parameters"] if p["in"] == "header"] == ["Idempotency-Key"]
    assert not [
        p for p in paths["/api/v1/dossiers/{code}/rating"]["post"]["parameters"] if p["in"] == "header"
    ]


def test_the_action_is_any_name_the_process_definition_decides():
    """No list of actions in the gateway: the document says the dossier's process definition decides."""
    document = openapi.build()
    body = document["paths"]["/api/v1/dossiers/{code}/actions"]["post"]["requestBody"]["content"]
    schema = body["application/json"]["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    action = schema["properties"]["action"]
    assert "enum" not in action and action["type"] == "string" and action["maxLength"] == 64
    assert "process definition" in action["description"] and "422" in action["description"]
