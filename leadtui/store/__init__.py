"""Durable storage. The only package that imports tinydb (in storage.py / repository.py)."""
