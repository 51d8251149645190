"""First-time set-up of a real deployment: the root committee and the three duty accounts.

    manage.py setup_platform --root-code 1000 --root-name "某某大学党委"

Creates the top-level committee and the accounts ``sysadmin``, ``secadmin`` and ``auditor``
(system, security and audit administrator, 三员分立), each with a random one-time password
printed once and ``must_change_password`` set. The security administrator then grants Party
roles (e.g. the organization department's administrators) on the 角色授权 page.
Running it again creates nothing that already exists.
"""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from cloudbranch.accounts.choices import Duty
from cloudbranch.audit.services import audit_record
from cloudbranch.orgs.models import OrgUnit
from cloudbranch.orgs.services import root_unit_create

DUTY_ACCOUNTS = (
    ("sysadmin", Duty.SYSTEM, "系统管理员"),
    ("secadmin", Duty.SECURITY, "安全管理员"),
    ("auditor", Duty.AUDIT, "审计管理员"),
)


class Command(BaseCommand):
    help = "初始化平台：创建顶层党委和三员（系统、安全、审计管理员）账号"

    def add_arguments(self, parser):
        parser.add_argument("--root-code", required=True)
        parser.add_argument("--root-name", required=True)

    def handle(self, *args, root_code, root_name, **options):
        User = get_user_model()
        with transaction.atomic():
            root = OrgUnit.objects.filter(code=root_code).first()
            if root is None:
                root = root_unit_create(actor=None, code=root_code, name=root_name)
                self.stdout.write(f"已创建顶层党委：{root.name}（{root.code}）")
            else:
                self.stdout.write(f"顶层党委已存在：{root.name}（{root.code}）")
            for username, duty, label in DUTY_ACCOUNTS:
                if User.objects.filter(duty=duty).exists():
                    self.stdout.write(f"{label}账号已存在，跳过。")
                    continue
                password = secrets.token_urlsafe(12) + "aA1!"
                user = User.objects.create_user(username, password=password, display_name=label, duty=duty)
                user.must_change_password = True
                user.save(update_fields=["must_change_password"])
                audit_record(actor=None, action="accounts.user.create", target=user, changes={"duty": {"new": duty}})
                self.stdout.write(f"{label}：用户名 {username}，一次性密码 {password}（首次登录须修改）")
