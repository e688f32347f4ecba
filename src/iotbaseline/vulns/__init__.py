"""vulns stage."""
