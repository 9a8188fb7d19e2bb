"""The stateful CRUD fallback inferred from the document, for operations no family handles."""
