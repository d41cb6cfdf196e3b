"""Safe by default: only an explicit MOTCUA_ENV=local is local mode; unset, empty or unknown values are production."""

from __future__ import annotations

import pytest

from services.chassis import config


@pytest.mark.parametrize("value", [None, "", "production", "Local", "dev", "staging", "locale"])
def test_anything_but_local_is_production(monkeypatch, value):
    monkeypatch.setenv("MOTCUA_APPLICANT_REF_KEY", "test-only")
    if value is None:
        monkeypatch.delenv("MOTCUA_ENV", raising=False)
    else:
        monkeypatch.setenv("MOTCUA_ENV", value)
    settings = config.load("gateway")
    assert settings.env == "production"
    assert not settings.is_local


def test_production_by_default_needs_its_secrets(monkeypatch):
    monkeypatch.delenv("MOTCUA_ENV", raising=False)
    monkeypatch.delenv("MOTCUA_APPLICANT_REF_KEY", raising=False)
    with pytest.raises(RuntimeError, match="MOTCUA_APPLICANT_REF_KEY"):
        config.load("gateway")


def test_explicit_local(monkeypatch):
    monkeypatch.setenv("MOTCUA_ENV", "local")
    monkeypatch.delenv("MOTCUA_APPLICANT_REF_KEY", raising=False)
    assert config.load("gateway").is_local
