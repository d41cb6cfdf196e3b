"""Finding dossiers by their applicant for an officer's work queue: the search terms a dossier is indexed under
(each word of the applicant's name without diacritics, the ID number, the contact phone), what an officer's query
asks for, and the masked ID number the queue shows. Plain Python.

Terms carry their kind (`n:` name word, `i:` ID number, `p:` phone) so a 10-digit phone never matches an ID
number. A name query matches dossiers holding every one of its words (whole words, in any order: "van an" finds
"Nguyễn Văn An"); an ID number or a phone matches exactly. Exact terms keep the look-up an index seek on every
database."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_SPECIAL = str.maketrans({"đ": "d", "Đ": "d"})
_WORD = re.compile(r"[0-9a-z]+")
_PHONE_SIGNS = re.compile(r"[\s.\-()+]")
MAX_NAME_WORDS = 6
ID_LENGTH = 12


def fold(text: str) -> str:
    """Lower case, diacritics removed, đ as d."""
    decomposed = unicodedata.normalize("NFD", (text or "").translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def phone_digits(phone: str) -> str:
    """A Vietnamese phone number in its national form (0xxxxxxxxx): +84 / 84 become 0; '' for anything else."""
    digits = _PHONE_SIGNS.sub("", phone or "")
    if not digits.isdigit():
        return ""
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if digits.startswith("0") and 10 <= len(digits) <= 11 else ""


def terms_for(full_name: str, id_number: str, phone: str) -> list[str]:
    """Every term a dossier is found by, without repeats."""
    found = [f"n:{w}" for w in _WORD.findall(fold(full_name))]
    if id_number:
        found.append(f"i:{id_number}")
    if phone_digits(phone):
        found.append(f"p:{phone_digits(phone)}")
    return [t[:100] for t in dict.fromkeys(found)]


@dataclass(frozen=True)
class Query:
    """What an officer's search text asks intake for: `kind` is id_number, phone, name or none (a dossier code
    or anything else workflow matches by code), `terms` must all be found on a dossier."""

    kind: str
    terms: tuple[str, ...]

    @property
    def category(self) -> str:
        """The registry's data category the search touched (what the citizen's access log names)."""
        return "contact" if self.kind == "phone" else "identity"


def parse(text: str) -> Query:
    stripped = (text or "").strip()
    compact = _PHONE_SIGNS.sub("", stripped)
    if compact.isdigit():
        if len(compact) == ID_LENGTH:
            return Query("id_number", (f"i:{compact}",))
        phone = phone_digits(stripped)
        return Query("phone", (f"p:{phone}",)) if phone else Query("none", ())
    if any(c.isdigit() for c in stripped):
        return Query("none", ())  # a dossier code, or a piece of one: workflow matches codes
    words = list(dict.fromkeys(_WORD.findall(fold(stripped))))
    if not words or len(words) > MAX_NAME_WORDS:
        return Query("none", ())
    return Query("name", tuple(f"n:{w}" for w in words))


def masked_id(id_number: str) -> str:
    """The ID number as the queue shows it: only the last four digits (********0001)."""
    if len(id_number or "") <= 4:
        return "*" * len(id_number or "")
    return "*" * (len(id_number) - 4) + id_number[-4:]
