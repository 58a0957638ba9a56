"""Import and export of leads (CSV, JSON Lines)."""
