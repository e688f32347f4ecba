"""Cryptography and communications: weak primitives, plain-text transport, Wi-Fi, randomness."""
