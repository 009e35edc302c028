"""Run on the lab's client host by benchmarks/lab_delivery.py (standard library only):

    python3 lab_sender.py '{"host": "mx.example.net", "ca": "...", "recipients": [...], "count": 400, ...}'

sends `count` ordinary messages to mx's port 25 over STARTTLS, as another mail server does,
in `connections` parallel sessions, and prints the time.monotonic() at which it started (JSON)."""
import json
import smtplib
import ssl
import sys
import threading
import time
from email.message import EmailMessage

BODY = "A short ordinary message about the meeting on Thursday, with the agenda below.\n" * 20


def session(host, context, messages, errors):
    try:
        with smtplib.SMTP(host, 25, timeout=120) as client:
            client.starttls(context=context)
            for message in messages:
                client.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        errors.append(repr(error))


def main(host, ca, recipients, count, connections, tag, sender="bench@client.example.com"):
    context = ssl.create_default_context(cafile=ca)
    messages = []
    for number in range(count):
        message = EmailMessage()
        message["From"], message["To"] = sender, recipients[number % len(recipients)]
        message["Subject"] = f"Benchmark {tag} {number}"
        message.set_content(BODY)
        messages.append(message)
    errors = []
    threads = [threading.Thread(target=session, args=(host, context, messages[n::connections], errors))
               for n in range(connections)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"started": started, "sent_in": time.monotonic() - started, "errors": errors}


if __name__ == "__main__":
    print(json.dumps(main(**json.loads(sys.argv[1]))))
