"""Vendor containers and file systems the libraries do not open as they are (each module one
format, exposed to unblob as a handler in ``handlers.py``)."""
