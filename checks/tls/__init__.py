"""TLS checks: what an endpoint accepts (protocols.py) and the certificate it presents (certificate.py)."""
