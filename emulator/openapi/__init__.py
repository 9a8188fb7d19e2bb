"""The loaded OpenAPI document: loading, indexing, validating requests, synthesizing responses."""
