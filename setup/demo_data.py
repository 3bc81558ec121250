"""The demo's Odoo side, in one process: database, demo data, server.

    python3 setup/demo_data.py DIR DB SANDBOX_LOG [--serve]

Writes DIR/odoo.conf (data in DIR/data, a free HTTP port), creates the database on the
first run (a German company with SKR03 and lexware_connector, odoo_db.create_database),
updates lexware_connector when its files changed since, makes the demo data once, points
the addon at the sandbox whose URL the sandbox writes to SANDBOX_LOG (it starts
alongside), and with --serve goes on as the Odoo server on the registry it already
holds: no second load of the modules.
"""

import argparse
import hashlib
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import odoo_db

ADDON = "lexware_connector"
SANDBOX_LISTENING = "Lexware sandbox listening on "

# Auto-installed modules the story never touches, left out of the demo database as Apps'
# "Cancel Install" would (setup/test installs them all): payment providers, SMS, paper
# mail, partner autocompletion and Peppol, which would all call services on the internet,
# and the spreadsheet dashboards. Some 20 s of the first start (72 s -> 52 s). The invoice
# PDF stays the same: account_edi_ubl_cii (Factur-X) and account_qr_code_sepa are kept.
LEFT_OUT = (
    "account_payment",
    "payment",
    "sms",
    "phone_validation",
    "snailmail_account",
    "snailmail",
    "partner_autocomplete",
    "account_peppol",
    "account_edi_proxy_client",
    "certificate",
    "spreadsheet_dashboard_account",
    "spreadsheet_dashboard",
    "spreadsheet_account",
    "spreadsheet",
)

STORY = """
  Odoo:             {odoo}   (login admin, password admin)
  Lexware sandbox:  {sandbox}/   (the vouchers Lexware received; reload to see new ones)

  The story:
  1. Settings:  {odoo}/odoo/settings#lexware
     Lexware Office > Connect, then "Erlauben" on the sandbox's consent page.
     Back in Odoo it says "Connected to Muster Handwerk GmbH".
  2. Tick "Auto transfer" and click Save.
  3. Invoicing > Invoices: open a draft invoice of today and click Confirm.
     Its Lexware badge turns from Pending to Sent within seconds (reload the invoice),
     with an "Open in Lexware" link; the sandbox page lists the voucher.
  4. Invoicing > Lexware > Export to Lexware: last month's posted invoices; click Export.
     The export run reaches 100 % and the sandbox page shows every voucher with its PDF.
  5. Settings: tick "Mark invoices paid when paid in Lexware" and click Save. On the
     sandbox page, click Pay next to a voucher: within seconds the invoice is paid in Odoo.

  OAuth client: sandbox-client / sandbox-secret; API key: sandbox-api-key
  Ctrl-C stops both.
"""

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
    # Lexware's events reach this Odoo: the callback base named explicitly (plain http is
    # allowed then), signed with the sandbox's key instead of Lexware's.
    params.set_param("lexware_connector.webhook_url", odoo_url)
    key_url = f"{sandbox_url}/_sandbox/webhook-public-key"
    with urllib.request.urlopen(key_url, timeout=120) as answer:  # noqa: S310 (the local sandbox)
        params.set_param("lexware_connector.webhook_public_key", answer.read().decode())


def addon_hash():
    """Of the addon's files but its tests: an update is due when it changes."""
    digest = hashlib.sha1()  # noqa: S324 - a fingerprint, not security
    root = odoo_db.ROOT / ADDON
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix != ".pyc" and "tests" not in path.relative_to(root).parts:
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def open_database(odoo, config_path, db_name, hash_file):
    """The registry of the demo database: created, updated or only loaded."""
    fingerprint = addon_hash()
    if db_name not in odoo.service.db.list_dbs(force=True):
        print(
            f"Creating the demo database {db_name} (German company, SKR03, {ADDON}):"
            " about a minute, once",
            flush=True,
        )
        registry = odoo_db.create_database(config_path, db_name, [ADDON], without=LEFT_OUT)
    elif not hash_file.exists() or hash_file.read_text().strip() != fingerprint:
        # Only when the addon changed since the last run: the update is most of a restart's time.
        print(f"Updating {ADDON} in {db_name}", flush=True)
        odoo.tools.config["update"][ADDON] = 1
        registry = odoo.modules.registry.Registry.new(db_name, update_module=True)
    else:
        registry = odoo.modules.registry.Registry(db_name)
    hash_file.write_text(fingerprint + "\n")
    return registry


def wait_for_sandbox(log_path, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in log_path.read_text(errors="replace").splitlines():
            if line.startswith(SANDBOX_LISTENING):
                return line[len(SANDBOX_LISTENING) :].strip()
        time.sleep(0.1)
    sys.exit(f"setup/demo: the sandbox did not start:\n{log_path.read_text(errors='replace')}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", type=Path)
    parser.add_argument("db")
    parser.add_argument("sandbox_log", type=Path)
    parser.add_argument("--serve", action="store_true")
    args = parser.parse_args()
    config = args.dir / "odoo.conf"
    odoo_db.write_config(config, args.db, args.dir / "data")
    odoo = odoo_db.load_config(config)
    odoo_url = f"http://127.0.0.1:{odoo.tools.config['http_port']}"
    registry = open_database(odoo, config, args.db, args.dir / f"{args.db}.addon.sha1")
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
        sandbox_url = wait_for_sandbox(args.sandbox_log)
        point_at_sandbox(env, sandbox_url, odoo_url)
    print(STORY.format(odoo=odoo_url, sandbox=sandbox_url), flush=True)
    if args.serve:
        # What `odoo server` does after loading the registry, which is already loaded.
        sys.exit(odoo.service.server.start(preload=[], stop=False))


if __name__ == "__main__":
    main()
