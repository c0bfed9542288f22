#!/usr/bin/python3
"""Makes plexus.conf.d(5) from its template and "plexusd --keys": the line
@KEYS@ of the template becomes a subsection per section ([host],
[plugin], then each module's own section) listing every key the host's
parser and the plugins' declared schemas accept, with its type, default,
range, choices and help, so that the page cannot list a key plexusd would
refuse or miss one it takes.  @VERSION@ becomes the version.

Usage: mkconfpage.py TEMPLATE KEYS_JSON VERSION > plexus.conf.d.5
"""

import json
import sys

TYPES = {
    "string": "string",
    "int": "integer",
    "bool": "boolean",
    "double": "number",
    "ipv4": "IPv4 address",
    "ipv6": "IPv6 address",
    "prefix": "IPv4 or IPv6 prefix",
    "mac": "MAC address",
    "port": "port",
    "duration": "duration",
    "enum_list": "list",
}


def esc(text):
    """Text for a groff line: backslashes escaped, and a line that would
    start with a control character protected."""
    text = text.replace("\\", "\\e")
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def number(x):
    return ("%d" % x) if float(x).is_integer() else ("%g" % x)


def key_entry(k):
    """A key as a tagged paragraph: its name, then its type, choices, range
    and default in parentheses, then its help."""
    facts = [TYPES.get(k["type"], k["type"])]
    if k.get("choices"):
        facts.append(("each of " if k["type"] == "enum_list" else "one of ")
                     + ", ".join(k["choices"].split("|")))
    if k.get("min") is not None or k.get("max") is not None:
        facts.append("%s to %s" % (number(k["min"]), number(k["max"])))
    facts = [f.replace("\\", "\\e") for f in facts]
    if k.get("default") is not None:
        facts.append("default \\(lq%s\\(rq"
                     % k["default"].replace("\\", "\\e"))
    out = [".TP", ".B %s" % esc(k["key"]), "(" + "; ".join(facts) + ")"]
    if k.get("help"):
        out.append(esc(k["help"]))
    return out


def section(title, intro, keys):
    out = [".SS %s" % title]
    if intro:
        out.append(esc(intro))
    if not keys:
        out.append("This section takes no keys.")
    for k in keys:
        out.extend(key_entry(k))
    return out


def render(keys):
    out = section("[host]", "In one file of the directory, by convention "
                  "00-host.ini.", keys["host"])
    out += section("[plugin]", "In every file that describes a plugin "
                   "instance, one per file.", keys["plugin"])
    for m in keys["modules"]:
        out += section("[%s]" % m["name"],
                       "The %s module (%s): %s." % (
                           m["name"], m["version"],
                           m["description"].rstrip(".")),
                       m["keys"])
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    template, keys_path, version = sys.argv[1:]
    with open(keys_path) as f:
        keys = json.load(f)
    lines = []
    with open(template) as f:
        for line in f:
            line = line.rstrip("\n")
            if line == "@KEYS@":
                lines.extend(render(keys))
            else:
                lines.append(line.replace("@VERSION@", version))
    if not any(line.startswith(".SS [host]") for line in lines):
        sys.exit("mkconfpage.py: no @KEYS@ line in %s" % template)
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
