"""The web adapter: FastAPI app serving the REST API under /api/v1 and the server-rendered pages."""
