"""vigil: turns a security and privacy policy's commitments into controls, evidence, checks and reports."""

__version__ = "0.1.0"
