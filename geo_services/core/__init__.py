"""Jurisdictions, districts and departments; point -> district lookup; geometry validation."""
