"""The procedure catalogue's administration entrypoints, a mixin of WorkflowService (it uses the service's `db`,
`catalogue`, `log`, `_write`): parse, call one use case (use_cases/catalogue_admin.py), answer. Apart from service.py
so the catalogue's administration can grow without pushing the service past its size. docs/catalogue-import.md."""

from __future__ import annotations

from nameko.rpc import rpc
from nameko.timer import timer

from services.chassis.errors import InvalidInput
from services.workflow import schemas
from services.workflow.schemas import load
from services.workflow.use_cases import catalogue_admin


def _code(code: str) -> str:
    if not isinstance(code, str) or schemas.PROCEDURE_CODE.regex.match(code) is None:
        raise InvalidInput("invalid_procedure_code", "Mã thủ tục không hợp lệ.", {"field": "code"})
    return code


def _version(version) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= 100_000:
        raise InvalidInput("invalid_version", "Số phiên bản phải là số nguyên dương.", {"field": "version"})
    return version


class CatalogueAdminRpc:
    @timer(interval=3600, eager=True)
    def seed_catalogue(self):
        """At start (then hourly, a no-op once done): an empty catalogue gets procedures.yaml's versions."""
        catalogue_admin.seed_once(self.db, self.catalogue, self.log)

    @rpc
    def catalogue_import(self, request: dict, actor: dict) -> dict:
        """Import a catalogue file (a province administrator): {content_base64, media_type (text/csv, XLSX,
        application/yaml), file_name, dry_run, publish}. Every row valid: the report (versions created, unchanged
        procedures); else InvalidInput `catalogue_rows_invalid` with every bad row {line, column, problem}, nothing
        written. Raises Forbidden, Conflict (another import committed the same versions first)."""
        body = load(schemas.CatalogueImportRequest, request)
        return self._write(catalogue_admin.import_file, self.catalogue, body, actor)

    @rpc
    def catalogue_procedures(self, request: dict, actor: dict) -> dict:
        """The administrators' list of procedures (drafts too): `q`, `offset`, `limit`; each with the version in
        force and its newest version's status."""
        body = load(schemas.CatalogueListRequest, request)
        return self._write(catalogue_admin.procedures, self.catalogue, body, actor)

    @rpc
    def catalogue_versions(self, code: str, actor: dict) -> dict:
        """Every version of a procedure, newest first, with status, state, dates, content, changes and open
        dossiers. Raises Forbidden, NotFound."""
        return self._write(catalogue_admin.versions, self.catalogue, _code(code), actor)

    @rpc
    def catalogue_publish(self, code: str, version: int, request: dict, actor: dict) -> dict:
        """Publish a version from `effective_from` (default today; a draft's later date kept) or move a scheduled
        one's date. Audited. Raises Forbidden, NotFound, InvalidInput (a past date), Conflict (not publishable)."""
        body = load(schemas.PublishVersionRequest, request)
        return self._write(
            catalogue_admin.publish, self.catalogue, _code(code), _version(version), body, actor
        )

    @rpc
    def catalogue_withdraw(self, code: str, version: int, request: dict, actor: dict) -> dict:
        """Withdraw a version with a `reason`; dossiers filed under it keep it. Audited; idempotent (`changed`)."""
        body = load(schemas.WithdrawVersionRequest, request)
        return self._write(
            catalogue_admin.withdraw, self.catalogue, _code(code), _version(version), body, actor
        )
