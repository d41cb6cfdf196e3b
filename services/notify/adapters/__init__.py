"""Notify adapters: storage (SQLAlchemy), the mailer (SMTP), the SMS/Zalo provider client, the webhook HTTP
client (pinned to checked addresses), target checks (DNS), templates (files, Jinja2) and settings."""
