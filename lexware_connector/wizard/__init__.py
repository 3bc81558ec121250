from . import lexware_export_wizard
