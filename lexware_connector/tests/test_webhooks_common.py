"""Shared setup for the webhook tests: the payment sync case over Odoo's test HTTP server,
which the sandbox delivers its signed events to (http allowed, no retries), with the
sandbox's public key configured in place of Lexware's."""

import datetime
import json

import requests

from odoo import fields
from odoo.tests import HttpCase

from .common import SANDBOX_API_KEY
from .test_payments_common import PaymentsCase


class WebhookCase(PaymentsCase, HttpCase):
    @classmethod
    def _start_sandbox(cls):
        result = super()._start_sandbox()
        cls.sandbox.configure(webhook_http_allowed=True, webhook_retries=0)
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("lexware_connector.webhook_url", cls.base_url())
        params.set_param("lexware_connector.webhook_public_key", cls.sandbox.webhook_public_key())
        return result

    def setUp(self):
        super().setUp()
        # The regular poll is not due: what a run does, the events did.
        self._set_poll_due(False)

    def _set_poll_due(self, due):
        cron = self.env.ref("lexware_connector.ir_cron_lexware_payments").sudo()
        hour = datetime.timedelta(hours=1)
        cron.nextcall = fields.Datetime.now() + (-hour if due else hour)

    @property
    def connection(self):
        return self.company.lexware_connection_id.sudo()

    def _lexware_subscriptions(self, organization_id=None):
        """{event type: subscription id} of the organisation, as the sandbox holds them."""
        organization_id = organization_id or self.organization_id
        return {
            item["eventType"]: item["subscriptionId"]
            for item in self.sandbox.event_subscriptions()
            if item["organizationId"] == organization_id
        }

    def _stored_subscriptions(self):
        return {row.event_type: row.subscription_id for row in self.connection.subscription_ids}

    def _delivered(self, event_type=None):
        """Wait for the sandbox's deliveries; answer those of this test's organisation
        (of `event_type`), oldest first."""
        self.assertTrue(self.sandbox.wait_for_deliveries(30))
        return [
            entry
            for entry in self.sandbox.webhook_deliveries()
            if json.loads(entry["body"])["organizationId"] == self.organization_id
            and event_type in (None, json.loads(entry["body"])["eventType"])
        ]

    def _events(self):
        return (
            self.env["lexware.webhook.event"]
            .sudo()
            .search([("organization_id", "=", self.organization_id)])
        )

    def _deliver(self, raw, signature=None):
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-Lxo-Signature"] = signature
        return self.url_open("/lexware/webhook", data=raw, headers=headers)

    def _delete_at_lexware(self, subscription_id, api_key):
        answer = requests.delete(
            f"{self.sandbox.url}/v1/event-subscriptions/{subscription_id}",
            headers={"Authorization": f"Bearer {api_key or SANDBOX_API_KEY}"},
            timeout=10,
        )
        self.assertEqual(answer.status_code, 204)
