"""Intake's adapters: its storage (SQLAlchemy tables and queries) and its gateways to other services (RPC)."""
