"""Catalogue search in Vietnamese, with or without diacritics ("xay dung" finds "xây dựng", "dang ky" finds
"đăng ký"), by code and by words. Plain Python.

The procedures' words are folded once, when the catalogue loads, into a sorted vocabulary with the procedures each
word occurs in; a query folds only itself and looks each of its words up as a prefix (bisect), so a request costs
a few lookups whatever the size of the catalogue (thousands of procedures), never a fold of every field.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from services.workflow.domain.catalogue import PUBLISHED, Procedure, order

# Letters whose Vietnamese form is not a base letter plus combining marks (NFD leaves them whole).
_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})
_WORD = re.compile(r"[0-9a-z]+")


def fold(text: str) -> str:
    """Lower case, diacritics removed, đ as d: the form both sides of a search are compared in."""
    decomposed = unicodedata.normalize("NFD", (text or "").translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def words(text: str) -> list[str]:
    """The folded words of a text; a code such as 1.001193 gives 1 and 001193, and also 1001193."""
    folded = fold(text)
    found = _WORD.findall(folded)
    joined = "".join(found) if re.fullmatch(r"[0-9.\-]+", folded.strip() or "x") else ""
    return found + ([joined] if joined and joined not in found else [])


@dataclass
class CatalogueIndex:
    """Search over a catalogue's procedures (objects with code, version, valid_from, name, field,
    competent_levels, online_mode), built once."""

    levels: tuple[str, ...]
    _procedures: dict[tuple[str, int], Procedure] = field(default_factory=dict)
    _versions: dict[str, list[Procedure]] = field(default_factory=dict)
    _vocabulary: list[str] = field(default_factory=list)
    _postings: dict[str, set[tuple[str, int]]] = field(default_factory=dict)
    _fields: dict[str, dict[str, str]] = field(default_factory=dict)  # folded name (vi or en) -> the field

    @classmethod
    def build(cls, procedures: dict[tuple[str, int], Procedure], levels: Iterable[str]) -> CatalogueIndex:
        """The index of the published versions of `procedures` (drafts and withdrawn versions are never found)."""
        index = cls(levels=tuple(levels))
        for key, procedure in procedures.items():
            if procedure.status != PUBLISHED:
                continue
            index._procedures[key] = procedure
            index._versions.setdefault(procedure.code, []).append(procedure)
            text = " ".join([*procedure.name.values(), *(procedure.field or {}).values()])
            for word in words(procedure.code) + words(text):
                index._postings.setdefault(word, set()).add(key)
            for name in (procedure.field or {}).values():
                index._fields[fold(name).strip()] = procedure.field
        for versions in index._versions.values():
            versions.sort(key=order)
        index._vocabulary = sorted(index._postings)
        return index

    def level_of(self, procedure: Procedure) -> str | None:
        """Where the procedure is decided under the model in force: its first competent level that exists."""
        return next((lv for lv in procedure.competent_levels if lv in self.levels), None)

    def in_force(self, on: date) -> list[Procedure]:
        found = []
        for code in sorted(self._versions):
            current = self.current(code, on)
            if current is not None:
                found.append(current)
        return found

    def current(self, code: str, on: date) -> Procedure | None:
        """The version of `code` in force on `on` (catalogue.in_force's rule, from the versions of one code)."""
        current = [p for p in self._versions.get(code, ()) if p.valid_from <= on]
        return current[-1] if current else None

    def fields(self) -> list[dict[str, str]]:
        unique = {id(f): f for f in self._fields.values()}
        return sorted(unique.values(), key=lambda f: f.get("vi", ""))

    def field_named(self, name: str) -> dict[str, str] | None:
        """The field whose Vietnamese or English name is `name`, with or without diacritics."""
        return self._fields.get(fold(name).strip())

    def _matching(self, word: str) -> set[tuple[str, int]]:
        keys: set[tuple[str, int]] = set()
        start = bisect_left(self._vocabulary, word)
        for known in self._vocabulary[start:]:
            if not known.startswith(word):
                break
            keys |= self._postings[known]
        return keys

    def search(
        self,
        on: date,
        q: str = "",
        level: str | None = None,
        field_name: str | None = None,
        online: str | None = None,
    ) -> list[Procedure]:
        """Procedures in force on `on` whose code or words start with every word of `q`, decided at `level`, in
        the field named `field_name`, filed online in mode `online`. Filter values are checked by the caller."""
        wanted: set[tuple[str, int]] | None = None
        for word in dict.fromkeys(words(q)):
            keys = self._matching(word)
            wanted = keys if wanted is None else wanted & keys
            if not wanted:
                return []
        wanted_field = self.field_named(field_name) if field_name else None
        return [
            p
            for p in self.in_force(on)
            if (wanted is None or (p.code, p.version) in wanted)
            and (level is None or self.level_of(p) == level)
            and (wanted_field is None or p.field == wanted_field)
            and (online is None or p.online_mode == online)
        ]
