"""Hardening: ELF protections, ASLR, least privilege, file permissions."""
