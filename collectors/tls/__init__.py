"""TLS endpoints: what a server accepts and the certificate it presents."""
