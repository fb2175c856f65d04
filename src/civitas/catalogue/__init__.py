"""The service catalogue: every municipal service, exported as CPSV-AP and Open311."""
