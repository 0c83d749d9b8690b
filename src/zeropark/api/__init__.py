"""REST API (FastAPI) and the dashboard's static files."""
