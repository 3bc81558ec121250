"""Each pytest-xdist worker on a filestore of its own (tests/conftest.py, for the tests
without the ORM, loads no registry and needs none).

pytest-odoo gives each worker a copy of the database, but points every worker at the
original database's filestore. Odoo stores an attachment under its checksum, so two workers
that make the same document at the same moment share one file, and one of them may read it
while the other is still writing it: an empty PDF or XML. Each worker gets a copy instead.
"""

import os
import shutil
from unittest import mock

import pytest

from odoo.tools import config


@pytest.fixture(scope="session", autouse=True)
def load_registry(load_registry):
    """pytest-odoo's registry, with the worker's own filestore."""
    database = config["db_name"]
    shared = config.filestore(database)
    own = os.path.join(config["data_dir"], "filestore", database)
    if shared == own:
        yield
        return
    shutil.rmtree(own, ignore_errors=True)
    if os.path.isdir(shared):
        shutil.copytree(shared, own)
    with mock.patch.object(config, "filestore", lambda _dbname: own):
        yield
    shutil.rmtree(own, ignore_errors=True)
