"""`minsheng demo`: build the demo district on SQLite (real divisions, generated geography, a year
and more of records relative to today) and serve it."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from minsheng.accounts.demo import DEMO_PASSWORD, create_demo_accounts
from minsheng.assistance.demo import generate as generate_assistance
from minsheng.assistance.monitoring_demo import generate as generate_monitoring
from minsheng.cases.demo import DEMO_API_KEY, DEMO_DEVICE_KEY
from minsheng.cases.demo import generate as generate_cases
from minsheng.employment.demo import generate as generate_employment
from minsheng.governance.demo import generate as generate_governance
from minsheng.indicators.demo import generate as generate_indicators
from minsheng.lifecircle.services import ensure_computed
from minsheng.places.demo import generate as generate_places
from minsheng.places.models import Region
from minsheng.places.osm import OSMError, build_sample
from minsheng.projects.demo import generate as generate_projects
from minsheng.web.jobs import ensure_schedules
from minsheng.web.server import run


class Command(BaseCommand):
    help = "创建演示数据库（安次区，生成的地理数据）并启动服务。Create the demo district and serve it."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--osm", type=Path, help="OpenStreetMap 文件 (.osm / .osm.pbf)：据此生成真实地理的样例区域")
        parser.add_argument("--osm-district", help="OSM 样例所在区/县的区划代码（无法自动判断时）")
        parser.add_argument("--no-serve", action="store_true", help="只准备数据，不启动服务")

    def handle(self, *args, port, host, osm=None, osm_district=None, no_serve=False, **opts):
        t0 = time.monotonic()
        if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
            Path(settings.DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        self.stdout.write("准备数据库 …")
        call_command("migrate", verbosity=0, interactive=False)
        call_command("createcachetable", verbosity=0)  # the shared cache rate limits count in
        say = self.stdout.write
        generate_places("131002", progress=say)
        generate_places("140213", progress=say)
        if osm is not None:
            if not osm.exists():
                raise CommandError(f"找不到 OSM 文件：{osm}")
            try:
                result = build_sample(osm, district_code=osm_district, progress=say)
            except OSMError as e:
                raise CommandError(str(e)) from e
            say(result.summary())
        accounts = create_demo_accounts("131002")
        generate_projects("131002", progress_cb=say)
        generate_cases("131002", progress=say)
        generate_governance("131002", progress=say)
        generate_monitoring("131002", progress=say)
        t_assist = time.monotonic()
        generate_assistance("131002", progress=say)
        say(f"社会救助演示数据用时 {time.monotonic() - t_assist:.1f} 秒")
        t_employment = time.monotonic()
        generate_employment("131002", progress=say)
        say(f"就业服务演示数据用时 {time.monotonic() - t_employment:.1f} 秒")
        for code in ("131002000000", "140213000000"):
            computed = ensure_computed(Region.objects.get(code=code))
            if computed is not None:
                say(f"{computed.region.name}: 15分钟生活圈已按（生成的）路网计算，"
                    f"用时 {computed.stats['seconds']} 秒")
        generate_indicators("131002", progress=say)
        ensure_schedules()
        url = f"http://{host}:{port}/"
        say("")
        say(self.style.SUCCESS(f"民生 Minsheng 演示区已就绪（{time.monotonic() - t0:.1f} 秒）：{url}"))
        say("注意：安次区、平城区的区划名称和代码是真实的；小区、设施、道路、网格和边界是生成的演示数据。")
        say(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, desc in accounts:
            say(f"  {username:<16} {desc}")
        if settings.REQUIRE_2FA:
            say("两步验证：已强制（MINSHENG_REQUIRE_2FA=true）：可查看个人信息的账号和后台账号"
                "输入密码后须先设置验证器应用。")
        else:
            say(f"两步验证：已提供，未强制（演示账号只用密码即可登录）；登录后在 {url}account/2fa/ "
                "设置。minsheng serve 默认对可查看个人信息的账号和后台账号强制要求。")
        say(f"Open311 GeoReport v2：{url}open311/v2/discovery.json，演示 API 密钥 {DEMO_API_KEY}")
        say(f"智能设备告警与心跳：{url}api/devices/openapi.yaml，演示设备密钥 {DEMO_DEVICE_KEY}")
        if no_serve:
            return
        run(host=host, port=port, workers=2)
