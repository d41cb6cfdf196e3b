"""nameko dependency providers of the notify service: the mailer (SMTP sessions kept open, one pool per
container) and the templates (compiled once per process)."""

from __future__ import annotations

from nameko.extensions import DependencyProvider

from services.notify.adapters.mailer import Mailer, message_id_domain
from services.notify.adapters.templates import Templates


class MailerProvider(DependencyProvider):
    """SMTP sessions kept open between messages (adapters/mailer.py), one pool per container."""

    def setup(self):
        settings = self.container.config["MOTCUA"]
        message_id_domain(settings)  # a MESSAGE_ID_DOMAIN that cannot stand in a header stops the start
        self.mailer = Mailer(settings.smtp_host, settings.smtp_port)

    def stop(self):
        self.mailer.close()

    def kill(self):
        self.mailer.close()

    def get_dependency(self, worker_ctx):
        return self.mailer


class TemplatesProvider(DependencyProvider):
    def setup(self):
        self.templates = Templates()

    def get_dependency(self, worker_ctx):
        return self.templates
