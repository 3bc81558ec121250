"""Lexware's webhook deliveries, as Odoo receives and takes them up.

Receiving (`_lexware_receive`, called by the controller with sudo): the signature is
checked over the raw body, the event stored once (a delivery Lexware sends again, because
an answer was lost, finds its row and changes nothing) and the payments cron woken. Lexware
is never called while it waits for the answer.

Taking up (`_lexware_take_up_pending`, by the payments cron): a voucher's payment or status
changed, so its payments are read and registered as the polling does; `token.revoked`
(of this connection) loses the authorization, as a refused transfer does. A row is taken up
once and kept `KEEP_DAYS`, then the autovacuum removes it. The row holds Lexware's four
fields and the company: nothing secret.
"""

import datetime
import logging

from psycopg2 import IntegrityError

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lexware.errors import LexwareAuthError, LexwareError, LexwareRetryableError
from ..lexware.subscriptions import (
    PAYMENT_CHANGED,
    TOKEN_REVOKED,
    VOUCHER_CHANGED,
    VOUCHER_STATUS_CHANGED,
)
from ..lexware.webhook import (
    MAX_BODY,
    WebhookEventError,
    WebhookKeyError,
    lexware_public_key_pem,
    parse_event,
    verify_signature,
)
from .lexware_states import LINKED_STATES

_logger = logging.getLogger(__name__)

VOUCHER_EVENTS = (PAYMENT_CHANGED, VOUCHER_STATUS_CHANGED, VOUCHER_CHANGED)
KEEP_DAYS = 30
# Events taken up per pass of the cron; the rest in the next pass.
BATCH = 200
RETRY_DELAY = datetime.timedelta(minutes=1)


