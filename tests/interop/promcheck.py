#!/usr/bin/env python3
"""Strict check of a Prometheus text exposition (format 0.0.4) for t_metrics.sh.

promcheck.py FILE : reads FILE (bytes), checks it line by line against the
format (prometheus.io/docs/instrumenting/exposition_formats) and the rules a
scrape enforces (UTF-8; "# HELP" / "# TYPE" once per family, TYPE before the
family's samples; samples of a family together; metric names
[a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*; label values
with only the escapes \\\\, \\" and \\n; counters named *_total; no series twice;
values that parse as floats), then parses it again with the reference Python
parser (prometheus_client.parser) and requires both to see the same samples.
Prints one canonical "name{label=value,...} value" line per sample (labels
sorted, values unescaped and JSON-quoted) and exits 0; on the first problem
prints "error: line N: why" and exits 1.
"""
import json
import re
import sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')


def fail(n, why):
    print(f"error: line {n}: {why}")
    sys.exit(1)


def parse_labels(s, n):
    """s starts after '{'; returns (dict, rest after '}')"""
    labels, i = {}, 0
    while True:
        if s[i:i + 1] == '}':
            return labels, s[i + 1:]
        if labels:
            if s[i:i + 1] != ',':
                fail(n, "labels not separated by ','")
            i += 1
        m = LABEL.match(s, i)
        if not m or s[m.end():m.end() + 2] != '="':
            fail(n, 'bad label name')
        name, i = m.group(0), m.end() + 2
        val = []
        while True:
            if i >= len(s):
                fail(n, 'unterminated label value')
            c = s[i]
            if c == '"':
                i += 1
                break
            if c == '\\':
                e = s[i + 1:i + 2]
                if e not in ('\\', '"', 'n'):
                    fail(n, f'bad escape \\{e} in a label value')
                val.append('\n' if e == 'n' else e)
                i += 2
                continue
            val.append(c)
            i += 1
        if name in labels:
            fail(n, f'label {name} twice')
        labels[name] = ''.join(val)


def strict(text):
    fams, types, cur, seen, out = set(), {}, None, set(), []
    if not text.endswith('\n'):
        fail(0, 'no line feed at the end')
    for n, line in enumerate(text[:-1].split('\n'), 1):
        if any(ord(c) < 0x20 or ord(c) == 0x7f or 0x80 <= ord(c) <= 0x9f for c in line):
            fail(n, 'control character')
        if line.startswith('# HELP ') or line.startswith('# TYPE '):
            parts = line[7:].split(' ', 1)
            if len(parts) != 2 or not NAME.fullmatch(parts[0]) or not parts[1]:
                fail(n, 'bad HELP/TYPE line')
            name, rest = parts
            if line[2] == 'H':
                if re.search(r'\\[^\\n]', rest):
                    fail(n, 'bad escape in HELP')
                if name in types:
                    fail(n, 'HELP after TYPE')
                continue
            if rest not in ('counter', 'gauge'):
                fail(n, f'unexpected type {rest}')
            if name in types:
                fail(n, 'TYPE twice')
            if rest == 'counter' and not name.endswith('_total'):
                fail(n, 'counter not named *_total')
            types[name] = rest
            cur = name
            continue
        if line.startswith('#') or not line:
            fail(n, 'unexpected comment or empty line')
        m = NAME.match(line)
        if not m:
            fail(n, 'bad metric name')
        name, rest = m.group(0), line[m.end():]
        if name != cur:
            fail(n, f'sample of {name} outside its family')
        labels = {}
        if rest.startswith('{'):
            labels, rest = parse_labels(rest[1:], n)
        if not rest.startswith(' ') or ' ' in rest[1:]:
            fail(n, 'value missing, or a timestamp')
        try:
            value = float(rest[1:])
        except ValueError:
            fail(n, f'value {rest[1:]!r} is not a number')
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            fail(n, 'series twice')
        seen.add(key)
        out.append((key, value))
    return out


def canon(key, value):
    name, labels = key
    lab = ','.join(f'{k}={json.dumps(v, ensure_ascii=False)}' for k, v in labels)
    v = int(value) if value.is_integer() else value
    return f'{name}{{{lab}}} {v}'


def main():
    raw = open(sys.argv[1], 'rb').read()
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError as e:
        fail(0, f'not UTF-8: {e}')
    mine = strict(text)
    from prometheus_client.parser import text_string_to_metric_families
    theirs = []
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            theirs.append(((s.name, tuple(sorted(s.labels.items()))), s.value))
    if sorted(mine) != sorted(theirs):
        a, b = set(mine), set(theirs)
        fail(0, f'prometheus_client reads it differently: only ours {sorted(a - b)[:3]}, '
                f'only theirs {sorted(b - a)[:3]}')
    for key, value in mine:
        print(canon(key, value))


main()
