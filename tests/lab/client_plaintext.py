"""IMAP (143), POP3 (110) and ManageSieve (4190) spoken by hand from the lab's client, before
and after STARTTLS, run there by the system's python3 (standard library only):

    python3 client_plaintext.py PROTOCOL '{"host": ..., "user": ..., "password": ..., "ca": ...}'

prints one JSON object: what the server offered and answered on the plain connection, and the
answer to the same login once TLS (checked against the lab CA) is on.
"""
import base64
import json
import socket
import ssl
import sys

TIMEOUT = 30


class Line:
    """A line-based connection that can be switched to TLS."""

    def __init__(self, host, port):
        self.host = host
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.file = self.sock.makefile("rb")

    def send(self, text):
        self.sock.sendall(text.encode() + b"\r\n")

    def line(self):
        return self.file.readline().decode().rstrip("\r\n")

    def until(self, done):
        """Lines up to and including the first for which done(line) is true."""
        lines = [self.line()]
        while not done(lines[-1]):
            lines.append(self.line())
        return lines

    def starttls(self, ca):
        self.sock = ssl.create_default_context(cafile=ca).wrap_socket(self.sock, server_hostname=self.host)
        self.file = self.sock.makefile("rb")

    def close(self):
        self.sock.close()


def imap(host, user, password, ca):
    connection = Line(host, 143)
    connection.line()  # the greeting

    def tagged(tag):
        return lambda line: line.startswith(f"{tag} ")

    connection.send("a CAPABILITY")
    capability = next(line for line in connection.until(tagged("a")) if line.startswith("* CAPABILITY"))
    connection.send(f'b LOGIN "{user}" "{password}"')
    plain = connection.until(tagged("b"))[-1]
    connection.send("c STARTTLS")
    connection.until(tagged("c"))
    connection.starttls(ca)
    connection.send(f'd LOGIN "{user}" "{password}"')
    secure = connection.until(tagged("d"))[-1]
    connection.close()
    return {"capability": capability.split()[2:], "login": plain, "login_after_starttls": secure}


def pop3(host, user, password, ca):
    connection = Line(host, 110)
    connection.line()
    connection.send("CAPA")
    capability = connection.until(lambda line: line == "." or line.startswith("-ERR"))
    connection.send(f"USER {user}")
    plain_user = connection.line()
    connection.send(f"PASS {password}")
    plain_pass = connection.line()
    connection.send("STLS")
    connection.line()
    connection.starttls(ca)
    connection.send(f"USER {user}")
    connection.line()
    connection.send(f"PASS {password}")
    secure = connection.line()
    connection.close()
    return {"capability": capability[1:-1], "user": plain_user, "pass": plain_pass, "pass_after_starttls": secure}


def managesieve(host, user, password, ca):
    def answer(line):
        return line.split(" ", 1)[0] in ("OK", "NO", "BYE")

    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    connection = Line(host, 4190)
    greeting = connection.until(answer)
    connection.send(f'AUTHENTICATE "PLAIN" "{token}"')
    plain = connection.until(answer)[-1]
    connection.close()
    # A new connection: Dovecot 2.3.19 refuses any later AUTHENTICATE on one where it was tried
    # before STARTTLS ("Authentication failed.").
    connection = Line(host, 4190)
    connection.until(answer)
    connection.send("STARTTLS")
    connection.until(answer)
    connection.starttls(ca)
    connection.until(answer)  # the capabilities again, over TLS
    connection.send(f'AUTHENTICATE "PLAIN" "{token}"')
    secure = connection.until(answer)[-1]
    connection.close()
    return {"capabilities": greeting[:-1], "authenticate": plain, "authenticate_after_starttls": secure}


if __name__ == "__main__":
    protocol, arguments = sys.argv[1], json.loads(sys.argv[2])
    print(json.dumps({"imap": imap, "pop3": pop3, "managesieve": managesieve}[protocol](**arguments)))
