"""Payment adapters: storage (SQLAlchemy), the VNPay gateway client, the fee schedule loader, settings."""
