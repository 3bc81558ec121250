{
    "name": "Lexware Office Connector",
    "summary": "Book customer invoices and credit notes in Lexware Office, "
    "with the same number, exactly once",
    "category": "Accounting/Accounting",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "author": "lexware_connector developers",
    "website": "https://github.com/lexware-connector/lexware_connector",
    "depends": ["account"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/lexware_security.xml",
        "security/ir.model.access.csv",
        "data/ir_cron.xml",
        "data/mail_activity_type.xml",
        "views/lexware_menus.xml",
        "views/res_config_settings_views.xml",
        "views/account_move_views.xml",
        "views/lexware_transfer_views.xml",
        "views/lexware_export_run_views.xml",
        "wizard/lexware_export_wizard_views.xml",
    ],
}
