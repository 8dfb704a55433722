#!/usr/bin/env python3
"""forge_tokens.py: write the forged seeds of corpus/token/ (fuzz_token.c).

    python3 tests/fuzz/forge_tokens.py tests/fuzz/corpus/token

Each forged-* seed is signed with fuzz_token.c's FUZZ_KEY (unless it is
meant to fail at the signature), so that it reaches one check that
token_verify() makes after libjwt's: the pinned algorithm, the key id,
crit, exp, iat, nbf, iss, aud, jti, public_id. The claims-* seeds are for
the target's claims mode, which signs what the fuzzer makes of them. The
issued-* seeds come from token_issue() itself.
Not run by the build; rerun it when FUZZ_KEY or FUZZ_NOW changes.
"""
import base64
import hashlib
import hmac
import json
import os
import sys

KEY = b"fuzz_token: a fixed 32+ byte HMAC key, not a secret"
NOW = 1700000000
PID = "0b7e5b8e-3d1c-4a8e-9f00-6f2d3c4b5a69"
HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
          "HS512": hashlib.sha512}


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def seg(obj):
    return b64(obj.encode() if isinstance(obj, str) else
               json.dumps(obj, separators=(",", ":")).encode())


def sign(header, claims, alg="HS256", key=KEY):
    msg = seg(header) + "." + seg(claims)
    if alg is None:
        return msg + "."
    mac = hmac.new(key, msg.encode(), HASHES[alg]).digest()
    return msg + "." + b64(mac)


def claims(**over):
    c = {"exp": NOW + 1740, "iat": NOW - 60, "iss": "library-api",
         "jti": JTI, "public_id": PID}
    for k, v in over.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return c


JTI = "289087ad-4911-4f0e-8901-39a5c0f46c74"
H = {"alg": "HS256", "kid": "0", "typ": "JWT"}


def raw(exp, iat, extra=""):
    """Claims as text, for numbers and duplicates json.dumps cannot write."""
    return ('{"exp":%s,"iat":%s,"iss":"library-api","jti":"%s",'
            '"public_id":"%s"%s}' % (exp, iat, JTI, PID, extra))


SEEDS = {
    "forged-ok": sign(H, claims()),
    "forged-aud-ok": sign(H, claims(aud="library-api-clients")),
    "forged-aud-other": sign(H, claims(aud="someone-else")),
    "forged-aud-array": sign(H, claims(aud=["library-api-clients"])),
    "forged-nbf-ok": sign(H, claims(nbf=NOW - 10)),
    "forged-nbf-future": sign(H, claims(nbf=NOW + 31)),
    "forged-nbf-string": sign(H, claims(nbf="0")),
    "forged-alg-none": sign({"alg": "none", "kid": "0"}, claims(), None),
    "forged-alg-None": sign({"alg": "None", "kid": "0"}, claims(), None),
    "forged-hs384": sign({"alg": "HS384", "kid": "0", "typ": "JWT"},
                         claims(), "HS384"),
    "forged-hs512": sign({"alg": "HS512", "kid": "0"}, claims(), "HS512"),
    "forged-alg-lower": sign({"alg": "hs256", "kid": "0", "typ": "JWT"},
                             claims()),
    "forged-alg-rs256": sign({"alg": "RS256", "kid": "0"}, claims()),
    "forged-typ": sign({"alg": "HS256", "kid": "0", "typ": "JOSE"},
                       claims()),
    "forged-no-kid": sign({"alg": "HS256", "typ": "JWT"}, claims()),
    "forged-kid-unknown": sign({"alg": "HS256", "kid": "1"}, claims()),
    "forged-kid-int": sign({"alg": "HS256", "kid": 0}, claims()),
    "forged-crit": sign({"alg": "HS256", "kid": "0", "crit": ["exp"]},
                        claims()),
    "forged-kid-dup": sign('{"alg":"HS256","kid":"9","kid":"0"}', claims()),
    "forged-wrong-key": sign(H, claims(), key=b"x" * 32),
    "forged-expired": sign(H, claims(exp=NOW)),
    "forged-expired-leeway": sign(H, claims(exp=NOW - 29, iat=NOW - 100)),
    "forged-exp-string": sign(H, claims(exp=str(NOW + 100))),
    "forged-exp-float": sign(H, claims(exp=NOW + 100.5)),
    "forged-exp-max": sign(H, raw("9223372036854775807", NOW - 1)),
    "forged-exp-uint64": sign(H, raw("18446744073709551615", NOW - 1)),
    "forged-exp-huge": sign(H, raw("99999999999999999999999", NOW - 1)),
    "forged-exp-min": sign(H, raw("-9223372036854775808", NOW - 1)),
    "forged-no-exp": sign(H, claims(exp=None)),
    "forged-iat-future": sign(H, claims(iat=NOW + 31)),
    "forged-iat-next-second": sign(H, claims(iat=NOW + 1)),
    "forged-iat-after-exp": sign(H, claims(iat=NOW + 10, exp=NOW + 5)),
    "forged-iat-min": sign(H, raw(NOW + 100, "-9223372036854775808")),
    "forged-no-iat": sign(H, claims(iat=None)),
    "forged-iss": sign(H, claims(iss="library-api ")),
    "forged-iss-int": sign(H, claims(iss=1)),
    "forged-no-jti": sign(H, claims(jti=None)),
    "forged-short-jti": sign(H, claims(jti="j")),
    "forged-pid-short": sign(H, claims(public_id=PID[:-1])),
    "forged-pid-long": sign(H, claims(public_id=PID + "0")),
    "forged-pid-int": sign(H, claims(public_id=42)),
    "forged-pid-nul": sign(H, raw(NOW + 100, NOW - 1).replace(
        '"public_id":"0b7e', '"public_id":"\\u0000b7e')),
    "forged-dup-alg": sign('{"alg":"none","alg":"HS256","kid":"0"}',
                           claims()),
    "forged-dup-iss": sign(H, raw(NOW + 100, NOW - 1, ',"iss":"evil"')),
    "forged-header-array": sign("[1]", claims()),
    "forged-payload-garbage": sign(H, "not json"),
    "forged-two-segments": seg(H) + "." + seg(claims()),
    "forged-padded-sig": sign(H, claims()) + "=",
}

# Claims mode of fuzz_token.c: "CLAIMS[\nHEADER]", signed by the target.
CLAIMS = {
    "claims-ok": raw(NOW + 100, NOW - 1),
    "claims-aud": raw(NOW + 100, NOW - 1, ',"aud":"library-api-clients"'),
    "claims-exp-max": raw("9223372036854775807", NOW - 1),
    "claims-exp-min": raw("-9223372036854775808", NOW - 1),
    "claims-iat-max": raw(NOW + 100, "9223372036854775807"),
    "claims-nbf-max": raw(NOW + 100, NOW - 1, ',"nbf":9223372036854775807'),
    "claims-types": '{"exp":true,"iat":null,"iss":["library-api"],'
                    '"jti":{},"public_id":1.5}',
    "claims-kid": raw(NOW + 100, NOW - 1) + '\n{"kid":"1","typ":"JWT"}',
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    for name, tok in list(SEEDS.items()) + list(CLAIMS.items()):
        with open(os.path.join(out, name), "w") as f:
            f.write(tok)


if __name__ == "__main__":
    main()
