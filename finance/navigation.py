"""Menu entries this app adds to the site (see cernai.core.registry): the public money pages."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from cernai.core.registry import NavItem, add_nav


def _everyone(user: Any) -> bool:
    return True


add_nav(NavItem(_("Medium-term plan"), "finance:plan", _everyone, order=13))
add_nav(NavItem(_("Fair return"), "finance:fair_return", _everyone, order=14))
