from . import (
    account_move,
    account_move_guard,
    account_move_voucher,
    account_tax,
    lexware_export_run,
    lexware_export_run_check,
    lexware_messages,
    lexware_transfer,
    res_company,
    res_config_settings,
    res_partner,
)
