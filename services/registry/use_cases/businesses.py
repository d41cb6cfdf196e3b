"""Businesses: the tax code check (domain/business.py) as the registry answers it."""

from __future__ import annotations

from services.chassis.errors import InvalidInput
from services.registry.domain.business import InvalidTaxCode, normalise_tax_code


def check_tax_code(tax_code: str) -> dict:
    """{tax_code} in canonical form, or InvalidInput `invalid_tax_code` with the reason."""
    try:
        return {"tax_code": normalise_tax_code(tax_code)}
    except InvalidTaxCode as exc:
        raise InvalidInput("invalid_tax_code", exc.message, {"reason": exc.reason}) from None
