"""pytest fixtures for testing voice agents against the local emulator."""
