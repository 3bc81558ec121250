# Shared by the setup/ scripts: which Python runs Odoo, and a clear stop when none does.
PYTHON=${PYTHON:-python3}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

require_odoo() {
    local version
    if ! version=$("$PYTHON" -c "import odoo; print(odoo.release.series)" 2>/dev/null); then
        cat >&2 <<MSG
lexware_connector: Odoo is not importable by '$PYTHON'.
This addon runs inside Odoo 18.0, which must be installed first:
  1. get the Odoo 18.0 Community source (git clone --branch 18.0 of odoo/odoo, or a release archive);
  2. install its Python requirements: $PYTHON -m pip install -r <odoo>/requirements.txt
     (on Debian, python-ldap needs libldap2-dev and libsasl2-dev);
  3. install Odoo itself: $PYTHON -m pip install --config-settings editable_mode=compat -e <odoo>
     (compat mode keeps Odoo importable next to addons installed as wheels);
Then '$PYTHON -c "import odoo"' works; run this command again.
Set PYTHON=/path/to/python if Odoo lives in another interpreter or virtualenv.
MSG
        return 1
    fi
    if [ "$version" != "18.0" ]; then
        echo "lexware_connector: found Odoo $version; this addon needs Odoo 18.0." >&2
        return 1
    fi
}
