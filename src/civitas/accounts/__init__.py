"""Staff users, browser sessions, bearer tokens and Open311 API keys, per city."""
