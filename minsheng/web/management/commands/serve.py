"""`minsheng serve`: checks before starting, then gunicorn and the worker cluster."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

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
        if check_only:
            self.stdout.write("启动前检查通过。")
            return
        call_command("collectstatic", verbosity=0, interactive=False)
        ensure_schedules()
        run(host=host, port=port, workers=workers)
