"""The connection's webhook subscriptions: Lexware calls `<base>/lexware/webhook` when a
payment or a voucher's status changes, and when the authorization is revoked.

`token.revoked` is subscribed while connected, the payment events while the company's
payment sync is on. The base is the system parameter `lexware_connector.webhook_url`, else
`web.base.url`; Lexware calls https addresses only, so a plain http `web.base.url` gets no
subscription (the parameter, set on purpose, may name any URL: tests and the demo).

Lexware's list is the truth: each reconciliation reads it once, adopts what is there,
creates what is missing (Lexware drops a subscription whose callback answered 404) and
deletes what is no longer wanted. A failure never fails the connect or the settings: the
polling brings the payments all the same, and `webhook_problem` says what went wrong.
"""

import logging
from urllib.parse import urlsplit

from odoo import fields, models
from odoo.exceptions import UserError

from ..lexware import LexwareError
from ..lexware.subscriptions import PAYMENT_CHANGED, TOKEN_REVOKED, VOUCHER_STATUS_CHANGED
from .lexware_states import CONNECTED

_logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/lexware/webhook"
PAYMENT_EVENTS = (PAYMENT_CHANGED, VOUCHER_STATUS_CHANGED)


# The subscriptions are one concern, kept apart from connecting and from OAuth.
class LexwareConnection(models.Model):
    _inherit = "lexware.connection"  # pylint: disable=consider-merging-classes-inherited

    connection_ref = fields.Char(
        string="Lexware Connection ID",
        copy=False,
        readonly=True,
        help="Lexware's id of this connection (its profile's connectionId); a token.revoked "
        "event names it.",
    )
    subscription_ids = fields.One2many(
        "lexware.event.subscription", "connection_id", string="Lexware Event Subscriptions"
    )
    webhook_problem = fields.Char(
        string="Lexware Webhook Problem",
        copy=False,
        help="Why Lexware does not tell Odoo about payments at once; the polling brings "
        "them all the same.",
    )

    # -- the hooks into connecting and disconnecting --------------------------------------

    def _set_connected(self, mode, profile, client, credentials):
        result = super()._set_connected(mode, profile, client, credentials)
        self.sudo().connection_ref = profile.get("connectionId") or False
        # The client that read the profile: the new credentials are not committed yet.
        self._sync_subscriptions(client)
        return result

    def _action_disconnect(self):
        self.ensure_one()
        self._check_admin()
        self._drop_subscriptions()
        result = super()._action_disconnect()
        self.sudo().write({"connection_ref": False, "webhook_problem": False})
        return result

    # -- what is wanted -------------------------------------------------------------------

    def _webhook_callback(self):
        """(callback URL, problem): the URL Lexware is to call, or None and why not."""
        get = self.env["ir.config_parameter"].sudo().get_param
        explicit = (get("lexware_connector.webhook_url") or "").strip()
        base = explicit or (get("web.base.url") or "").strip()
        if not explicit and urlsplit(base).scheme != "https":
            return None, self.env._(
                "Odoo's address %(url)s is not https, and Lexware calls https addresses only: "
                "payments come back by polling, every 15 minutes.",
                url=base or "?",
            )
        return base.rstrip("/") + WEBHOOK_PATH, None

    def _wanted_events(self):
        self.ensure_one()
        events = [TOKEN_REVOKED]
        if self.company_id.lexware_payment_sync:
            events.extend(PAYMENT_EVENTS)
        return events

    # -- reconciling with Lexware ---------------------------------------------------------

    def _sync_subscriptions(self, client=None):
        """Make Lexware's subscriptions what this connection wants, with one list request
        (through `client`, else the connection's own). Never raises for Lexware's sake: the
        problem is kept in `webhook_problem`."""
        for connection in self.sudo():
            if connection.state != CONNECTED:
                continue
            url, problem = connection._webhook_callback()
            if not url and not connection.subscription_ids:
                connection.webhook_problem = problem
                continue
            wanted = set(connection._wanted_events()) if url else set()
            try:
                connection._reconcile_subscriptions(url, wanted, client)
            except (LexwareError, UserError) as error:
                _logger.warning(
                    "Lexware: company %s: the event subscriptions failed (%s)",
                    connection.company_id.id,
                    type(error).__name__,
                )
                problem = self.env._(
                    "Lexware Office could not be asked to call Odoo when payments change; "
                    "Odoo asks again at the next poll. Meanwhile payments come back by "
                    "polling, every 15 minutes."
                )
            connection.webhook_problem = problem

    def _reconcile_subscriptions(self, url, wanted, client=None):
        self.ensure_one()
        client = client or self._client()
        known = set(self.subscription_ids.mapped("subscription_id"))
        kept = {}
        for subscription in client.list_event_subscriptions():
            ours = subscription.id in known or subscription.callback_url == url
            if not ours:
                continue
            if subscription.callback_url == url and subscription.event_type in wanted:
                kept[subscription.event_type] = subscription
            else:
                client.delete_event_subscription(subscription.id)
        for event_type in sorted(wanted - set(kept)):
            kept[event_type] = client.create_event_subscription(event_type, url)
        self._store_subscriptions(kept.values())

    def _store_subscriptions(self, subscriptions):
        self.ensure_one()
        rows = self.subscription_ids
        current = {(row.event_type, row.subscription_id, row.callback_url) for row in rows}
        wanted = {(s.event_type, s.id, s.callback_url) for s in subscriptions}
        rows.filtered(
            lambda row: (row.event_type, row.subscription_id, row.callback_url) not in wanted
        ).unlink()
        self.env["lexware.event.subscription"].sudo().create(
            [
                {
                    "connection_id": self.id,
                    "event_type": event_type,
                    "subscription_id": subscription_id,
                    "callback_url": callback_url,
                }
                for event_type, subscription_id, callback_url in sorted(wanted - current)
            ]
        )

    def _drop_subscriptions(self):
        """Unsubscribe everything at Lexware before the credentials go; what Lexware cannot
        be asked about now is dropped on its side at the first delivery (answered 404)."""
        connection = self.sudo()
        url, _problem = connection._webhook_callback()
        if connection.state == CONNECTED and (connection.subscription_ids or url):
            try:
                connection._reconcile_subscriptions(url, set())
            except (LexwareError, UserError) as error:
                _logger.warning(
                    "Lexware: company %s: unsubscribing failed (%s)",
                    connection.company_id.id,
                    type(error).__name__,
                )
        connection.subscription_ids.unlink()
