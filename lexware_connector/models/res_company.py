"""A company's Lexware Office settings, and what it shows of its connection.

The connection itself (mode, organisation, key and tokens, OAuth, the client) is the
company's `lexware.connection` row. The company keeps the business settings (auto transfer,
default category, collective contact), the connection state as a stored column (the
transfer queue's SQL filters on it) and, as related fields, the connection's public facts
under the names other code knows. The `_lexware_*` methods below that concern the
connection are doors to it.
"""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..lexware.categories import CATEGORY_NAMES, DOCUMENTED_IDS, resolve_categories
from .lexware_states import CONNECTION_STATES, DISCONNECTED, is_connected

# Company fields that are the connection's, written through to its row.
CONNECTION_FIELDS = frozenset(
    {
        "lexware_connection_mode",
        "lexware_organization_id",
        "lexware_organization_name",
        "lexware_last_error",
        "lexware_small_business",
        "lexware_posting_categories",
        "lexware_repeated_items_refused",
        "lexware_tax_tolerance",
    }
)


class ResCompany(models.Model):
    _inherit = "res.company"

    # The business settings.
    lexware_auto_transfer = fields.Boolean(
        string="Transfer Invoices to Lexware Automatically", copy=False
    )
    lexware_default_category_id = fields.Char(string="Default Lexware Revenue Category", copy=False)
    lexware_use_collective_contact = fields.Boolean(
        string="Book Private Customers on Lexware's Collective Contact"
    )

    # The connection.
    lexware_connection_ids = fields.One2many(
        "lexware.connection",
        "company_id",
        string="Lexware Connection Records",
        groups="base.group_system",
    )
    lexware_connection_id = fields.Many2one(
        "lexware.connection",
        string="Lexware Connection Record",
        compute="_compute_lexware_connection_id",
        search="_search_lexware_connection_id",
        compute_sudo=True,
        groups="base.group_system",
    )
    lexware_connection_state = fields.Selection(
        CONNECTION_STATES,
        string="Lexware Connection",
        compute="_compute_lexware_connection_state",
        inverse="_inverse_lexware_connection_state",
        store=True,
        copy=False,
    )
    lexware_connected = fields.Boolean(
        string="Connected to Lexware Office",
        compute="_compute_lexware_connected",
        store=True,
        help="False while the connection is lost and needs the admin to reconnect; "
        "the auto transfer switch keeps its value meanwhile.",
    )
    lexware_connection_mode = fields.Selection(related="lexware_connection_id.mode", readonly=False)
    lexware_organization_id = fields.Char(
        related="lexware_connection_id.organization_id", readonly=False
    )
    lexware_organization_name = fields.Char(
        related="lexware_connection_id.organization_name", readonly=False
    )
    lexware_connected_since = fields.Datetime(related="lexware_connection_id.connected_since")
    lexware_connected_by = fields.Many2one(related="lexware_connection_id.connected_by")
    lexware_last_error = fields.Char(related="lexware_connection_id.last_error", readonly=False)
    lexware_small_business = fields.Boolean(
        related="lexware_connection_id.small_business", readonly=False
    )
    lexware_posting_categories = fields.Text(
        related="lexware_connection_id.posting_categories", readonly=False
    )
    lexware_repeated_items_refused = fields.Datetime(
        related="lexware_connection_id.repeated_items_refused", readonly=False
    )
    lexware_tax_tolerance = fields.Selection(
        related="lexware_connection_id.tax_tolerance", readonly=False
    )

    @api.depends("lexware_connection_ids")
    def _compute_lexware_connection_id(self):
        for company in self:
            company.lexware_connection_id = company.lexware_connection_ids[:1]

    def _search_lexware_connection_id(self, operator, value):
        return [("lexware_connection_ids", operator, value)]

    @api.depends("lexware_connection_ids.state")
    def _compute_lexware_connection_state(self):
        for company in self:
            company.lexware_connection_state = (
                company.lexware_connection_ids[:1].state or DISCONNECTED
            )

    def _inverse_lexware_connection_state(self):
        for company in self:
            company._lexware_connection().sudo().state = (
                company.lexware_connection_state or DISCONNECTED
            )

    @api.depends("lexware_connection_state")
    def _compute_lexware_connected(self):
        for company in self:
            company.lexware_connected = is_connected(company)

    def _lexware_connection(self):
        """The company's connection row, made on first use; in the caller's environment."""
        self.ensure_one()
        connection = self.sudo().lexware_connection_ids[:1]
        if not connection:
            connection = self.env["lexware.connection"].sudo().create({"company_id": self.id})
            self.sudo().invalidate_recordset(["lexware_connection_ids", "lexware_connection_id"])
        return connection.with_env(self.env)

    # -- who may write the settings -------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._lexware_check_settings_writer(vals)
        # The connection's values go to its row, which exists once the company does.
        connection_values = [
            {name: vals.pop(name) for name in CONNECTION_FIELDS & vals.keys()} for vals in vals_list
        ]
        companies = super().create(vals_list)
        for company, values in zip(companies, connection_values, strict=True):
            if values:
                company.write(values)
        return companies

    def write(self, vals):
        self._lexware_check_settings_writer(vals)
        if CONNECTION_FIELDS & vals.keys():
            for company in self:
                company._lexware_connection()
        return super().write(vals)

    def _lexware_check_settings_writer(self, vals):
        """The connection and its switches are the administrators' (through the settings)
        and the connector's (with sudo): written by anyone else they could point the
        company at another organisation, or mark it connected when it is not."""
        names = sorted(name for name in vals if name.startswith("lexware_"))
        if names and not self.env.su and not self.env.user.has_group("base.group_system"):
            raise AccessError(
                self.env._(
                    "Only administrators can change the Lexware Office settings of a company "
                    "(%(fields)s).",
                    fields=", ".join(names),
                )
            )

    # -- doors to the connection ----------------------------------------------------------

    @api.model
    def _lexware_oauth_configured(self):
        return self.env["lexware.connection"]._oauth_configured()

    def _lexware_action_connect(self, api_key=None):
        return self._lexware_connection()._action_connect(api_key=api_key)

    def _lexware_action_disconnect(self):
        return self._lexware_connection()._action_disconnect()

    @api.model
    def _lexware_company_for_state(self, state):
        """The company whose pending OAuth state `state` is, for the current user; or None."""
        connection = self.env["lexware.connection"]._for_oauth_state(state)
        if not connection:
            return None
        return connection.company_id.with_env(connection.env)

    def _lexware_finish_oauth(self, code):
        return self._lexware_connection()._finish_oauth(code)

    def _lexware_client(self):
        return self._lexware_connection()._client()

    def _lexware_authorization_lost(self, reason=None, verify=True):
        connections = self.sudo().lexware_connection_ids.with_env(self.env)
        return connections._authorization_lost(reason, verify=verify)

    def _lexware_access_denied(self, error):
        return self._lexware_connection()._access_denied(error)

    def _lexware_still_authorized(self):
        return self._lexware_connection()._still_authorized()

    def _lexware_notify_admins(self, problem=None):
        return self._lexware_connection()._notify_admins(problem)

    def _lexware_refresh_posting_categories(self):
        return self._lexware_connection()._refresh_posting_categories()

    # -- posting categories ---------------------------------------------------------------

    def _lexware_posting_category_list(self):
        self.ensure_one()
        connection = self.sudo().lexware_connection_id
        return connection._posting_category_list() if connection else []

    def _lexware_resolved_categories(self):
        """kind -> category id, from the connection's cached posting categories."""
        return resolve_categories(self._lexware_posting_category_list())

    def _lexware_revenue_category_id(self, kind):
        """The id of a default revenue kind: as Lexware answered it, else as documented."""
        return self._lexware_resolved_categories().get(kind) or DOCUMENTED_IDS[kind]

    def _lexware_default_category_on_connect(self):
        """A new connection gives the company a default revenue category, if it has none."""
        self.ensure_one()
        if not self.lexware_default_category_id:
            category = self._lexware_revenue_category_id("revenue_general")
            if category:
                self.sudo().lexware_default_category_id = category

    def _lexware_category(self, kind):
        """The Lexware category id for `kind`; UserError naming the missing category."""
        self.ensure_one()
        if kind == "revenue" and self.lexware_default_category_id:
            return self.lexware_default_category_id
        lookup = "revenue_general" if kind == "revenue" else kind
        category = self._lexware_resolved_categories().get(lookup)
        if not category:
            raise UserError(
                self.env._(
                    "The Lexware Office organisation of %(company)s offers no posting "
                    "category “%(category)s”. Check the categories in Lexware Office, then "
                    "connect again to reload them.",
                    company=self.name,
                    category=CATEGORY_NAMES.get(lookup, lookup),
                )
            )
        return category
