"""Camera stream protection: reads recordings and captures, decides per elementary stream
whether the media is CLEAR, PROTECTED, PROTECTED-BY-PATTERN (the camera maker's sample
encryption) or inside an ENCRYPTED-TRANSPORT, and applies or removes that pattern
(``iotbaseline stream``; docs/stream.md)."""
