"""Lexware tells Odoo about payments by signed webhooks: the subscriptions follow the
connection and the payment sync, the controller stores each signed event once, and the
payments cron registers what it says."""

import base64
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from odoo.tests import tagged

from lexware_sandbox.webhooks import sign

from .test_webhooks_common import WebhookCase

ALL_EVENTS = {"payment.changed", "voucher.status.changed", "token.revoked"}


@tagged("post_install", "-at_install")
class TestWebhookSubscriptions(WebhookCase):
    def test_connect_with_payment_sync_subscribes_three_events_and_keeps_their_ids(self):
        subscriptions = self._lexware_subscriptions()
        self.assertEqual(set(subscriptions), ALL_EVENTS)
        self.assertEqual(self._stored_subscriptions(), subscriptions)
        self.assertEqual(
            set(self.connection.subscription_ids.mapped("callback_url")),
            {f"{self.base_url()}/lexware/webhook"},
        )
        self.assertFalse(self.connection.webhook_problem)

    def test_payment_sync_off_keeps_only_token_revoked(self):
        self.company.sudo().lexware_payment_sync = False
        self.assertEqual(set(self._lexware_subscriptions()), {"token.revoked"})
        self.assertEqual(set(self._stored_subscriptions()), {"token.revoked"})

    def test_disconnect_unsubscribes(self):
        self.company.with_user(self.env.ref("base.user_admin"))._lexware_action_disconnect()
        self.assertEqual(self._lexware_subscriptions(), {})
        self.assertFalse(self.connection.subscription_ids)

    def test_plain_http_base_without_the_parameter_subscribes_nothing_and_says_why(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("lexware_connector.webhook_url", False)
        params.set_param("web.base.url", "http://odoo.example.com")
        self.connection._sync_subscriptions()
        self.assertEqual(self._lexware_subscriptions(), {})
        self.assertFalse(self.connection.subscription_ids)
        self.assertIn("https", self.connection.webhook_problem)
        self.assertIn("polling", self.connection.webhook_problem)

    def test_a_refused_subscription_fails_neither_the_settings_nor_the_connection(self):
        self.company.sudo().lexware_payment_sync = False
        self.sandbox.configure(webhook_http_allowed=False)
        self.addCleanup(self.sandbox.configure, webhook_http_allowed=True)
        self.company.sudo().lexware_payment_sync = True
        self.assertTrue(self.company.lexware_payment_sync)
        self.assertTrue(self.company.lexware_connected)
        self.assertIn("polling", self.connection.webhook_problem)
        self.assertEqual(set(self._lexware_subscriptions()), {"token.revoked"})

    def test_the_poll_makes_a_subscription_lexware_dropped_again(self):
        dropped = self._lexware_subscriptions()["payment.changed"]
        key = f"key-{type(self).__name__}-{self._testMethodName}"
        self._delete_at_lexware(dropped, key)
        self._set_poll_due(True)
        self._sync()
        subscriptions = self._lexware_subscriptions()
        self.assertEqual(set(subscriptions), ALL_EVENTS)
        self.assertNotEqual(subscriptions["payment.changed"], dropped)
        self.assertEqual(self._stored_subscriptions(), subscriptions)

    def test_the_poll_keeps_token_revoked_where_the_payment_sync_is_off(self):
        self.company.sudo().lexware_payment_sync = False
        dropped = self._lexware_subscriptions()["token.revoked"]
        key = f"key-{type(self).__name__}-{self._testMethodName}"
        self._delete_at_lexware(dropped, key)
        self._set_poll_due(True)
        self._sync()
        subscriptions = self._lexware_subscriptions()
        self.assertEqual(set(subscriptions), {"token.revoked"})
        self.assertNotEqual(subscriptions["token.revoked"], dropped)
        self.assertEqual(self._stored_subscriptions(), subscriptions)


@tagged("post_install", "-at_install")
class TestWebhookDeliveries(WebhookCase):
    def test_a_payment_in_lexware_is_registered_after_the_cron_ran(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, date="2025-03-20")
        deliveries = self._delivered()
        self.assertEqual({entry["status"] for entry in deliveries}, {200})
        self.assertEqual(set(self._events().mapped("state")), {"new"})
        self.assertTrue(self._events().company_id == self.company)
        self._sync()
        self.assertEqual(move.amount_residual, 0)
        self.assertEqual(move.lexware_voucher_status, "paid")
        self.assertEqual(len(self._registered(move)), 1)
        self.assertEqual(set(self._events().mapped("state")), {"done"})

    def test_a_payment_announced_by_two_events_is_read_once(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, date="2025-03-20")
        self.assertEqual(
            sorted(json.loads(entry["body"])["eventType"] for entry in self._delivered()),
            ["payment.changed", "voucher.status.changed"],
        )
        self.assertEqual(self._sync(), 1, "one read of the voucher's payments for both events")
        self.assertEqual(set(self._events().mapped("state")), {"done"})
        self.assertEqual(len(self._registered(move)), 1)

    def test_the_same_event_twice_is_stored_once_and_paid_once(self):
        move = self._sent()
        self.sandbox.pay(move.lexware_voucher_id, amount=50.0, date="2025-03-20")
        first = self._delivered("payment.changed")[0]
        again = self._deliver(first["body"].encode(), first["signature"])
        self.assertEqual(again.status_code, 200)
        self.assertEqual(
            len(self._events().filtered(lambda e: e.event_type == "payment.changed")), 1
        )
        self._sync()
        self._deliver(first["body"].encode(), first["signature"])
        self._sync()
        self.assertEqual(len(self._registered(move)), 1)
        self.assertAlmostEqual(move.amount_residual, 69.0)

    def test_missing_or_wrong_signature_is_refused_and_stores_nothing(self):
        body = json.dumps(
            {
                "organizationId": self.organization_id,
                "eventType": "payment.changed",
                "resourceId": "a-voucher",
                "eventDate": "2025-03-20T10:00:00.000+01:00",
            }
        ).encode()
        stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = base64.b64encode(stranger.sign(body, padding.PKCS1v15(), hashes.SHA512())).decode()
        self.assertEqual(self._deliver(body).status_code, 401)
        self.assertEqual(self._deliver(body, forged).status_code, 401)
        self.assertEqual(self._deliver(body + b" ", sign(body)).status_code, 401)
        self.assertFalse(self._events())
        self.assertEqual(self._deliver(body, sign(body)).status_code, 200)
        self.assertEqual(len(self._events()), 1)

    def test_signed_bad_json_answers_400_and_an_unknown_organisation_404(self):
        bad = b'{"organizationId": '
        self.assertEqual(self._deliver(bad, sign(bad)).status_code, 400)
        unknown = json.dumps(
            {
                "organizationId": "no-such-organisation",
                "eventType": "payment.changed",
                "resourceId": "a-voucher",
                "eventDate": "2025-03-20T10:00:00.000+01:00",
            }
        ).encode()
        self.assertEqual(self._deliver(unknown, sign(unknown)).status_code, 404)
        self.assertFalse(self.env["lexware.webhook.event"].sudo().search([]))

    def test_token_revoked_asks_the_admins_to_reconnect(self):
        self._connect_oauth(self.company, organization_id=self.organization_id)
        self.assertEqual(self.company.lexware_connection_state, "connected")
        reference = self.connection.connection_ref
        self.assertTrue(reference)
        self.assertFalse(self.connection.webhook_problem)
        self.assertEqual(set(self._lexware_subscriptions()), ALL_EVENTS)
        self.sandbox.revoke_connection(reference)
        revoked = self._delivered("token.revoked")
        self.assertEqual([e["status"] for e in revoked], [200])
        admin = self.env.ref("base.user_admin")
        self._sync()
        self.assertEqual(self.company.lexware_connection_state, "reconnect_needed")
        notification = self.env["mail.notification"].search(
            [("res_partner_id", "=", admin.partner_id.id)], order="id desc", limit=1
        )
        self.assertIn("reconnect", notification.mail_message_id.subject.lower())

    def test_token_revoked_of_a_connection_still_good_leaves_it_connected(self):
        body = json.dumps(
            {
                "organizationId": self.organization_id,
                "eventType": "token.revoked",
                "resourceId": "an-earlier-connection",
                "eventDate": "2025-03-20T10:00:00.000+01:00",
            }
        ).encode()
        self.assertEqual(self._deliver(body, sign(body)).status_code, 200)
        self._sync()
        self.assertEqual(self.company.lexware_connection_state, "connected")
        self.assertEqual(self._events().state, "done")

    def test_events_taken_up_are_cleaned_up_after_a_while(self):
        body = json.dumps(
            {
                "organizationId": self.organization_id,
                "eventType": "payment.changed",
                "resourceId": "a-voucher-odoo-does-not-know",
                "eventDate": "2025-03-20T10:00:00.000+01:00",
            }
        ).encode()
        self._deliver(body, sign(body))
        self._sync()
        event = self._events()
        self.assertEqual(event.state, "done")
        event._gc_taken_up()
        self.assertTrue(event.exists(), "kept a while")
        self.env.cr.execute(
            "UPDATE lexware_webhook_event SET write_date = now() - interval '31 days' "
            "WHERE id = %s",
            [event.id],
        )
        event.invalidate_recordset()
        event._gc_taken_up()
        self.assertFalse(event.exists())
