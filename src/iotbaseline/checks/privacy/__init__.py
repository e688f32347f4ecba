"""Privacy and data: factory reset, logs, telemetry, disclosure facts."""
