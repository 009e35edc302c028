"""The production install's files, on a temporary root folder that stands in for a host: rendered
for that root and checked by the daemons' own tools (postconf, doveconf, nginx -t,
systemd-analyze verify), written only when they differ, and put back when a check fails.
Starting the daemons themselves is the lab's part (a container host)."""
import grp
import os
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest

from mailadmin.secrets import load_or_create
from mailstack import config
from mailstack.production import environment
from mailstack.production.desired import TLS_CERT, TLS_KEY, certificate_files, configuration_files
from mailstack.production.install import BACKUPS, InstallError, apply_configuration
from mailstack.production.revision import code_revision
from mailstack.production.services import SERVICES, ServiceError, check_all
from mailstack.production.tls import self_signed


@pytest.fixture
def host(tmp_path):
    """A root folder laid out as a Debian 12 host with nginx: its nginx.conf (logs, pid and
    temporary folders inside the root) includes sites-enabled, where Debian's default site is."""
    root = tmp_path / "root"
    nginx = root / "etc/nginx"
    (nginx / "sites-available").mkdir(parents=True)
    (nginx / "sites-enabled").mkdir()
    (nginx / "sites-available/default").write_text("server { listen 8080 default_server; }\n")
    (nginx / "sites-enabled/default").symlink_to("/etc/nginx/sites-available/default")
    temporary = " ".join(f"{name}_temp_path {root}/{name};" for name in ("client_body", "proxy", "fastcgi",
                                                                          "uwsgi", "scgi"))
    (nginx / "nginx.conf").write_text(
        f"pid {root}/nginx.pid;\nerror_log {root}/error.log;\nevents {{}}\n"
        f"http {{ access_log {root}/access.log; {temporary} include {nginx}/sites-enabled/*; }}\n")
    return root


def entries(root, certificate=None):
    return certificate_files(*(certificate or self_signed("mx.example.net"))) + configuration_files(root)


def apply(root, files, activated=None):
    calls = activated if activated is not None else []
    return apply_configuration(root, files, check=lambda: check_all(root, host=False),
                               activate=lambda paths: calls.append(("activate", paths)),
                               revert=lambda paths: calls.append(("revert", paths)), log=lambda line: None)


def postconf(root, *arguments):
    return subprocess.run(["postconf", "-c", str(root / "etc/postfix"), *arguments], capture_output=True,
                          text=True, check=True).stdout


