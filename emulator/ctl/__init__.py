"""``telnyx-emulator-ctl``: steer a running emulator from a shell, over its control API only.

It imports nothing from the server (no family, no runtime): it is an HTTP client of
``/_emulator/*``, so it works the same against an emulator in this process, in Docker or on
another host, and breaks loudly (a one-line error) where the control API changes shape.
"""
