"""A small domain that lives outside Civitas and is installed only through the installed
list (``CIVITAS_PLUGINS``): tests/test_example_domain.py proves that a new domain gets
its page, its role, its navigation, its static files, its job and its isolation-walk
entry without an edit to any central file. docs/architecture.md walks through it."""
