"""Services and debug: what boot starts and how it can be reached, consoles, firewall."""
