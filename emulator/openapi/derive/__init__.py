"""Build time only: deriving the embedded document from a published Telnyx document."""
