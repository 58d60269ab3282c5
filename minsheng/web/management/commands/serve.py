"""`minsheng serve`: checks before starting, then gunicorn and the worker cluster."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from minsheng.accounts import two_factor
from minsheng.accounts.demo import accounts_with_demo_password
from minsheng.web.jobs import ensure_schedules
from minsheng.web.server import run


class Command(BaseCommand):
    help = "以生产方式启动服务 (gunicorn)。Serve Minsheng in production (gunicorn)."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--workers", type=int, default=3)
        parser.add_argument("--check-only", action="store_true", help="只做启动前检查")

    def handle(self, *args, port, host, workers, check_only=False, **opts):
        problems = []
        if settings.SECRET_KEY == settings.INSECURE_DEFAULT_SECRET_KEY:
            problems.append("未设置 MINSHENG_SECRET_KEY（请设置一个长的随机字符串）。")
        call_command("migrate", verbosity=0, interactive=False)
        call_command("createcachetable", verbosity=0)  # the shared cache rate limits count in
        demo = accounts_with_demo_password()
        if demo:
            problems.append(
                "以下账号仍在使用演示密码，请先修改密码或停用账号："
                + "、".join(demo) + "（minsheng changepassword 用户名）。")
        if problems:
            raise CommandError("拒绝启动：\n" + "\n".join(f"- {p}" for p in problems))
        require = settings.REQUIRE_2FA is not False  # unset: a server requires two-factor sign-in
        if require:
            waiting = two_factor.accounts_without_device()
            self.stdout.write(
                "两步验证：已强制（可查看个人信息的账号和后台账号）。"
                + (f"{len(waiting)} 个这样的账号尚未设置，下次登录输入密码后将被要求先设置："
                   + "、".join(waiting[:20]) + ("…" if len(waiting) > 20 else "")
                   if waiting else ""))
        else:
            self.stderr.write("警告：MINSHENG_REQUIRE_2FA=false，两步验证未强制；"
                              "可查看个人信息的账号只用密码即可登录。")
        if check_only:
            self.stdout.write("启动前检查通过。")
            return
        if require and settings.REQUIRE_2FA is None:
            # the gunicorn workers fork from this process and read the setting; a re-executed
            # gunicorn (USR2) reads the environment
            settings.REQUIRE_2FA = True
            os.environ["MINSHENG_REQUIRE_2FA"] = "true"
        call_command("collectstatic", verbosity=0, interactive=False)
        ensure_schedules()
        run(host=host, port=port, workers=workers)
