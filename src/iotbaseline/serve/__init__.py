"""The fleet dashboard and JSON API over a results store (``iotbaseline serve``)."""
