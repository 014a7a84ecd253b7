"""Menu entries this app adds to the site (see cernai.core.registry): the public registry of nodes."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from cernai.core.registry import NavItem, add_nav


def _everyone(user: Any) -> bool:
    return True


add_nav(NavItem(_("National nodes"), "nodes:index", _everyone, order=15))
