"""The registry's adapters: its storage (SQLAlchemy tables and queries)."""