class LexwareWebhookEvent(models.Model):
    _name = "lexware.webhook.event"
    _description = "Lexware Office Event"
    _order = "id desc"
    _rec_name = "event_type"

    organization_id = fields.Char(string="Lexware Organisation ID", required=True, readonly=True)
    event_type = fields.Char(string="Lexware Event", required=True, readonly=True)
    resource_id = fields.Char(string="Lexware Resource ID", required=True, readonly=True)
    event_date = fields.Datetime(required=True, readonly=True)
    # The event's moment as Lexware sent it, to the fraction of a second: its identity.
    event_stamp = fields.Char(required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    state = fields.Selection(
        [("new", "To Take Up"), ("done", "Taken Up")],
        default="new",
        required=True,
        readonly=True,
        index=True,
    )

    _sql_constraints = [
        (
            "event_uniq",
            "unique(organization_id, event_type, resource_id, event_stamp)",
            "Each Lexware event is stored once.",
        ),
    ]

    # -- receiving ------------------------------------------------------------------------

    @api.model
    def _lexware_receive(self, raw_body, signature):
        """Check and store one delivery; answers the HTTP status for Lexware.

        401: no or a wrong signature. 400: signed, but not an event. 404: no company is
        linked to the organisation (Lexware then drops the subscription, which only a
        disconnected company's leftovers can be; a connected one's is made again by the
        next poll). 200: stored, or stored before.
        """
        if len(raw_body) > MAX_BODY:
            return 413
        try:
            valid = verify_signature(raw_body, signature, self._lexware_public_key())
        except WebhookKeyError as error:
            _logger.error("Lexware: the webhook public key is unusable: %s", error)
            return 500
        if not valid:
            _logger.warning("Lexware: a webhook delivery without a valid signature, refused")
            return 401
        try:
            event = parse_event(raw_body)
        except WebhookEventError as error:
            _logger.warning("Lexware: a signed webhook delivery is no event: %s", error)
            return 400
        connection = self.env["lexware.connection"].search(
            [("organization_id", "=", event.organization_id), ("state", "in", LINKED_STATES)],
            limit=1,
        )
        if not connection:
            _logger.info("Lexware: an event of an organisation no company is linked to")
            return 404
        self._lexware_store(event, connection.company_id)
        return 200

    @api.model
    def _lexware_public_key(self):
        key = self.env["ir.config_parameter"].get_param("lexware_connector.webhook_public_key")
        return key or lexware_public_key_pem()

    @api.model
    def _lexware_store(self, event, company):
        values = {
            "organization_id": event.organization_id,
            "event_type": event.event_type,
            "resource_id": event.resource_id,
            "event_stamp": event.event_date.isoformat(),
        }
        if self.search_count([(name, "=", value) for name, value in values.items()], limit=1):
            return
        moment = event.event_date.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        try:
            with self.env.cr.savepoint():
                self.create({**values, "event_date": moment, "company_id": company.id})
        except IntegrityError:
            # The same delivery, received at the same moment by another worker.
            return
        self.env["lexware.payment.sync"]._lexware_trigger()

    # -- taking up ------------------------------------------------------------------------

    @api.model
    def _lexware_take_up_pending(self, clock):
        """Take up the stored events, oldest first, each committed on its own; answers
        (whether any was taken up, whether all were)."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT id FROM lexware_webhook_event WHERE state = 'new' ORDER BY id LIMIT %s",
            [BATCH],
        )
        event_ids = [row[0] for row in self.env.cr.fetchall()]
        sync = self.env["lexware.payment.sync"]
        taken = False
        for event_id in event_ids:
            deadline = clock.row_deadline()
            if deadline is None:
                return taken, False
            event = self._lexware_claim(event_id)
            if event:
                event._lexware_take_up(deadline)
                taken = True
                sync._lexware_commit()
        return taken, len(event_ids) < BATCH

    @api.model
    def _lexware_claim(self, event_id):
        """The event, locked for this transaction, if still to take up and not held by
        another worker."""
        self.env.cr.execute(
            "SELECT id FROM lexware_webhook_event WHERE id = %s AND state = 'new' "
            "FOR UPDATE SKIP LOCKED",
            [event_id],
        )
        if not self.env.cr.fetchone():
            return self.browse()
        event = self.browse(event_id)
        event.invalidate_recordset()
        return event

    def _lexware_take_up(self, deadline):
        self.ensure_one()
        company = self.company_id
        try:
            if self.event_type == TOKEN_REVOKED:
                self._lexware_token_revoked()
            elif self.event_type in VOUCHER_EVENTS and company.lexware_payment_sync:
                self._lexware_voucher_event(deadline)
        except LexwareRetryableError as error:
            # Lexware is busy or unwell: the event stays, and is taken up again soon.
            _logger.info("Lexware: event %s waits: %s", self.id, type(error).__name__)
            self.env["lexware.payment.sync"]._lexware_trigger(
                at=fields.Datetime.now() + RETRY_DELAY
            )
            return
        except LexwareAuthError as error:
            company._lexware_authorization_lost(error)
        except (LexwareError, UserError) as error:
            # The polling sees the voucher's change all the same.
            _logger.warning("Lexware: event %s not taken up: %s", self.id, error)
        self.state = "done"

    def _lexware_voucher_event(self, deadline):
        company = self.company_id
        if not company.lexware_connected:
            return
        # Lexware announces one payment twice (payment.changed, voucher.status.changed):
        # one read of the voucher answers every event of it stored so far.
        same_voucher = self._lexware_same_voucher_pending()
        client = company._lexware_client()
        client.set_deadline(deadline)
        try:
            self.env["lexware.payment.sync"]._lexware_voucher_changed(
                company, self.resource_id, client=client
            )
        finally:
            client.set_deadline(None)
        same_voucher.state = "done"

    def _lexware_same_voucher_pending(self):
        """The other stored events of this voucher, locked, unless another worker has them."""
        self.env.cr.execute(
            "SELECT id FROM lexware_webhook_event WHERE state = 'new' AND id != %s "
            "AND company_id = %s AND resource_id = %s AND event_type IN %s "
            "FOR UPDATE SKIP LOCKED",
            [self.id, self.company_id.id, self.resource_id, tuple(VOUCHER_EVENTS)],
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _lexware_token_revoked(self):
        """Lexware revoked a connection of the organisation. Not this one's when it names
        another: Odoo revokes the authorization it replaces at every connect. The stored
        credentials are tried once more, as for any refused credential."""
        connection = self.company_id._lexware_connection().sudo()
        if connection.connection_ref and connection.connection_ref != self.resource_id:
            return
        self.company_id._lexware_authorization_lost(verify=True)

    # -- cleaning up ----------------------------------------------------------------------

    @api.autovacuum
    def _gc_taken_up(self):
        limit = fields.Datetime.now() - datetime.timedelta(days=KEEP_DAYS)
        self.search([("state", "=", "done"), ("write_date", "<", limit)]).unlink()
