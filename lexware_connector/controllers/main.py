import logging

from werkzeug.exceptions import Forbidden

from odoo import http
from odoo.exceptions import UserError
from odoo.http import request

_logger = logging.getLogger(__name__)

SETTINGS_URL = "/odoo/settings#lexware"


class LexwareOAuthController(http.Controller):
    @http.route("/lexware/oauth/callback", type="http", auth="user", methods=["GET"])
    def lexware_oauth_callback(self, code=None, state=None, error=None, **kwargs):
        """Where Lexware sends the admin back after the consent page.

        The state carries a single-use CSRF token bound to a company and to this user; it is
        checked in constant time before anything else happens.
        """
        if not request.env.user.has_group("base.group_system"):
            _logger.warning("Lexware: a non-admin user reached the OAuth callback")
            raise Forbidden()
        connection = request.env["lexware.connection"]._for_oauth_state(state)
        if not connection:
            _logger.warning("Lexware: OAuth callback with an unknown, used or expired state")
            raise Forbidden()
        if error or not code:
            if error == "access_denied":
                message = request.env._(
                    "You did not allow Odoo to access Lexware Office, so the company was "
                    "not connected. Click Connect to try again."
                )
            else:
                message = request.env._(
                    "Lexware Office did not authorize the connection. Please try again."
                )
            connection.sudo().last_error = message
            return request.redirect(SETTINGS_URL, local=True)
        try:
            with request.env.cr.savepoint():
                connection._finish_oauth(code)
        except UserError as exc:
            # The state stays used up; only the half-done connection is undone.
            connection.sudo().last_error = exc.args[0]
        return request.redirect(SETTINGS_URL, local=True)
