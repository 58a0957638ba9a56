"""Packaged data: the default cadence, call scripts, and the demo leads (`demo.py`)."""