def test_rendered_host_passes_the_daemons_own_checks_and_listens_on_the_standard_ports(host, settings):
    settings.MAILADMIN_IPV6 = "yes"
    written = apply(host, entries(host))
    assert "/etc/postfix/main.cf" in written and "/etc/systemd/system/mailadmin.service" in written
    order = written.index
    assert order(TLS_CERT) < order("/etc/postfix/mysql-virtual-mailbox-maps.cf") < order("/etc/postfix/main.cf"), \
        "what main.cf names is in place before it"
    assert order("/etc/dovecot/dovecot-sql.conf.ext") < order("/etc/dovecot/dovecot.conf")
    assert not os.path.lexists(host / "etc/nginx/sites-enabled/default"), "Debian's default site is disabled"
    assert os.readlink(host / "etc/nginx/sites-enabled/mailadmin") == "../sites-available/mailadmin"
    main = {name: value.strip() for name, _, value in (line.partition(" =") for line in
                                                        postconf(host, "-n").splitlines())}
    assert main["inet_interfaces"] == "all" and main["inet_protocols"] == "all"
    assert main["smtpd_tls_cert_file"] == f"{host}{TLS_CERT}" and main["smtpd_tls_auth_only"] == "yes"
    assert main["smtpd_milters"] == "unix:/var/spool/postfix/spamass/spamass.sock"
    services = postconf(host, "-P")
    assert "submissions/inet/smtpd_tls_wrappermode = yes" in services
    for service in ("submission", "submissions"):
        assert f"{service}/inet/smtpd_sasl_auth_enable = yes" in services
        assert f"{service}/inet/smtpd_tls_security_level = encrypt" in services
    assert "smtp/inet/smtpd_sasl_auth_enable" not in services, "no AUTH on port 25"
    assert "dovecot-submission" not in services, "auto-replies leave through the system's sendmail"
    def doveconf(*arguments):
        return subprocess.run(["doveconf", "-c", str(host / "etc/dovecot/dovecot.conf"), *arguments],
                              capture_output=True, text=True, check=True).stdout

    assert doveconf("listen") == "listen = *, ::\n", "every IPv4 and IPv6 address"
    dovecot = doveconf("-n")
    assert "submission_host" not in dovecot
    assert "inet_listener quota-status {\n    address = 127.0.0.1\n    port = 12346\n" in dovecot
    assert "check_policy_service { inet:127.0.0.1:12346, default_action=DUNNO }" in main["mailadmin_quota_check"]
    assert "127.0.0.1:10004/inet/cleanup_service_name = srs-cleanup" in services, "SRS, on loopback only"
    postsrsd = (host / "etc/default/postsrsd").read_text()
    assert f"SRS_DOMAIN={settings.MAILSTACK['hostname']}\n" in postsrsd and "SRS_FORWARD_PORT=10001\n" in postsrsd
    for listener, port in (("imaps", 993), ("pop3s", 995), ("imap", 143), ("pop3", 110), ("sieve", 4190)):
        assert f"inet_listener {listener} {{\n    port = {port}\n" in dovecot, listener
    site = (host / "etc/nginx/sites-available/mailadmin").read_text()
    assert 'add_header Strict-Transport-Security "max-age=31536000' in site
    assert f"ssl_certificate_key {host}{TLS_KEY};" in site and "proxy_pass http://unix:/run/mailadmin.sock;" in site
    assert oct((host / TLS_KEY.lstrip("/")).stat().st_mode & 0o777) == "0o600"
    assert "location ^~ /webmail/ {" in site and "fastcgi_pass unix:/run/php/mailadmin-webmail.sock;" in site
    assert "location ~ ^/roundcube/password/?$ {" in site  # the plugin's call, under the mail host's name
    roundcube = host / "etc/roundcube/config.inc.php"
    www_data = grp.getgrnam("www-data").gr_gid
    assert (oct(roundcube.stat().st_mode & 0o777), roundcube.stat().st_gid) == ("0o640", www_data)
    assert "$config['imap_host'] = 'ssl://127.0.0.1:993';" in roundcube.read_text()
    assert "listen = /run/php/mailadmin-webmail.sock" in (
        host / "etc/php/8.2/fpm/pool.d/mailadmin-webmail.conf").read_text()
    sudoers = host / "etc/sudoers.d/mailadmin"
    assert oct(sudoers.stat().st_mode & 0o777) == "0o440" and "mailadmin ALL=(root) NOPASSWD:" in sudoers.read_text()
    assert (host / "usr/local/libexec/mailadmin/mailadmin-dovecot").stat().st_mode & 0o777 == 0o755


def test_a_second_run_on_an_unchanged_host_writes_nothing(host):
    certificate = self_signed("mx.example.net")
    apply(host, entries(host, certificate))
    before = {path: path.lstat().st_mtime_ns for path in host.rglob("*")}
    activated = []
    assert apply(host, entries(host, certificate), activated) == []
    assert {path: path.lstat().st_mtime_ns for path in host.rglob("*")} == before
    assert activated == [("activate", [])], "daemons are only made sure to run, none reloaded"


def test_a_failing_check_puts_the_previous_files_back(host, settings):
    (host / "etc/postfix").mkdir(parents=True)
    (host / "etc/postfix/main.cf").write_text("# the host's own main.cf\n")
    os.chmod(host / "etc/postfix/main.cf", 0o644)
    before = {path.relative_to(host): (path.read_bytes() if path.is_file() and not path.is_symlink() else
                                       os.readlink(path) if path.is_symlink() else None) for path in host.rglob("*")}
    activated = []
    # A certificate nginx cannot load: `nginx -t` fails after every file was written.
    broken = (b"-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n", b"no key\n")
    with pytest.raises(InstallError, match="nginx -t") as failure:
        apply(host, entries(host, broken), activated)
    assert "the previous files are back" in str(failure.value)
    after = {path.relative_to(host): (path.read_bytes() if path.is_file() and not path.is_symlink() else
                                      os.readlink(path) if path.is_symlink() else None) for path in host.rglob("*")
             if not path.is_relative_to(host / BACKUPS.lstrip("/"))}
    assert after[Path("etc/postfix/main.cf")] == b"# the host's own main.cf\n"
    assert after[Path("etc/nginx/sites-enabled/default")] == "/etc/nginx/sites-available/default"
    assert not (host / "etc/nginx/sites-available/mailadmin").exists()
    assert not (host / "etc/systemd/system/mailadmin.service").exists()
    assert {path: content for path, content in after.items() if content is not None} == {
        path: content for path, content in before.items() if content is not None}
    assert activated == [], "no daemon was touched before the checks passed"


