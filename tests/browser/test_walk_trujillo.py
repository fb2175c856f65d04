"""Every role of Trujillo walks its pages in es and en (tests/browser/walk.py): the
role's home and every page it links to, each screenshotted (var/screenshots/), loading
nothing from another host, with no English left on a page in another language, no code
where a word belongs, numbers written as the locale does, never a 500, and axe-core's
check in the city's own language. One module per city, so the two walk side by side."""

from __future__ import annotations

import pytest

from tests.browser.walk import ROLES, walk_role


@pytest.mark.parametrize("role", ROLES)
def test_each_role_walks_its_pages_in_each_language(pages, two_cities, live_server, role):
    walk_role(pages, two_cities, live_server, "trujillo", role)
