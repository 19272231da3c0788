"""AWS collectors: one module per service; api.py holds the shared plumbing."""
