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
}