def test_settings_files_keep_the_daemons_passwords_from_the_panel(tmp_path):
    values = environment.prepare(tmp_path, {"MAILADMIN_MAIL_HOSTNAME": "mx.example.net", "MAILADMIN_TLS": "acme"},
                                 group="root", log=lambda line: None)
    panel = (tmp_path / "etc/mailadmin/mailadmin.env")
    daemons = (tmp_path / "etc/mailadmin/daemons.env")
    assert oct(panel.stat().st_mode & 0o777) == "0o640" and oct(daemons.stat().st_mode & 0o777) == "0o600"
    assert values["MAILADMIN_DB_POSTFIX_PASSWORD"] in daemons.read_text()
    for secret in ("DB_POSTFIX_PASSWORD", "DB_DOVECOT_PASSWORD", "DB_REPLICATION_PASSWORD"):
        assert f"MAILADMIN_{secret}" not in panel.read_text()
    assert "MAILADMIN_DB_PANEL_PASSWORD=" in panel.read_text() and "MAILADMIN_HTTPS=1" in panel.read_text()
    assert "MAILADMIN_MAIL_SERVER=sudo" in panel.read_text(), "the panel reaches Dovecot through the helper"
    assert "MAILADMIN_ALLOWED_HOSTS=mx.example.net" in panel.read_text()
    again = environment.prepare(tmp_path, {"MAILADMIN_ACME_EMAIL": "hostmaster@example.net"}, group="root",
                                log=lambda line: None)
    assert again["MAILADMIN_DB_POSTFIX_PASSWORD"] == values["MAILADMIN_DB_POSTFIX_PASSWORD"], "stored, kept"
    assert again["MAILADMIN_MAIL_HOSTNAME"] == "mx.example.net" and "hostmaster@example.net" in panel.read_text()
    moved = environment.prepare(tmp_path, {"MAILADMIN_MAIL_HOSTNAME": "mail.example.net"}, group="root",
                                log=lambda line: None)
    assert moved["MAILADMIN_ALLOWED_HOSTS"] == "mail.example.net", "the panel answers to the new host name"


def test_settings_the_install_cannot_run_without_are_named(tmp_path):
    with pytest.raises(environment.SettingsError) as failure:
        environment.prepare(tmp_path, {"MAILADMIN_TLS": "files", "MAILADMIN_TLS_CERT_FILE": "/nowhere.pem"},
                            group="root", log=lambda line: None)
    assert "MAILADMIN_MAIL_HOSTNAME" in str(failure.value) and "MAILADMIN_TLS_CERT_FILE" in str(failure.value)
    assert not (tmp_path / "etc/mailadmin").exists(), "nothing stored"


def test_a_daemon_that_fails_to_start_gets_the_previous_files_back_and_a_restart(host):
    """activate() is the part that needs the host's systemd (tried in the lab); here it fails the
    way a daemon that does not come up fails, and the files and the restart it then asks for are
    what the host would see."""
    certificate = self_signed("mx.example.net")
    apply(host, entries(host, certificate))
    calls = []

    def activate(paths):
        calls.append("activate")
        raise ServiceError("postfix@-.service is failed; not answering on 465")

    def revert(paths):
        calls.append("revert")
        assert (host / TLS_CERT.lstrip("/")).read_bytes() == certificate[0], "the files are back first"

    with pytest.raises(InstallError, match="not answering on 465") as failure:
        apply_configuration(host, [*certificate_files(*self_signed("mx2")), *configuration_files(host)],
                            check=lambda: check_all(host, host=False), activate=activate, revert=revert,
                            log=lambda line: None)
    assert "the daemons run with them" in str(failure.value)
    assert calls == ["activate", "revert"], "the new files were tried, then the daemons brought back to the old"
    assert (host / TLS_CERT.lstrip("/")).read_bytes() == certificate[0]


