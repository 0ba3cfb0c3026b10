#!/usr/bin/python3
"""A small SMTP/LMTP server for client tests that records what it receives, byte for byte.

aiosmtpd 1.4 has no BDAT, so this is a raw asyncio server (standard library only). It listens
on 127.0.0.1 (--port 0 = any free port) and prints "PORT <n>" on stdout once ready.

Every event is appended to --log as one JSON line, flushed before any reply to it is sent:
  {"ev": "connect", "conn": c}
  {"ev": "cmd",  "conn": c, "read": r, "line": "MAIL FROM:<a@b>"}
  {"ev": "data", "conn": c, "raw": "..."}        bytes after the 354 up to and including the final
                                                  ".\r\n", dot-stuffed as received (latin-1)
  {"ev": "bdat", "conn": c, "read": r, "size": n, "last": true|false, "raw": "..."}
  {"ev": "tls",  "conn": c}
  {"ev": "close", "conn": c}
"read" is the number of the recv() that completed the line: commands the client sent in one
write (PIPELINING) share it. Replies are sent only once no complete command is left in the
input, as Postfix does, so a pipelined group gets its replies in one write too.

Behaviour:
  --ext "KEYWORD [params]"  an EHLO/LHLO extension (repeatable), e.g. PIPELINING, CHUNKING,
                            "SIZE 1000", 8BITMIME, SMTPUTF8, DSN; STARTTLS is added with --tls-cert
  --lmtp                    LHLO instead of EHLO, one reply per accepted recipient after the body
  --greeting "CODE text"    another greeting (then only QUIT is accepted)
  --mail-reply "CODE text"  the answer to MAIL
  --data-reply "CODE text"  the answer after the body (SMTP)
  --hang STAGE              never answer at STAGE: CONNECT (no greeting), EHLO, MAIL, RCPT, DATA,
                            END (after the body) or BDAT
  --tls-cert PEM --tls-key PEM   offer STARTTLS
Recipients: a local part starting with "tempfail" gets 451 4.2.0, "permfail" 550 5.1.1; in LMTP
"datafail" gets 452 4.2.2 after the body. Everything else is accepted.
"""

import argparse
import asyncio
import itertools
import json
import ssl
import sys

ARGS = None
LOG = None
CONNS = itertools.count(1)


def log(**ev):
    LOG.write(json.dumps(ev) + "\n")
    LOG.flush()


class Hang(Exception):
    pass


