"""The deploy guide's files parse with the tools that will read them (systemd-analyze, caddy,
nginx), and say what the guide promises: 127.0.0.1 behind a proxy that buffers bodies and
limits their size and the time a client may take. Each tool's test skips with a reason when
the tool is absent here (`.ci/run` installs them; in CI an absent tool fails the test)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.support.services import service_unavailable

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
GUIDE = ROOT / "docs" / "deploy.md"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
TIMERS = sorted((DEPLOY / "systemd").glob("*.timer"))
NGINX = DEPLOY / "nginx" / "kuaidi-bot.conf"
CADDY = DEPLOY / "caddy" / "Caddyfile"
#: Where the guide installs the virtual environment; the tests point it at this one.
VENV_BIN = "/opt/kuaidi-bot/venv/bin"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        service_unavailable(name, FileNotFoundError(f"{name} is not installed"))
    return path  # type: ignore[return-value]


def run(*args: str, cwd: Path | None = None, env: dict | None = None):
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env, timeout=60)


def test_every_file_the_guide_shows_is_in_the_repo_and_every_deploy_file_is_shown():
    guide = GUIDE.read_text(encoding="utf-8")
    named = set(re.findall(r"\bdeploy/[\w@./-]+[\w@]", guide))
    assert named, "the guide names its files"
    for path in named:
        assert (ROOT / path).is_file(), f"{path} is named in docs/deploy.md but missing"
    files = {str(p.relative_to(ROOT)) for p in DEPLOY.rglob("*") if p.is_file()}
    assert files <= named, f"deploy files the guide does not mention: {files - named}"


@pytest.mark.parametrize("unit", UNITS + TIMERS, ids=lambda p: p.name)
def test_systemd_units_verify(unit, tmp_path):
    analyze = tool("systemd-analyze")
    for each in UNITS + TIMERS:  # a timer is verified with the service it starts beside it
        text = each.read_text(encoding="utf-8")
        # systemd-analyze checks that ExecStart's program exists: use this checkout's venv.
        text = text.replace(VENV_BIN, str(Path(sys.executable).parent))
        (tmp_path / each.name.replace("@.", "@1.")).write_text(text)
    if unit in UNITS:
        text = unit.read_text(encoding="utf-8")
        assert VENV_BIN in text and "KUAIDI_ENV_FILE=/etc/kuaidi-bot/kuaidi-bot.env" in text
    result = run(analyze, "verify", str(tmp_path / unit.name.replace("@.", "@1.")))
    # It exits 0 even on unknown keys or bad values, so any message is a failure.
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), result


def test_units_run_what_the_guide_says():
    units = {p.name: p.read_text(encoding="utf-8") for p in UNITS}
    assert f"ExecStart={VENV_BIN}/kuaidi-bot run" in units["kuaidi-bot.service"]
    web = units["kuaidi-bot-web.service"]
    joined = web.replace("\\\n", " ")  # continuation lines
    start = next(line for line in joined.splitlines() if line.startswith("ExecStart="))
    words = start.removeprefix("ExecStart=").split()
    procfile = (ROOT / "Procfile").read_text(encoding="utf-8")
    web_line = next(line for line in procfile.splitlines() if line.startswith("web:"))
    expected = web_line.removeprefix("web:").replace("'", "").split()
    expected[expected.index("--bind") + 1] = "127.0.0.1:8000"  # loopback behind the proxy
    assert words[0] == f"{VENV_BIN}/gunicorn"
    assert sorted(words[1:]) == sorted(expected[1:])  # the Procfile's web line, same options
    assert f"ExecStart={VENV_BIN}/kuaidi-bot worker" in units["kuaidi-bot-worker@.service"]


def test_nginx_config_passes_nginx_t(tmp_path):
    nginx = tool("nginx")
    openssl = tool("openssl")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    made = run(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
               "-subj", "/CN=bot.example.com", "-keyout", str(key), "-out", str(cert))  # fmt: skip
    assert made.returncode == 0, made.stderr
    site = NGINX.read_text(encoding="utf-8")
    site = site.replace("/etc/letsencrypt/live/bot.example.com/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/bot.example.com/privkey.pem", str(key))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    include {tmp_path}/site.conf;\n}}\n"
    )
    result = run(nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"))
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_caddyfile_validates(tmp_path):
    caddy = tool("caddy")
    env = {**os.environ, "HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data")}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    result = run(caddy, "validate", "--config", str(CADDY), "--adapter", "caddyfile", env=env)
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr


def test_proxies_buffer_bodies_and_limit_size_and_client_time():
    limit = Settings(_env_file=None).max_request_bytes
    nginx = NGINX.read_text(encoding="utf-8")
    assert f"client_max_body_size {limit // 1_000_000}m;" in nginx
    for directive in ("proxy_request_buffering on;", "client_body_timeout 10s;"):
        assert directive in nginx
    assert "client_header_timeout 10s;" in nginx
    assert "proxy_pass http://kuaidi_bot;" in nginx and "server 127.0.0.1:8000;" in nginx
    caddy = CADDY.read_text(encoding="utf-8")
    assert f"max_size {limit // 1_000_000}MB" in caddy and "buffer_requests" in caddy
    assert "read_body" in caddy and "read_header" in caddy
    assert "reverse_proxy 127.0.0.1:8000" in caddy
    for config in (nginx, caddy):  # metrics stay private: not among the proxied paths
        assert "/metrics" not in re.sub(r"#.*", "", config)


def test_prometheus_job_scrapes_the_private_port():
    job = (DEPLOY / "prometheus" / "kuaidi-bot.yml").read_text(encoding="utf-8")
    port = Settings(_env_file=None).port
    assert re.search(r"^scrape_configs:\n  - job_name: kuaidi-bot$", job, re.M)
    assert "metrics_path: /metrics" in job and f'targets: ["127.0.0.1:{port}"]' in job
    assert "\t" not in job  # YAML forbids tabs in indentation
