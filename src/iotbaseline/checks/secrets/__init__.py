"""Secrets and keys: private keys, certificates, cloud tokens shipped in the image."""
