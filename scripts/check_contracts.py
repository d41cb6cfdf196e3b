"""Refuse event contracts that would let personal data reach agencies: run by the build right after protoc.

    python scripts/check_contracts.py [GEN_DIR]     # default .build/gen; exit 1 with one line per violation

Rules (the personal-data contract, protos/motcua/common/v1/options.proto):
- a public event (no `audience` option, or AUDIENCE_PUBLIC) carries no field marked `personal`, directly or in a
  nested message;
- a field whose name says it holds personal data (an ID number, a name, an e-mail address, a phone number, an
  address, a birth date) is marked `personal`, wherever it is: an unmarked one would slip past the first rule.
An event is a message whose `metadata` field is motcua.common.v1.EventMetadata.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

PERSONAL_NAMES = (
    "id_number",
    "full_name",
    "email",
    "phone",
    "address",
    "birth_date",
    "date_of_birth",
    "applicant_name",
    "payer_name",
)


def _modules(gen: Path) -> list:
    sys.path.insert(0, str(gen))
    names = sorted(
        ".".join(p.relative_to(gen).with_suffix("").parts) for p in (gen / "motcua").rglob("*_pb2.py")
    )
    return [importlib.import_module(name) for name in names]


def _messages(descriptor):
    yield descriptor
    for nested in descriptor.nested_types:
        yield from _messages(nested)


def _is_event(message) -> bool:
    meta = message.fields_by_name.get("metadata")
    return (
        meta is not None
        and meta.message_type is not None
        and meta.message_type.full_name == "motcua.common.v1.EventMetadata"
    )


def violations(gen: Path) -> list[str]:
    modules = _modules(gen)
    options = importlib.import_module("motcua.common.v1.options_pb2")
    personal, audience = options.personal, options.audience

    def marked(field) -> bool:
        return field.GetOptions().Extensions[personal]

    def personal_paths(descriptor, prefix: str, seen: frozenset) -> list[str]:
        found = []
        for field in descriptor.fields:
            if marked(field):
                found.append(prefix + field.name)
            elif field.message_type is not None and field.message_type.full_name not in seen:
                found += personal_paths(
                    field.message_type, f"{prefix}{field.name}.", seen | {descriptor.full_name}
                )
        return found

    problems = []
    for module in modules:
        for top in module.DESCRIPTOR.message_types_by_name.values():
            problems += [
                f"{m.full_name}.{f.name}: the name says personal data; mark it "
                "[(motcua.common.v1.personal) = true]"
                for m in _messages(top)
                for f in m.fields
                if not marked(f) and any(word in f.name for word in PERSONAL_NAMES)
            ]
            if _is_event(top) and top.GetOptions().Extensions[audience] != options.AUDIENCE_PRIVATE:
                problems += [
                    f"{top.full_name}.{path}: personal data on a public event; public events name "
                    "people only by applicant_ref (move it to a private event)"
                    for path in personal_paths(top, "", frozenset())
                ]
    return problems


def main(argv: list[str]) -> int:
    gen = Path(argv[0] if argv else ".build/gen").resolve()
    problems = violations(gen)
    for line in problems:
        print(f"contract: {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
