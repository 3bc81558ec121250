"""Lexware's event subscriptions of a connection, as Odoo keeps them: one row per event type.

A row says Lexware calls `callback_url` for `event_type` under the subscription
`subscription_id`. The rows are what Odoo believes; Lexware's list is the truth, read at
connect, at every regular payment poll and when the payment sync is switched (see
`lexware_connection_subscriptions.py`).
"""

from odoo import fields, models


class LexwareEventSubscription(models.Model):
    _name = "lexware.event.subscription"
    _description = "Lexware Office Event Subscription"
    _rec_name = "event_type"

    connection_id = fields.Many2one(
        "lexware.connection", required=True, readonly=True, ondelete="cascade", index=True
    )
    event_type = fields.Char(string="Lexware Event", required=True, readonly=True)
    subscription_id = fields.Char(string="Lexware Subscription ID", required=True, readonly=True)
    callback_url = fields.Char(string="Callback URL", required=True, readonly=True)

    _sql_constraints = [
        (
            "event_uniq",
            "unique(connection_id, event_type)",
            "A connection subscribes to each Lexware event once.",
        ),
    ]
