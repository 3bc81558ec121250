from . import test_install
from . import test_connect
from . import test_export
from . import test_transfer_engine
