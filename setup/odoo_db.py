"""Odoo configuration and databases for the test suite and the demo.

Used by setup/test and setup/demo:

    python3 setup/odoo_db.py config FILE --db NAME --data-dir DIR [--http-port N]
    python3 setup/odoo_db.py create FILE NAME [--modules a,b]
    python3 setup/odoo_db.py drop FILE NAME

`create` installs lexware_connector and l10n_eu_oss unless --modules names others.
PostgreSQL settings come from the PG* environment variables, as libpq reads them, or
from the Odoo configuration named by ODOO_RC, which `config` starts from.
"""

import argparse
import configparser
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GERMAN_CHART = "de_skr03"
# The EU One-Stop-Shop is part of the German company the suite tests against: its taxes
# carry the company's own country and must still book as OSS. Installing it makes no
# fiscal positions yet (that is the settings' *Refresh tax mapping*); the OSS tests do it.
DEFAULT_MODULES = "lexware_connector,l10n_eu_oss"


def odoo_addons_paths():
    import odoo

    odoo_dir = Path(odoo.__file__).resolve().parent
    paths = [odoo_dir / "addons", odoo_dir.parent / "addons", ROOT]
    return [str(path) for path in paths if path.is_dir()]


def free_port():
    """A port nobody listens on: bound once to learn it, then closed. The tests and the
    benchmarks take theirs from here too."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def write_config(path, db_name, data_dir, http_port=None):
    parser = configparser.ConfigParser(interpolation=None)
    if os.environ.get("ODOO_RC"):
        parser.read(os.environ["ODOO_RC"])
    if not parser.has_section("options"):
        parser.add_section("options")
    options = parser["options"]
    options["addons_path"] = ",".join(odoo_addons_paths())
    options["data_dir"] = str(data_dir)
    options["db_name"] = db_name
    options["dbfilter"] = f"^{db_name}$"
    options["http_port"] = str(http_port or free_port())
    options["http_interface"] = "127.0.0.1"
    options["without_demo"] = "all"
    options["list_db"] = "True"
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        parser.write(handle)


def load_config(config_path):
    import odoo

    odoo.tools.config.parse_config(["-c", str(config_path), "--log-level=warn"])
    return odoo


def create_database(config_path, db_name, modules, without=()):
    """A German company (DE, EUR, SKR03) with `modules` installed; returns its registry.

    One process: Odoo's own database creation (base, the company made German), then
    l10n_de and `modules` installed in a second registry load of the same process, which
    reuses the imported addons. The country must be set before `account` is installed:
    that is when Odoo picks the company's chart of accounts (SKR03 for Germany).
    """
    odoo = load_config(config_path)
    odoo.service.db.exp_create_database(db_name, False, "en_US", country_code="DE")
    registry = odoo.modules.registry.Registry(db_name)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        if not env.ref("base.main_company").country_id:
            sys.exit(f"{db_name}: Odoo could not create the database")
        names = ["l10n_de", *modules]
        env["ir.module.module"].search([("name", "in", names)]).button_install()
        if without:
            leave_out_auto_installs(env, without)
    registry = odoo.modules.registry.Registry.new(db_name, update_module=True)
    check_german_company(odoo, registry, modules)
    return registry


def leave_out_auto_installs(env, names):
    """Cancel the installation of the auto-installed modules `names`, as Apps' *Cancel
    Install* does; refuses when a module still to install depends on one of them."""
    Module = env["ir.module.module"]
    cancel = Module.search([("name", "in", list(names)), ("state", "=", "to install")])
    cancel.button_install_cancel()
    needed = Module.search([("state", "=", "to install")]).upstream_dependencies(
        exclude_states=("uninstallable", "to remove", "installed", "to upgrade")
    )
    if needed & cancel:
        sys.exit(f"cannot leave out {', '.join(sorted((needed & cancel).mapped('name')))}: needed")


def check_german_company(odoo, registry, modules=()):
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = env.ref("base.main_company")
        facts = (company.country_id.code, company.currency_id.name, company.chart_template)
        if facts != ("DE", "EUR", GERMAN_CHART):
            sys.exit(f"{cr.dbname}: expected a German company (DE, EUR, {GERMAN_CHART}): {facts}")
        installed = env["ir.module.module"].search(
            [("name", "in", list(modules)), ("state", "=", "installed")]
        )
        missing = set(modules) - set(installed.mapped("name"))
        if missing:
            sys.exit(f"{cr.dbname}: modules not installed: {', '.join(sorted(missing))}")


def ensure_database(db_name, base=None):
    """(config path, db name) of a kept database under /tmp, made once: for benchmarks."""
    base = Path(base or Path("/tmp") / db_name)
    config = base / "odoo.conf"
    if not config.exists():
        write_config(config, db_name, base / "data")
    odoo = load_config(config)
    if db_name not in odoo.service.db.list_dbs(force=True):
        print(f"creating database {db_name} ...", flush=True)
        subprocess.run([sys.executable, __file__, "create", str(config), db_name], check=True)
    return config, db_name


def drop_database(config_path, db_name):
    odoo = load_config(config_path)
    if db_name in odoo.service.db.list_dbs(force=True):
        odoo.service.db.exp_drop(db_name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    config = commands.add_parser("config")
    config.add_argument("file")
    config.add_argument("--db", required=True)
    config.add_argument("--data-dir", required=True)
    config.add_argument("--http-port", type=int)
    create = commands.add_parser("create")
    create.add_argument("file")
    create.add_argument("db")
    create.add_argument("--modules", default=DEFAULT_MODULES)
    drop = commands.add_parser("drop")
    drop.add_argument("file")
    drop.add_argument("db")
    args = parser.parse_args()
    if args.command == "config":
        write_config(args.file, args.db, args.data_dir, args.http_port)
    elif args.command == "create":
        create_database(args.file, args.db, [m for m in args.modules.split(",") if m])
    else:
        drop_database(args.file, args.db)


if __name__ == "__main__":
    main()
