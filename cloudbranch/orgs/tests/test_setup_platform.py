from django.contrib.auth import get_user_model
from django.core.management import call_command

from cloudbranch.orgs.models import OrgUnit


def test_setup_platform_is_idempotent(db, capsys):
    call_command("setup_platform", "--root-code", "1000", "--root-name", "某某大学党委")
    call_command("setup_platform", "--root-code", "1000", "--root-name", "某某大学党委")
    root = OrgUnit.objects.get(code="1000")
    assert root.path == f"/{root.pk}/" and root.kind == "committee"
    users = get_user_model().objects.order_by("duty")
    assert sorted(u.duty for u in users) == ["audit", "security", "system"]
    assert all(u.must_change_password for u in users)
    assert "跳过" in capsys.readouterr().out
