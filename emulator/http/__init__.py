"""HTTP plumbing: the request context, body parsing, the API endpoint, middleware, responses."""
