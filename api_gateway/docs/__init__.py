"""The merged OpenAPI document of the public API and its offline pages (Swagger UI, ReDoc)."""
