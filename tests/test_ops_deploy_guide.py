"""docs/deploy.md is followed to the letter by operators who do not read the code: its
systemd units and commands must run the app the way the guide promises."""
import re
import shlex
from pathlib import Path

GUIDE = (Path(__file__).resolve().parent.parent / "docs" / "deploy.md").read_text()
PRODUCTION = "app:create_app('production')"


def _units():
    return dict(re.findall(r"`/etc/systemd/system/([\w.-]+)`[^\n]*:\n\n```ini\n(.*?)```",
                           GUIDE, re.S))


def test_every_unit_runs_the_app_with_production_settings():
    """A plain `flask --app app` builds the development settings: the mail worker's and the
    purge's logs were plain text, not the JSON lines the guide promises."""
    units = _units()
    assert {"openday-web.service", "openday-mail.service", "openday-purge.service",
            "openday-purge.timer"} <= set(units)
    for name, body in units.items():
        if not name.endswith(".service"):
            continue
        assert "User=openday" in body and "EnvironmentFile=/etc/openday/env" in body, name
        command = shlex.split(re.search(r"^ExecStart=(.*)$", body, re.M).group(1))
        assert command[0].startswith("/srv/openday/app/.venv/bin/"), name
        assert PRODUCTION in command, (name, command)


def test_the_guide_runs_no_flask_command_without_the_service_environment():
    """`flask --app app …` on a server, without /etc/openday/env, works on an SQLite file
    in instance/ (an empty backup, a migration of the wrong database)."""
    blocks = re.findall(r"```sh\n(.*?)```", GUIDE, re.S)
    for block in blocks:
        for line in block.splitlines():
            if "flask" not in line or line.lstrip().startswith("#"):
                continue
            # The SQLite office (`make run`, the move to PostgreSQL) runs from its directory.
            sqlite_office = line.startswith(("DATABASE_URL=", ".venv/bin/flask")) and (
                "db upgrade" in line or "copy-to" in line or line.endswith(".db"))
            assert "openday-flask" in line or "create_app(" in line or sqlite_office, line


def test_static_files_served_by_nginx_carry_the_nosniff_header():
    """nginx answers /static/ without the app, so the app's own headers are not added there."""
    static = re.search(r"location /static/ \{(.*?)\n    \}", GUIDE, re.S)
    assert static, "the nginx file serves /static/"
    assert re.search(r'add_header X-Content-Type-Options "nosniff" always;', static.group(1))
    assert 'add_header Cache-Control "no-cache";' in static.group(1)
