"""Demo data for setup/demo: customers and invoices of a German craft business.

    python3 setup/demo_data.py CONFIG DB SANDBOX_URL ODOO_URL

Creates the data once (a later run only points the addon at the new sandbox URL).
"""

import sys
from datetime import date, timedelta

import odoo_db

CUSTOMERS = [
    {
        "name": "Bäckerei Sonnenschein GmbH",
        "is_company": True,
        "street": "Hauptstraße 12",
        "zip": "80331",
        "city": "München",
        "country": "DE",
        "email": "buchhaltung@sonnenschein.example",
    },
    {
        "name": "Hotel Alpenblick KG",
        "is_company": True,
        "street": "Bergweg 3",
        "zip": "87561",
        "city": "Oberstdorf",
        "country": "DE",
        "email": "rechnung@alpenblick.example",
    },
    {
        "name": "Erika Mustermann",
        "is_company": False,
        "street": "Lindenallee 7",
        "zip": "50667",
        "city": "Köln",
        "country": "DE",
        "email": "erika@mustermann.example",
    },
    {
        "name": "Bouwbedrijf De Vries B.V.",
        "is_company": True,
        "street": "Kerkstraat 21",
        "zip": "1017 GC",
        "city": "Amsterdam",
        "country": "NL",
        "vat": "NL123456782B90",
    },
]

PRODUCTS = [
    ("Montagestunde Tischler", "service", 68.00, "19%"),
    ("Einbauschrank Eiche", "consu", 1890.00, "19%"),
    ("Fachbuch Holzbau", "consu", 39.90, "7%"),
]


def find_sale_tax(env, company, name):
    return env["account.tax"].search(
        [("company_id", "=", company.id), ("type_tax_use", "=", "sale"), ("name", "=", name)],
        limit=1,
    )


def make_customers(env):
    partners = env["res.partner"]
    for customer in CUSTOMERS:
        values = dict(customer, country_id=env.ref(f"base.{customer['country'].lower()}").id)
        del values["country"]
        partners |= partners.create(values)
    return partners


def make_products(env, company):
    products = env["product.product"]
    for name, kind, price, tax_name in PRODUCTS:
        products |= products.create(
            {
                "name": name,
                "type": kind,
                "list_price": price,
                "taxes_id": [(6, 0, find_sale_tax(env, company, tax_name).ids)],
            }
        )
    return products


def make_invoices(env, customers, products):
    """Posted invoices of last month (for the export wizard), drafts of today."""
    last_month = date.today().replace(day=1) - timedelta(days=1)
    moves = env["account.move"]
    for index, customer in enumerate(customers):
        for when, post in ((last_month.replace(day=10 + index), True), (date.today(), False)):
            move = moves.create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_date": when,
                    "invoice_line_ids": [
                        (0, 0, {"product_id": product.id, "quantity": 1 + index})
                        for product in products[: 1 + index % len(products)]
                    ],
                }
            )
            if post:
                move.action_post()


def point_at_sandbox(env, sandbox_url, odoo_url):
    params = env["ir.config_parameter"].sudo()
    params.set_param("web.base.url", odoo_url)
    params.set_param("web.base.url.freeze", "True")
    params.set_param("lexware_connector.api_url", sandbox_url)
    params.set_param("lexware_connector.auth_url", sandbox_url)
    params.set_param("lexware_connector.client_id", "sandbox-client")
    params.set_param("lexware_connector.client_secret", "sandbox-secret")


def main(config_path, db_name, sandbox_url, odoo_url):
    odoo = odoo_db.load_config(config_path)
    registry = odoo.modules.registry.Registry.new(db_name)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        if company.name != "Schreinerei Holzwurm GmbH":
            company.write(
                {
                    "name": "Schreinerei Holzwurm GmbH",
                    "street": "Werkstattweg 5",
                    "zip": "10115",
                    "city": "Berlin",
                }
            )
            make_invoices(env, make_customers(env), make_products(env, company))
        point_at_sandbox(env, sandbox_url, odoo_url)


if __name__ == "__main__":
    main(*sys.argv[1:5])