# systemd sets the "no new privileges" flag for these (systemd.exec(5)); sudo then refuses to run.
NO_NEW_PRIVILEGES = ("NoNewPrivileges", "SystemCallFilter", "SystemCallArchitectures", "RestrictAddressFamilies",
                     "RestrictNamespaces", "PrivateDevices", "ProtectKernelTunables", "ProtectKernelModules",
                     "ProtectKernelLogs", "ProtectClock", "MemoryDenyWriteExecute", "RestrictRealtime",
                     "RestrictSUIDSGID", "DynamicUser", "LockPersonality")


def test_the_panel_unit_lets_sudo_reach_the_dovecot_helper_and_the_worker_is_locked_down(host):
    apply(host, entries(host))
    units = host / "etc/systemd/system"

    def options(unit):
        lines = (units / unit).read_text().splitlines()
        return {line.split("=", 1)[0]: line.split("=", 1)[1] for line in lines if "=" in line and line[0] != "#"}

    panel, worker = options("mailadmin.service"), options("mailadmin-mailstore.service")
    assert not set(NO_NEW_PRIVILEGES) & set(panel), "sudo refuses to run under no_new_privs"
    assert panel["User"] == "mailadmin" and panel["ProtectSystem"] == "full"
    assert worker["User"] == "vmail" and worker["NoNewPrivileges"] == "yes"
    assert worker["ProtectSystem"] == "strict"
    assert worker["ReadWritePaths"] == "/var/vmail -/var/lib/mailadmin/imports"  # and the uploaded imports


def test_a_daily_timer_runs_the_backup_as_root_and_the_install_enables_it(host):
    written = apply(host, entries(host))  # systemd-analyze verify passes both units (check_all)
    assert {f"/etc/systemd/system/mailadmin-backup.{kind}" for kind in ("timer", "service")} <= set(written)
    units = host / "etc/systemd/system"

    def options(unit):
        lines = (units / unit).read_text().splitlines()
        return {line.split("=", 1)[0]: line.split("=", 1)[1] for line in lines if "=" in line and line[0] != "#"}

    timer, service = options("mailadmin-backup.timer"), options("mailadmin-backup.service")
    assert timer["Persistent"] == "true" and timer["RandomizedDelaySec"] and timer["WantedBy"] == "timers.target"
    assert service["Type"] == "oneshot" and "User" not in service, "root: it reads every mail folder"
    assert service["ExecStart"].endswith("/.venv/bin/python manage.py backup")
    assert "mailadmin-backup.timer" in {unit.unit for unit in SERVICES}, "enabled and started by the install"


def test_a_process_given_the_production_settings_writes_no_secrets_file(tmp_path, monkeypatch):
    """The panel, the worker, and any command root runs with /etc/mailadmin/mailadmin.env: no
    secrets.json appears (one owned by root would stop the panel from starting), and the daemons'
    passwords are simply not known."""
    monkeypatch.setenv("MAILADMIN_DJANGO_SECRET_KEY", "k" * 50)
    monkeypatch.setenv("MAILADMIN_DB_PANEL_PASSWORD", "panel-password")
    for name in ("DB_POSTFIX_PASSWORD", "DB_DOVECOT_PASSWORD", "DB_REPLICATION_PASSWORD"):
        monkeypatch.delenv(f"MAILADMIN_{name}", raising=False)
    values = load_or_create(tmp_path)
    assert values["db_panel"] == "panel-password" and values["db_postfix"] == values["db_dovecot"] == ""
    assert not (tmp_path / "secrets.json").exists()
    monkeypatch.delenv("MAILADMIN_DJANGO_SECRET_KEY")
    assert len(load_or_create(tmp_path)["db_postfix"]) > 20, "the bundled stack still generates its secrets"
    assert (tmp_path / "secrets.json").exists()


def test_an_unknown_postfix_parameter_fails_the_check(host):
    """postconf exits 0 on a misspelt parameter; the install still refuses it."""
    files = [entry if entry.path != "/etc/postfix/main.cf" else
             replace(entry, content=entry.content + b"smtpd_tls_wrapermode = yes\n") for entry in entries(host)]
    with pytest.raises(InstallError, match="smtpd_tls_wrapermode"):
        apply(host, files)
    assert not (host / "etc/postfix/main.cf").exists()


