"""/healthz on the installed mx, asked as docs/production.md says: through nginx with the host's
name, and straight to the panel's socket; 503 naming Dovecot while it is stopped."""
import json

PARTS = {"database", "postfix", "dovecot", "spamd", "spamass-milter", "opendkim"}


def health(mx, *how) -> tuple[int, dict]:
    answer = mx.mx.run("curl", "-sS", "-w", "\n%{http_code}", *how, check=False).stdout
    body, _, status = answer.rpartition("\n")
    return int(status), json.loads(body)


def through_nginx(mx):
    return health(mx, "--cacert", str(mx.ca.cert), "--resolve", "mx.example.net:443:127.0.0.1",
                  "https://mx.example.net/healthz")


def through_the_socket(mx):
    return health(mx, "--unix-socket", "/run/mailadmin.sock", "http://mx.example.net/healthz")


def test_every_part_of_the_installed_host_answers(mx):
    for ask in (through_nginx, through_the_socket):
        assert ask(mx) == (200, {"status": "ok", "parts": dict.fromkeys(PARTS, "ok")})


def test_with_dovecot_stopped_the_answer_is_503_naming_dovecot_alone(mx):
    mx.mx.run("systemctl", "stop", "dovecot")
    try:
        status, answer = through_nginx(mx)
    finally:
        mx.mx.run("systemctl", "start", "dovecot")
    assert (status, answer["parts"]) == (503, dict.fromkeys(PARTS, "ok") | {"dovecot": "connection refused"})
