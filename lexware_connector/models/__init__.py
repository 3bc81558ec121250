from . import (
    account_move,
    account_tax,
    lexware_export_run,
    lexware_messages,
    lexware_transfer,
    lexware_transfer_cron,
    lexware_transfer_send,
    res_company,
    res_config_settings,
    res_partner,
)