class Session:
    def __init__(self, reader, writer, conn):
        self.reader = reader
        self.writer = writer
        self.conn = conn
        self.buf = b""
        self.reads = 0
        self.out = []
        self.tls = False
        self.in_tx = False
        self.rcpts = []

    async def more(self):
        """Sends the queued replies, then waits for more input."""
        await self.flush()
        chunk = await self.reader.read(65536)
        if not chunk:
            raise EOFError()
        self.reads += 1
        self.buf += chunk

    async def flush(self):
        if self.out:
            self.writer.write(b"".join(self.out))
            self.out = []
            await self.writer.drain()

    def reply(self, text):
        lines = text.split("\n")
        for i, l in enumerate(lines):
            code, rest = l[:3], l[4:] if len(l) > 3 else ""
            sep = " " if i == len(lines) - 1 else "-"
            self.out.append((code + sep + rest + "\r\n").encode("utf-8"))

    async def hang(self, stage):
        if ARGS.hang == stage:
            await self.flush()
            await asyncio.sleep(3600)
            raise Hang()

    async def line(self):
        while b"\n" not in self.buf:
            await self.more()
        i = self.buf.index(b"\n")
        raw, self.buf = self.buf[: i + 1], self.buf[i + 1 :]
        return raw.rstrip(b"\r\n").decode("utf-8", "replace")

    async def take(self, n):
        while len(self.buf) < n:
            await self.more()
        raw, self.buf = self.buf[:n], self.buf[n:]
        return raw

    def greeting(self):
        return ARGS.greeting or "220 recorder ESMTP"

    async def run(self):
        log(ev="connect", conn=self.conn)
        await self.hang("CONNECT")
        self.reply(self.greeting())
        refused = not self.greeting().startswith("2")
        while True:
            line = await self.line()
            log(ev="cmd", conn=self.conn, read=self.reads, line=line)
            verb = line.split(" ", 1)[0].upper()
            if verb == "QUIT":
                self.reply("221 2.0.0 bye")
                await self.flush()
                return
            if refused:
                self.reply("503 5.5.1 not now")
            elif verb in ("EHLO", "LHLO"):
                await self.hang("EHLO")
                if (verb == "LHLO") != ARGS.lmtp:
                    self.reply("500 5.5.1 wrong protocol")
                    continue
                ext = list(ARGS.ext)
                if ARGS.tls_cert and not self.tls:
                    ext.append("STARTTLS")
                self.reply("\n".join(["250 recorder"] + ["250 " + e for e in ext]))
            elif verb == "HELO":
                self.reply("250 recorder")
            elif verb == "STARTTLS" and ARGS.tls_cert and not self.tls:
                self.reply("220 2.0.0 ready to start TLS")
                await self.flush()
                if self.buf:
                    log(ev="plaintext_after_starttls", conn=self.conn, raw=self.buf.decode("latin-1"))
                    self.buf = b""
                ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                ctx.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
                await self.writer.start_tls(ctx)
                self.tls = True
                self.in_tx = False
                log(ev="tls", conn=self.conn)
            elif verb == "MAIL":
                await self.hang("MAIL")
                r = ARGS.mail_reply or "250 2.1.0 ok"
                self.in_tx = r.startswith("2")
                self.rcpts = []
                self.reply(r)
            elif verb == "RCPT":
                await self.hang("RCPT")
                if not self.in_tx:
                    self.reply("503 5.5.1 need MAIL")
                    continue
                local = line.split("<", 1)[-1].split("@", 1)[0].lower()
                if local.startswith("tempfail"):
                    self.reply("451 4.2.0 simulated temporary failure")
                elif local.startswith("permfail"):
                    self.reply("550 5.1.1 simulated unknown user")
                else:
                    self.rcpts.append(local)
                    self.reply("250 2.1.5 ok")
            elif verb == "DATA":
                await self.hang("DATA")
                if not self.in_tx:
                    self.reply("503 5.5.1 need MAIL")
                elif not self.rcpts:
                    self.reply("554 5.5.1 no valid recipients")
                else:
                    self.reply("354 go ahead")
                    await self.data()
            elif verb == "BDAT":
                await self.bdat(line)
            elif verb in ("RSET", "NOOP"):
                self.in_tx = self.in_tx and verb == "NOOP"
                self.reply("250 2.0.0 ok")
            else:
                self.reply("500 5.5.2 unknown command")

    async def data(self):
        while True:
            if self.buf.startswith(b".\r\n"):
                end = 3
                break
            i = self.buf.find(b"\r\n.\r\n")
            if i >= 0:
                end = i + 5
                break
            await self.more()
        raw, self.buf = self.buf[:end], self.buf[end:]
        log(ev="data", conn=self.conn, raw=raw.decode("latin-1"))
        await self.hang("END")
        self.final()

    async def bdat(self, line):
        parts = line.split()
        n = int(parts[1])
        last = len(parts) > 2 and parts[2].upper() == "LAST"
        raw = await self.take(n)
        log(ev="bdat", conn=self.conn, read=self.reads, size=n, last=last, raw=raw.decode("latin-1"))
        await self.hang("BDAT")
        if not self.in_tx or not self.rcpts:
            self.reply("503 5.5.1 no valid recipients")
        elif not last:
            self.reply("250 2.0.0 %d octets received" % n)
        else:
            self.final()

    def final(self):
        if ARGS.lmtp:
            for r in self.rcpts:
                if r.startswith("datafail"):
                    self.reply("452 4.2.2 simulated mailbox full for " + r)
                else:
                    self.reply("250 2.0.0 delivered to " + r)
        else:
            self.reply(ARGS.data_reply or "250 2.0.0 queued as R%d" % self.conn)
        self.in_tx = False
        self.rcpts = []


async def handle(reader, writer):
    s = Session(reader, writer, next(CONNS))
    try:
        await s.run()
    except (EOFError, ConnectionError, Hang, asyncio.CancelledError, ssl.SSLError):
        pass
    finally:
        log(ev="close", conn=s.conn)
        writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", ARGS.port)
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log", required=True)
    p.add_argument("--ext", action="append", default=[])
    p.add_argument("--lmtp", action="store_true")
    p.add_argument("--greeting")
    p.add_argument("--mail-reply")
    p.add_argument("--data-reply")
    p.add_argument("--hang", choices=["CONNECT", "EHLO", "MAIL", "RCPT", "DATA", "END", "BDAT"])
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    ARGS = p.parse_args()
    LOG = open(ARGS.log, "a", encoding="utf-8")
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
