"""Optional resident accounts: sign in with a one-time link or a password; my requests."""
