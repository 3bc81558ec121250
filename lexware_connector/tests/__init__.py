from . import test_install
from . import test_connect
from . import test_export
from . import test_transfer_engine
from . import test_transfer_failures
from . import test_mapping_invoices
from . import test_secrets
from . import test_connect_browser
