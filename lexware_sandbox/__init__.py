"""A stateful emulator of the Lexware Office public API, for tests and the demo."""

from .server import SandboxServer

__all__ = ["SandboxServer"]
