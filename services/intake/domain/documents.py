"""Which document satisfies which requirement: the once-only rule in plain Python.

A `form` requirement is the online form itself. A `document` requirement is met by exactly one choice: a
registry document of the right type owned by the applicant and still valid (reuse), or an upload of the
submitter's. Anything missing, doubled or foreign is refused with the reason per requirement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Requirement = Mapping[str, Any]  # {code, kind: form | document, ...} from the procedure definition (workflow)


@dataclass(frozen=True)
class Resolved:
    requirement_code: str
    source: str  # reused | uploaded | form
    registry_document_id: str | None = None
    upload_id: str | None = None
    sha256: str = ""


def wanted(requirements: Sequence[Requirement]) -> list[str]:
    """The codes of the documents (not forms) a procedure asks for: what to look for in the registry."""
    return [r["code"] for r in requirements if r.get("kind") == "document"]


def resolve(
    requirements: Sequence[Requirement],
    choices: Sequence[Mapping[str, Any]],
    reusable: Mapping[str, Mapping[str, Any]],
    uploads: Mapping[str, Mapping[str, Any]],
) -> tuple[list[Resolved], dict[str, str]]:
    """(what satisfies each requirement, errors by requirement code).

    `reusable`: registry document id → document (already filtered to the applicant's valid ones);
    `uploads`: upload id → upload (already filtered to the submitter's unused ones)."""
    by_code: dict[str, list[Mapping[str, Any]]] = {}
    for choice in choices:
        by_code.setdefault(choice["code"], []).append(choice)
    known = {r["code"] for r in requirements}
    errors: dict[str, str] = {
        code: "Thành phần này không thuộc thủ tục." for code in by_code if code not in known
    }
    resolved: list[Resolved] = []
    for requirement in requirements:
        code = requirement["code"]
        picked = by_code.get(code, [])
        if requirement.get("kind") == "form":
            resolved.append(Resolved(code, "form"))
            continue
        if len(picked) != 1 or bool(picked[0].get("reuse")) == bool(picked[0].get("upload")):
            errors[code] = "Cần đúng một lựa chọn: dùng lại giấy tờ đã có (reuse) hoặc tải lên (upload)."
            continue
        choice = picked[0]
        if choice.get("reuse"):
            document = reusable.get(choice["reuse"])
            if document is None or document["doc_type"] != code:
                errors[code] = (
                    "Giấy tờ dùng lại không có trong kho dữ liệu của người nộp hoặc đã hết hiệu lực."
                )
                continue
            resolved.append(
                Resolved(code, "reused", registry_document_id=document["id"], sha256=document["sha256"])
            )
        else:
            upload = uploads.get(choice["upload"])
            if upload is None:
                errors[code] = "Tệp tải lên không tồn tại, không phải của bạn hoặc đã được dùng."
                continue
            resolved.append(Resolved(code, "uploaded", upload_id=upload["id"], sha256=upload["sha256"]))
    return resolved, errors
