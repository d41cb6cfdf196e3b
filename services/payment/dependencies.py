"""nameko dependency providers of the payment service: the fee schedules (loaded once per container) and the
payment gateway client."""

from __future__ import annotations

from nameko.extensions import DependencyProvider

from services.payment.adapters import settings
from services.payment.adapters.fee_book import FeeBook
from services.payment.adapters.fees import load_schedules
from services.payment.adapters.gateway import VnpayGateway


class Schedules(DependencyProvider):
    """The fee schedules: the database's (adapters/fee_book.py), seeded at first use from MOTCUA_FEES_FILE (default
    services/payment/data/fees.yaml); a broken file stops the start, naming the file and the place."""

    def setup(self):
        self.book = FeeBook(load_schedules(settings.fees_file()))

    def get_dependency(self, worker_ctx):
        return self.book


class GatewayProvider(DependencyProvider):
    """The VNPay client, configured from the environment at start (adapters/settings.py)."""

    def setup(self):
        motcua = self.container.config["MOTCUA"]
        self.gateway = VnpayGateway.from_settings(settings.vnpay(motcua.is_local, motcua.public_url))

    def get_dependency(self, worker_ctx):
        return self.gateway