@pytest.mark.parametrize(("path", "change", "said"), [
    ("/etc/systemd/system/mailadmin.service", (b"ProtectSystem=full", b"ProtectSystem=fully"),
     "protect system value, ignoring: fully"),
    ("/etc/dovecot/dovecot.conf", (b"ssl_min_protocol = TLSv1.2", b"ssl_protocols = !SSLv3"),
     "ssl_protocols has been replaced"),
    ("/etc/roundcube/config.inc.php", (b"$config['des_key'] = ", b"$config['des_key'] = ;"), "syntax error"),
])
def test_a_setting_the_daemon_would_ignore_fails_the_check(host, path, change, said):
    """systemd-analyze verify and doveconf exit 0 when they ignore a value; the install refuses it."""
    files = [entry if entry.path != path else replace(entry, content=entry.content.replace(*change))
             for entry in entries(host)]
    with pytest.raises(InstallError, match=said):
        apply(host, files)
    assert not (host / path.lstrip("/")).exists()


def test_a_checkout_the_panels_user_could_not_enter_is_refused():
    this_checkout = Path(__file__).resolve().parent.parent
    assert environment.checkout_problem(this_checkout) == ""
    with tempfile.TemporaryDirectory(dir=this_checkout / "var") as folder:  # every parent open, as the checkout's
        os.chmod(folder, 0o755)
        closed = Path(folder) / "root-only"
        (closed / "mailadmin").mkdir(parents=True, mode=0o755)
        os.chmod(closed, 0o700)
        assert f"{closed} does not let other users pass" in environment.checkout_problem(closed / "mailadmin")


def test_a_host_without_ipv6_gets_listeners_for_ipv4_alone(host, settings, tmp_path):
    """Dovecot told to listen on `::`, or nginx on `[::]:443`, does not start on a host without
    IPv6; the install renders for the address families the host has (MAILADMIN_IPV6=auto:
    whether the kernel lists an IPv6 address), or for the ones the setting names."""
    settings.MAILADMIN_IPV6 = "no"
    apply(host, entries(host))
    listen = subprocess.run(["doveconf", "-c", str(host / "etc/dovecot/dovecot.conf"), "listen"],
                            capture_output=True, text=True, check=True).stdout
    assert listen == "listen = *\n"
    assert postconf(host, "-h", "inet_protocols").strip() == "ipv4"
    site = (host / "etc/nginx/sites-available/mailadmin").read_text()
    assert "listen 443 ssl http2 default_server;" in site and "[::]" not in site

    addresses = tmp_path / "if_inet6"
    assert not config.host_has_ipv6(addresses), "no IPv6 in the kernel"
    addresses.write_text("")
    assert not config.host_has_ipv6(addresses), "IPv6 disabled (net.ipv6.conf.all.disable_ipv6=1)"
    addresses.write_text("00000000000000000000000000000001 01 80 10 80       lo\n")
    assert config.host_has_ipv6(addresses)


def test_a_checkout_without_git_is_new_code_when_its_files_change_and_only_then(tmp_path):
    """The panel and the worker restart when the code revision differs from the one stored at
    the last install: a release unpacked without git must have one that follows its files."""
    release = tmp_path / "mailadmin-release"
    (release / "domains").mkdir(parents=True)
    (release / "templates").mkdir()
    (release / "var").mkdir()
    (release / "domains/services.py").write_text("VERSION = 1\n")
    (release / "templates/base.html").write_text("<title>mailadmin</title>\n")
    first = code_revision(release)
    (release / "var/panel.log").write_text("what a run writes is not code\n")
    assert code_revision(release) == first, "unchanged code: no restart"
    (release / "templates/base.html").write_text("<title>mailadmin 2</title>\n")
    second = code_revision(release)
    assert second != first, "a changed template is new code"
    (release / "domains/services.py").write_text("VERSION = 2\n")
    assert code_revision(release) not in (first, second), "changed Python is new code"

    git = ["git", "-C", str(release), "-c", "user.name=t", "-c", "user.email=t@example.net"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "one"], check=True)
    committed = code_revision(release)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "two"], check=True)
    assert code_revision(release) != committed, "a new commit is a new revision"
