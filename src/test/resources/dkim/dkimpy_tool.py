"""dkimpy as an independent DKIM oracle for the Java tests, with key records from a real DNS
server on loopback (dkimverify itself only uses the system resolver).

  verify PORT FILE...          -> JSON [{"file": F, "results": [{"ok": bool, "error": str|null}, ...]}]
                                  one result per DKIM-Signature field, top to bottom
  sign-length SEL DOMAIN KEY ALG HCANON BCANON < message > signed message, with an l= tag
  sign-batch SEL DOMAIN KEY ALG HCANON BCANON OUTDIR FILE...
                               -> OUTDIR/<name of FILE>: each message signed exactly as dkimsign does
                                  (one process for many messages)
"""
import os
import json
import sys

import dkim
import dkim.util
import dns.resolver


def resolver(port):
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = ['127.0.0.1']
    r.port = port
    r.lifetime = 5

    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        try:
            answer = r.resolve(name, 'TXT')
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        return b''.join(b''.join(rr.strings) for rr in answer)

    return dnsfunc


def verify(port, files):
    dnsfunc = resolver(port)
    out = []
    for path in files:
        with open(path, 'rb') as f:
            message = f.read()
        count = sum(1 for name, _ in dkim.DKIM(message).headers if name.lower() == b'dkim-signature')
        results = []
        for i in range(count):
            try:
                ok = bool(dkim.DKIM(message).verify(idx=i, dnsfunc=dnsfunc))
                results.append({'ok': ok, 'error': None})
            except Exception as e:  # dkimpy raises on a body hash mismatch and malformed input
                results.append({'ok': False, 'error': '%s: %s' % (type(e).__name__, e)})
        out.append({'file': path, 'results': results})
    print(json.dumps(out))


def sign_length(selector, domain, keyfile, alg, hcanon, bcanon):
    message = sys.stdin.buffer.read()
    with open(keyfile, 'rb') as f:
        key = f.read()
    sig = dkim.sign(message, selector.encode(), domain.encode(), key,
                    canonicalize=(hcanon.encode(), bcanon.encode()),
                    signature_algorithm=alg.encode(), length=True)
    sys.stdout.buffer.write(sig + message)


def sign_batch(selector, domain, keyfile, alg, hcanon, bcanon, outdir, files):
    with open(keyfile, 'rb') as f:
        key = f.read()
    for path in files:
        with open(path, 'rb') as f:
            message = f.read()
        # the calls of dkimsign (dkim/dkimsign.py), minus its stdin/stdout handling
        d = dkim.DKIM(message, signature_algorithm=alg.encode(),
                      linesep=dkim.util.get_linesep(message))
        sig = d.sign(selector.encode(), domain.encode(), key,
                     canonicalize=(hcanon.encode(), bcanon.encode()))
        with open(os.path.join(outdir, os.path.basename(path)), 'wb') as f:
            f.write(sig + message)


if __name__ == '__main__':
    if sys.argv[1] == 'verify':
        verify(int(sys.argv[2]), sys.argv[3:])
    elif sys.argv[1] == 'sign-length':
        sign_length(*sys.argv[2:8])
    elif sys.argv[1] == 'sign-batch':
        sign_batch(*sys.argv[2:9], sys.argv[9:])
    else:
        sys.exit('unknown command ' + sys.argv[1])
