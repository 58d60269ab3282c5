"""Who may grant which membership. Used by the back office (accounts/admin.py); any page that
grants memberships later asks here too.

A membership (organisation, role, region) may be granted only
- over a region inside the granter's MANAGE_USERS regions,
- with an organisation (if any) whose region is inside them too (an organisation of another
  district would let its holder read and act on that district's cases), and
- with a role whose rights the granter holds over that region (no one grants more than they have).
  A right covers the narrower rights in COVERS: who sees all projects of a region may let others
  see those of an area, who manages projects may let a department report progress, who reads the
  region may let a property company read the compounds it manages there, who approves data may
  let others enter it, who runs governance may let a street approve its elections. Without
  this a district administrator could grant no street staff.
The system administrator grants anything.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from minsheng.accounts.roles import (
    APPROVE_DATA,
    APPROVE_ELECTIONS,
    ENTER_DATA,
    MANAGE_GOVERNANCE,
    MANAGE_PROJECTS,
    MANAGE_USERS,
    READ_REGION,
    REPORT_PROGRESS,
    RIGHTS,
    SERVE_COMPOUNDS,
    VIEW_ALL_PROJECTS,
    VIEW_AREA_PROJECTS,
)
from minsheng.places.scope import scope_of

# right held → narrower rights it lets its holder grant
COVERS: dict[str, frozenset[str]] = {
    VIEW_ALL_PROJECTS: frozenset({VIEW_AREA_PROJECTS}),
    MANAGE_PROJECTS: frozenset({REPORT_PROGRESS}),
    READ_REGION: frozenset({SERVE_COMPOUNDS}),
    APPROVE_DATA: frozenset({ENTER_DATA}),
    MANAGE_GOVERNANCE: frozenset({APPROVE_ELECTIONS}),
}


def rights_over(user, code: str) -> frozenset[str]:
    """Every right the user holds (or covers) over region `code`, through any membership."""
    s = scope_of(user)
    if s.everything:
        return frozenset().union(*RIGHTS.values())
    held = frozenset().union(*(RIGHTS.get(g.role, frozenset())
                               for g in s.grants if code.startswith(g.prefix)))
    return held.union(*(COVERS.get(r, frozenset()) for r in held))


def grantable_roles(user) -> list[str]:
    """Roles the user may grant somewhere (for the role choice; the region is checked later)."""
    s = scope_of(user)
    if s.everything:
        return list(RIGHTS)
    mine = [rights_over(user, g.prefix) for g in s.grants_with(MANAGE_USERS)]
    return [role for role, rights in RIGHTS.items() if any(rights <= held for held in mine)]


def grant_refusals(user, *, role: str | None, region, organisation) -> dict[str, str]:
    """Why `user` may not grant this membership, by form field (empty when they may)."""
    s = scope_of(user)
    if s.everything:
        return {}
    out: dict[str, str] = {}
    region_code = getattr(region, "code", None)
    if region_code is not None and not s.has_right(MANAGE_USERS, region_code):
        out["region"] = _("只能在本人管辖的区划内授予岗位。")
    if organisation is not None and not s.has_right(MANAGE_USERS, organisation.region_id):
        out["organisation"] = _("只能选择本人管辖区划内的组织机构。")
    if role and region_code is not None and "region" not in out:
        missing = RIGHTS.get(role, frozenset()) - rights_over(user, region_code)
        if missing:
            out["role"] = _("不能授予超出本人权限的角色。")
    return out
