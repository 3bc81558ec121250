from odoo import http
from odoo.http import request

from ..lexware.webhook import SIGNATURE_HEADER


class LexwareWebhookController(http.Controller):
    @http.route(
        "/lexware/webhook",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        readonly=False,
        save_session=False,
    )
    def lexware_webhook(self):
        """Where Lexware delivers its events. Lexware waits 5 s: the event is checked and
        stored, the payments cron takes it up (`lexware.webhook.event`)."""
        status = (
            request.env["lexware.webhook.event"]
            .sudo()
            ._lexware_receive(
                request.httprequest.get_data(),
                request.httprequest.headers.get(SIGNATURE_HEADER),
            )
        )
        return request.make_response("", status=status)
