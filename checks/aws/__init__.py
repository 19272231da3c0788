"""AWS checks: one module per service, judged against the privacy-policy controls."""
