"""Black-box client for PeerInteropTest: drives the server with Python's smtplib.

Usage: smtplib_client.py HOST PORT. Prints one JSON object with what each step answered.
smtplib does not pipeline by itself, so the pipelined group is written in one send() and the
replies are read back with getreply(), as RFC 2920 allows.
"""
import json
import re
import smtplib
import sys

host, port = sys.argv[1], int(sys.argv[2])
out = {}
s = smtplib.SMTP(host, port, local_hostname="py.client.test", timeout=20)
out["ehlo"] = s.ehlo("py.client.test")[0]
out["pipelining"] = s.has_extn("pipelining")
out["smtputf8"] = s.has_extn("smtputf8")
out["chunking"] = s.has_extn("chunking")
out["size"] = s.esmtp_features.get("size")

# one write: MAIL, three RCPTs, DATA; then the five replies in order
s.send(b"MAIL FROM:<py@example.test>\r\nRCPT TO:<r1@example.test>\r\n"
       b"RCPT TO:<r2@example.test>\r\nRCPT TO:<r3@example.test>\r\nDATA\r\n")
out["pipelined"] = [s.getreply()[0] for _ in range(5)]
body = b"Subject: pipelined\r\n\r\n.leading dot\r\nline\r\n"
s.send(re.sub(rb"(?m)^\.", b"..", body) + b".\r\n")
out["pipelined_data"] = s.getreply()[0]

# smtplib's own path, two recipients
out["sendmail_refused"] = s.sendmail("py2@example.test", ["r4@example.test", "r5@example.test"],
                                     b"Subject: plain\r\n\r\nbody\r\n")

# SMTPUTF8 addresses
out["utf8_refused"] = s.sendmail("\u00fcnicode@\u4f8b\u3048.jp", ["\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a"],
                                 "Subject: utf8\r\n\r\nhej \u00fc\r\n".encode("utf-8"),
                                 mail_options=["SMTPUTF8"])

# a non-ASCII address without SMTPUTF8 is refused
s.send("MAIL FROM:<\u00fc@example.test>\r\n".encode("utf-8"))
code, msg = s.getreply()
out["utf8_without_param"] = [code, msg.decode()]
s.quit()
print(json.dumps(out))
