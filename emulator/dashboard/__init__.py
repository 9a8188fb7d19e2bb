"""The live web dashboard at ``/_emulator/ui``: calls, webhook outbox, conversations, assistants,
requests and scenario controls, in the browser, offline.

Kernel-level on purpose: it reads family data only through the control API and the public API
(from the browser) or through typed kernel services (the delivery log, the journal) — never by
importing a family. The page is plain HTML + ES modules shipped in ``static/`` (package data; no
build step, no CDN); live updates come from one server-sent-event stream (``stream.py``).
``routes.CONTROL`` is the table ``emulator/app.py`` registers with the kernel's control routes.
"""
