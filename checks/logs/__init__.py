"""Checks on access-control logs: who reached personal data, brute force, root use, gaps, odd hours."""
