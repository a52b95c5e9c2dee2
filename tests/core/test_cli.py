"""The `revline` command as an installer would use it: a real server process on a free port."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command

REVLINE = [sys.executable, "-m", "revline.cli"]


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["REVLINE_DATA_DIR"] = str(data_dir)
    env.pop("DATABASE_URL", None)
    return env


def test_help_lists_the_commands():
    result = subprocess.run([*REVLINE, "help"], capture_output=True, text=True, check=True)

    for command in ("run", "serve", "worker", "demo"):
        assert f"revline {command}" in result.stdout


def test_secret_key_is_generated_once_and_kept_private(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    env = {**_env(tmp_path), "DJANGO_SETTINGS_MODULE": "revline.settings"}
    env.pop("REVLINE_SECRET_KEY", None)
    first = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    second = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )

    key_file = tmp_path / "secret_key"
    assert first.stdout == second.stdout
    assert key_file.read_text().strip() == first.stdout.strip()
    assert len(first.stdout.strip()) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_unknown_command_fails_with_a_message(tmp_path):
    result = subprocess.run(
        [*REVLINE, "no-such-command"], env=_env(tmp_path), capture_output=True, text=True
    )

    assert result.returncode != 0
    assert "Unknown command" in result.stderr


def test_no_model_change_lacks_a_migration(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="runs its own SQLite server process"
)
def test_serve_starts_a_production_server_that_answers(tmp_path):
    env = _env(tmp_path)
    subprocess.run([*REVLINE, "migrate", "--verbosity", "0"], env=env, check=True)
    subprocess.run([*REVLINE, "createcachetable"], env=env, check=True)
    port = _free_port()
    server = subprocess.Popen(
        [*REVLINE, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = ""
        for _ in range(100):
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/login/", timeout=2
                ) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        assert "Sign in" in body
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "gunicorn" in output.lower() or "Listening at" in output
