from . import main, webhook
