"""The demo organisation's records, installed as package data for `vigil demo`."""
