"""Plumbing shared by every app's REST API: authentication by organisation API keys, scopes,
one error format, keyset cursors, per-key throttling, Idempotency-Key handling and the
OpenAPI schema. The endpoints themselves live in each app's `api/` package."""
