"""The rules, one module per domain. Services flush; the view (or CLI command) commits."""
