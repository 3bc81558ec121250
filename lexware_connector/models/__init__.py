from . import (
    account_move,
    account_tax,
    lexware_connection,
    lexware_connection_oauth,
    lexware_export_run,
    lexware_messages,
    lexware_transfer,
    res_company,
    res_config_settings,
    res_partner,
)
