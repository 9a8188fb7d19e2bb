"""One emulator assembled: the runtime object, its typed services, the Family manifest, fixtures."""
