"""Settings > General Settings > Integrations > Lexware Office, for the current company."""

from odoo import api, fields, models

from ..lexware.categories import CATEGORY_NAMES, DEFAULT_REVENUE_KINDS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    lexware_api_key = fields.Char(
        string="Lexware API Key",
        compute="_compute_lexware_api_key",
        inverse="_inverse_lexware_api_key",
        groups="base.group_system",
    )
    lexware_auto_transfer = fields.Boolean(
        related="company_id.lexware_auto_transfer", readonly=False
    )
    lexware_use_collective_contact = fields.Boolean(
        related="company_id.lexware_use_collective_contact", readonly=False
    )
    lexware_connection_state = fields.Selection(related="company_id.lexware_connection_state")
    lexware_connected = fields.Boolean(related="company_id.lexware_connected")
    lexware_connection_mode = fields.Selection(related="company_id.lexware_connection_mode")
    lexware_organization_name = fields.Char(related="company_id.lexware_organization_name")
    lexware_connected_since = fields.Datetime(related="company_id.lexware_connected_since")
    lexware_connected_by = fields.Many2one(related="company_id.lexware_connected_by")
    lexware_last_error = fields.Char(related="company_id.lexware_last_error")
    lexware_oauth_configured = fields.Boolean(compute="_compute_lexware_oauth_configured")
    lexware_revenue_category = fields.Selection(
        [(kind, CATEGORY_NAMES[kind]) for kind in DEFAULT_REVENUE_KINDS],
        string="Default Revenue Category",
        compute="_compute_lexware_revenue_category",
        readonly=False,
        help="The Lexware Office category for ordinary domestic revenue.",
    )

    @api.depends("company_id")
    def _compute_lexware_api_key(self):
        for settings in self:
            settings.lexware_api_key = settings.company_id.sudo().lexware_connection_id.api_key

    def _inverse_lexware_api_key(self):
        """The key goes to the company's connection, made for it if need be."""
        for settings in self:
            settings.company_id._lexware_connection().api_key = settings.lexware_api_key

    def _compute_lexware_oauth_configured(self):
        configured = self.env["res.company"]._lexware_oauth_configured()
        for settings in self:
            settings.lexware_oauth_configured = configured

    @api.depends("company_id")
    def _compute_lexware_revenue_category(self):
        for settings in self:
            company = settings.company_id
            settings.lexware_revenue_category = next(
                (
                    kind
                    for kind in DEFAULT_REVENUE_KINDS
                    if company.lexware_default_category_id
                    and company._lexware_revenue_category_id(kind)
                    == company.lexware_default_category_id
                ),
                False,
            )

    def set_values(self):
        result = super().set_values()
        for settings in self.filtered("lexware_revenue_category"):
            company = settings.company_id
            category = company._lexware_revenue_category_id(settings.lexware_revenue_category)
            if company.lexware_default_category_id != category:
                company.sudo().lexware_default_category_id = category
        return result

    def action_lexware_connect(self):
        self.ensure_one()
        company = self.env.company
        api_key = self.lexware_api_key if self.env.user.has_group("base.group_system") else None
        action = company._lexware_action_connect(api_key=api_key)
        if isinstance(action, dict):
            return action
        return self._lexware_reload(
            self.env._(
                "Connected to %(organisation)s.", organisation=company.lexware_organization_name
            )
        )

    def action_lexware_disconnect(self):
        self.ensure_one()
        self.env.company._lexware_action_disconnect()
        return self._lexware_reload(self.env._("Disconnected from Lexware Office."))

    def _lexware_reload(self, message):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "message": message,
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "reload"},
            },
        }
