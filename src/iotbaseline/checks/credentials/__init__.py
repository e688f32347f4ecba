"""Credentials: accounts, default and fixed passwords, cracking."""
