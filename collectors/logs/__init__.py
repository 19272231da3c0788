"""Access-control logs (CloudTrail, auth.log, JSON Lines) streamed into per-principal aggregates."""
