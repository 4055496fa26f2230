#!/usr/bin/env python3
"""Generates canonical-json.json, the fixture table for CanonicalJSONTests.

Run once; the output is committed. Each case holds an object, written two ways as base64:
`input` is a non-canonical rendering (indented, keys in insertion order, non-ASCII and control
characters as \\u escapes, surrogate pairs for non-BMP), and `canonical` is the exact bytes of
json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False) in UTF-8, which is
what docs/formats.md says every entry's bytes equal.
"""
import base64
import json
import random

MAX = 2**53 - 1
CONTROLS = "".join(chr(c) for c in range(0x20))
KAZAKH = "әғқңөұүһі ӘҒҚҢӨҰҮҺІ"
RUSSIAN = "Съешь же ещё этих мягких французских булок"
EMOJI = "\U0001F600\U0001F510\U0001F1F0\U0001F1FF"
ALPHABET = list(CONTROLS) + ['"', "\\", "/", "\x7f", "\u2028", "\u2029", "\u0080", "\u009f",
                             "\ufeff", "\ufffd", "\uffff", "\U00010000", "\U0010ffff"] \
    + list(KAZAKH) + list(RUSSIAN) + list(EMOJI) + list("az AZ09_.-+=")

cases = []


def add(name, obj):
    cases.append((name, obj))


add("empty object", {})
add("empty string", {"a": ""})
add("quote", {"q": '"'})
add("backslash", {"b": "\\"})
add("solidus is not escaped", {"s": "/a/b/"})
add("quotes and backslashes", {"x": 'say "hi" \\ "bye" \\\\'})
for c in range(0x20):
    add(f"control 0x{c:02x}", {"c": chr(c)})
add("all controls", {"c": CONTROLS})
add("DEL", {"d": "\x7f"})
add("C1 controls", {"d": "\x80\x85\x9f"})
add("U+2028 and U+2029", {"ls": "a\u2028b\u2029c"})
add("Kazakh", {"kk": KAZAKH})
add("Russian", {"ru": RUSSIAN})
add("emoji (non-BMP)", {"e": EMOJI})
add("BOM and noncharacters", {"n": "\ufeff\ufffe\uffff"})
add("integers", {"zero": 0, "one": 1, "minus": -1, "max": MAX, "min": -MAX,
                 "big": 1234567890123456, "neg": -987654321})
add("booleans", {"t": True, "f": False})
add("key order by code point", {"b": 1, "a": 2, "B": 3, "A": 4, "_": 5, "a_b": 6, "ab": 7,
                                "a0": 8, "aa": 9, "Z": 10, "z": 11, "9": 12, "10": 13})
add("nested", {"outer": {"z": [1, "two", {"y": True, "x": [], "w": {}}], "a": {"c": 1, "b": 2}}})
add("arrays keep order", {"list": [3, 1, 2, "b", "a", [], [[]], {"k": "v"}]})
add("deep", {"a": {"b": {"c": {"d": {"e": {"f": [[[["deep"]]]]}}}}}})
add("entry-like", {"v": 1, "seq": 42, "time": "2026-11-25T10:15:30.123Z", "event": "key.use",
                   "owner": "Әлия Қасымова", "salt": "AAECAwQFBgcICQoLDA0ODw==",
                   "key": "k-1", "doc": "ab" * 32, "alg": "ECGOST34310"})
add("genesis-like", {"v": 1, "origin": "tamga.example.kz/log",
                     "verifierKey": "tamga.example.kz/log+0a1b2c3d+AQ" + "A" * 42,
                     "timeZone": "Asia/Almaty", "startDate": "2026-11-23"})

rng = random.Random(8785)
for i in range(12):
    obj = {}
    for j in range(rng.randint(1, 6)):
        key = rng.choice("abcdefgXYZ") + "".join(rng.choice("abcxyz019_") for _ in range(rng.randint(0, 4)))
        kind = rng.randint(0, 3)
        if kind == 0:
            obj[key] = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 24)))
        elif kind == 1:
            obj[key] = rng.randint(-MAX, MAX)
        elif kind == 2:
            obj[key] = [rng.choice(ALPHABET) * rng.randint(1, 3), rng.randint(-1000, 1000), rng.random() < 0.5]
        else:
            obj[key] = {"s": "".join(rng.choice(ALPHABET) for _ in range(8)), "i": rng.randint(-MAX, MAX)}
    add(f"random {i}", obj)

out = []
for name, obj in cases:
    canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    loose = json.dumps(obj, indent=2, ensure_ascii=True).encode("ascii")
    out.append({"name": name,
                "input": base64.b64encode(loose).decode("ascii"),
                "canonical": base64.b64encode(canonical).decode("ascii")})

with open("canonical-json.json", "w", encoding="ascii") as f:
    json.dump(out, f, indent=1, ensure_ascii=True)
    f.write("\n")
print(len(out), "cases")
