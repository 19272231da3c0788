"""Records checks: people, process and physical evidence from business-system exports, by subject."""
