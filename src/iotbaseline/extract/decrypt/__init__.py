"""Decrypt or de-obfuscate vendor update images whose scheme and key are published.

Each scheme recognises its own header at the start of an image and returns the plaintext;
``open_known`` tries them in order. A recognised scheme whose published keys all fail raises
``KeyUnknown`` so the caller can say "encrypted" instead of "nothing found".
"""

from iotbaseline.extract.decrypt.common import Decrypted, DecryptError, KeyUnknown
from iotbaseline.extract.decrypt.entropy import describe_encrypted, shannon_entropy
from iotbaseline.extract.decrypt.schemes import SCHEMES, open_known

__all__ = ["SCHEMES", "DecryptError", "Decrypted", "KeyUnknown", "describe_encrypted",
           "open_known", "shannon_entropy"]
