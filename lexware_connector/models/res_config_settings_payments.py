"""Settings > Integrations > Lexware Office: payments from Lexware."""

from odoo import fields, models


# The payment settings are one concern, kept apart from the connection's.
class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"  # pylint: disable=consider-merging-classes-inherited

    lexware_payment_sync = fields.Boolean(related="company_id.lexware_payment_sync", readonly=False)
    lexware_payment_journal_id = fields.Many2one(
        related="company_id.lexware_payment_journal_id",
        readonly=False,
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', company_id)]",
    )
    lexware_webhook_problem = fields.Char(
        related="company_id.lexware_connection_id.webhook_problem", readonly=True
    )
