"""The addon builds as an OCA-style wheel (whool) that holds every file Odoo needs.

Built offline: whool comes from requirements.txt, pip neither downloads nor installs.
"""

import ast
import email.parser
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ADDON_DIR = Path(__file__).resolve().parents[2] / "lexware_connector"
PREFIX = "odoo/addons/lexware_connector/"
# What Odoo needs beyond the manifest's data files to load and show the addon.
ESSENTIAL = [
    "__init__.py",
    "__manifest__.py",
    "models/__init__.py",
    "lexware/__init__.py",
    "lexware/client.py",
    "controllers/main.py",
    "wizard/__init__.py",
    "i18n/de.po",
    "i18n/lexware_connector.pot",
    "static/description/icon.png",
    "static/description/index.html",
    "README.rst",
]


def manifest():
    return ast.literal_eval((ADDON_DIR / "__manifest__.py").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--disable-pip-version-check",
            "--quiet",
            "--wheel-dir",
            str(out),
            str(ADDON_DIR),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (path,) = out.glob("*.whl")
    with zipfile.ZipFile(path) as archive:
        yield path, archive


def addon_files(archive):
    return {name.removeprefix(PREFIX) for name in archive.namelist() if name.startswith(PREFIX)}


def metadata(archive):
    (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
    return email.parser.HeaderParser().parsestr(archive.read(name).decode())


def test_the_wheel_is_named_after_the_addon_and_its_odoo_18_version(wheel):
    path, _archive = wheel
    version = re.escape(manifest()["version"])
    assert re.fullmatch(
        rf"odoo_addon_lexware_connector-{version}(\.\d+)?-py3-none-any\.whl", path.name
    ), path.name


def test_the_wheel_holds_the_manifest_code_data_views_translations_and_icon(wheel):
    _path, archive = wheel
    missing = set(ESSENTIAL + manifest()["data"]) - addon_files(archive)
    assert not missing, f"files missing from {PREFIX}: {sorted(missing)}"


def test_the_wheel_holds_every_file_git_tracks_in_the_addon_but_its_build_file(wheel):
    _path, archive = wheel
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ADDON_DIR, capture_output=True, text=True, check=True
    ).stdout.split()
    assert addon_files(archive) == set(tracked) - {"pyproject.toml"}


def test_the_wheel_leaves_odoo_and_odoo_addons_namespaces_open(wheel):
    """An odoo/__init__.py or odoo/addons/__init__.py in the wheel would hide Odoo itself."""
    _path, archive = wheel
    outside = [
        name
        for name in archive.namelist()
        if not name.startswith(PREFIX) and ".dist-info/" not in name
    ]
    assert outside == []


def test_the_wheel_requires_odoo_18_and_the_manifests_python_packages(wheel):
    _path, archive = wheel
    meta = metadata(archive)
    assert meta["Name"] == "odoo-addon-lexware_connector"
    expected = {"odoo==18.0.*", *manifest()["external_dependencies"]["python"]}
    assert set(meta.get_all("Requires-Dist")) == expected
    assert meta["License"] == manifest()["license"]
