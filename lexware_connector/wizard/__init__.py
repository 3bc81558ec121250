from . import base_partner_merge, lexware_export_wizard
