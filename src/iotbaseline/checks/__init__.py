"""Firmware baseline checks. See ``base.py`` for what a check is and ``registry.py`` for the list."""
