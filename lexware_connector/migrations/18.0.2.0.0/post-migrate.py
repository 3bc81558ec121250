"""The connection leaves res.company for its own model, lexware.connection."""

from odoo.addons.lexware_connector.upgrades import move_connections_to_their_model


def migrate(cr, version):
    move_connections_to_their_model(cr)
