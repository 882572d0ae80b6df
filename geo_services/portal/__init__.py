"""Citizen-facing pages: report a problem, follow its status (and later: find and book venues)."""
