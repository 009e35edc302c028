"""The soak's clients, run in the client's namespace by tests/lab/test_soak.py with one JSON
argument; prints one JSON result: the latency of every request by kind, what was submitted (and
when), and every error or 5xx reply.

- IMAP clients (asyncio, IMAPS 993): log in, SELECT INBOX, IDLE, and every `fetch_every` seconds
  leave IDLE, fetch the flags of every message and IDLE again, until the end;
- submission clients (threads, 587 with STARTTLS and AUTH): one message every `submit_every`
  seconds each, to one of the soak's mailboxes;
- a billing client calling the API: usage, create a mailbox, suspend it;
- an admin browsing the panel with a signed-in session.
Uses the standard library only (the client host's python3)."""
import asyncio
import json
import smtplib
import ssl
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

config = json.loads(sys.argv[1])
HOST, DEADLINE = config["host"], time.time() + config["seconds"]
CONTEXT = ssl.create_default_context(cafile=config["ca"])
latencies: dict[str, list[float]] = {}
errors: list[str] = []
submitted: list[dict] = []


def timed(kind, started):
    latencies.setdefault(kind, []).append(time.perf_counter() - started)


class Imap:
    def __init__(self, reader, writer):
        self.reader, self.writer, self.number = reader, writer, 0

    async def command(self, text):
        self.number += 1
        tag = f"a{self.number}"
        self.writer.write(f"{tag} {text}\r\n".encode())
        await self.writer.drain()
        while True:
            line = (await asyncio.wait_for(self.reader.readline(), 60)).decode(errors="replace")
            if not line:
                raise ConnectionError(f"closed during {text.split()[0]}")
            if line.startswith(f"{tag} "):
                if not line.startswith(f"{tag} OK"):
                    raise RuntimeError(f"{text.split()[0]}: {line.strip()}")
                return

    async def idle(self, seconds):
        self.number += 1
        tag = f"a{self.number}"
        self.writer.write(f"{tag} IDLE\r\n".encode())
        await self.writer.drain()
        line = (await asyncio.wait_for(self.reader.readline(), 60)).decode()
        if not line.startswith("+"):
            raise RuntimeError(f"IDLE: {line.strip()}")
        try:
            while True:
                await asyncio.wait_for(self.reader.readline(), seconds)  # "* n EXISTS" and the like
        except TimeoutError:
            pass
        self.writer.write(b"DONE\r\n")
        await self.writer.drain()
        while not (await asyncio.wait_for(self.reader.readline(), 60)).decode().startswith(f"{tag} "):
            pass


async def imap_client(user, password, delay):
    await asyncio.sleep(delay)
    try:
        started = time.perf_counter()
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, 993, ssl=CONTEXT), 60)
        session = Imap(reader, writer)
        await asyncio.wait_for(reader.readline(), 60)
        await session.command(f'LOGIN "{user}" "{password}"')
        timed("imap_login", started)
        await session.command("SELECT INBOX")
        while time.time() < DEADLINE:
            await session.idle(min(config["fetch_every"], max(DEADLINE - time.time(), 0.1)))
            started = time.perf_counter()
            await session.command("UID FETCH 1:* (FLAGS)")
            timed("imap_fetch", started)
        await session.command("LOGOUT")
        writer.close()
    except Exception as error:  # noqa: BLE001 - every failure is reported
        errors.append(f"imap {user}: {error!r}")


def submitter(number):
    # Started in turn over the ramp, like the IMAP clients: a burst of first logins (each an Argon2
    # check) would outlast Postfix's 10 s wait for Dovecot's answer to SMTP AUTH.
    time.sleep(config["ramp_seconds"] * number / config["submission_clients"])
    user, password = config["submitters"][number % len(config["submitters"])]
    while time.time() < DEADLINE:
        to = config["recipients"][(number + len(submitted)) % len(config["recipients"])]
        message = EmailMessage()
        message["From"], message["To"] = user, to
        message["Subject"] = subject = f"lab soak submission {uuid.uuid4()}"
        message.set_content("Submitted during the soak.\n")
        started, sent = time.perf_counter(), time.time()
        try:
            with smtplib.SMTP(HOST, 587, timeout=60) as client:
                client.starttls(context=CONTEXT)
                client.login(user, password)
                client.send_message(message)
            timed("submission", started)
            submitted.append({"subject": subject, "to": to, "sent": sent})
        except Exception as error:  # noqa: BLE001
            errors.append(f"submission {user}: {error!r}")
        time.sleep(config["submit_every"])


def http(kind, method, path, body=None, headers=()):
    request = urllib.request.Request(f"https://{HOST}{path}", method=method, headers=dict(headers),
                                     data=json.dumps(body).encode() if body is not None else None)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, context=CONTEXT, timeout=60) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except Exception as error:  # noqa: BLE001
        errors.append(f"{kind} {path}: {error!r}")
        return None
    timed(kind, started)
    if status >= 400:
        errors.append(f"{kind} {method} {path}: {status}")
    return status


def billing():
    key = [("Authorization", f"Bearer {config['api_key']}")]
    number = 0
    while time.time() < DEADLINE:
        http("api_usage", "GET", "/api/v1/usage/", headers=key)
        address = f"billing-{number}-{uuid.uuid4().hex[:6]}@{config['domain']}"
        if http("api_create", "POST", "/api/v1/mailboxes/", {"address": address, "password": "a billing password 1"},
                headers=key) == 201:
            http("api_suspend", "POST", f"/api/v1/mailboxes/{address}/suspend/", {}, headers=key)
        number += 1
        time.sleep(config["api_every"])


def admin():
    cookie = [("Cookie", f"{config['cookie_name']}={config['cookie']}")]
    while time.time() < DEADLINE:
        for path in config["panel_paths"]:
            http("panel", "GET", path, headers=cookie)
        time.sleep(config["panel_every"])


async def main():
    # The long-lived client threads, and room beside them for the name lookups of the IMAP clients'
    # connections (asyncio resolves names in this executor).
    threads = config["submission_clients"] + 2
    asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=threads + 16))
    users = config["imap_users"]
    ramp = config["ramp_seconds"]
    await asyncio.gather(*(imap_client(user, password, ramp * number / max(len(users), 1))
                           for number, (user, password) in enumerate(users)),
                         *(asyncio.to_thread(submitter, number) for number in range(config["submission_clients"])),
                         asyncio.to_thread(billing), asyncio.to_thread(admin))


asyncio.run(main())
print(json.dumps({"latencies": latencies, "errors": errors, "submitted": submitted}))
