"""libyaml's verdict on YAML inputs, for tests/yaml_libyaml.rs.

Reads a JSON list of hex-encoded byte strings on stdin and prints a JSON list of
[verdict, message], one per input: "ok", "dup" (valid YAML with a duplicate key
in some mapping) or "err" (libyaml rejects it).

docker compose reads YAML with go-yaml v3, a port of libyaml's scanner and parser;
its node builder then rejects aliases to unknown anchors and duplicate keys (both
compared as go-yaml does: same kind, same text). It keeps anchors for the whole
stream, so a later anchor of the same name replaces an earlier one and a later
document may use an earlier document's anchor. PyYAML's composer differs on both
points, so we take libyaml's events (yaml.parse with the C parser) and apply
go-yaml's node checks ourselves.
"""

import json
import sys

import yaml


def verdict(data):
    anchors = set()  # for the whole stream, as go-yaml keeps them
    # One entry per open collection: [is_mapping, next_is_key, keys seen].
    stack = []
    dup = None

    def node_done():
        if stack and stack[-1][0]:
            stack[-1][1] = not stack[-1][1]

    try:
        for ev in yaml.parse(data, Loader=yaml.CSafeLoader):
            if isinstance(ev, (yaml.ScalarEvent, yaml.AliasEvent,
                               yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                if isinstance(ev, yaml.AliasEvent):
                    if ev.anchor not in anchors:
                        return ["err", "unknown anchor %r referenced" % ev.anchor]
                elif ev.anchor is not None:
                    anchors.add(ev.anchor)
                if stack and stack[-1][0] and stack[-1][1]:
                    kind = type(ev).__name__
                    if isinstance(ev, (yaml.ScalarEvent, yaml.AliasEvent)):
                        text = ev.value if isinstance(ev, yaml.ScalarEvent) else ev.anchor
                        if (kind, text) in stack[-1][2] and dup is None:
                            dup = "duplicate key %r at line %d" % (text, ev.start_mark.line + 1)
                        stack[-1][2].add((kind, text))
            if isinstance(ev, (yaml.ScalarEvent, yaml.AliasEvent)):
                node_done()
            elif isinstance(ev, yaml.SequenceStartEvent):
                stack.append([False, False, None])
            elif isinstance(ev, yaml.MappingStartEvent):
                stack.append([True, True, set()])
            elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                stack.pop()
                node_done()
    except yaml.YAMLError as e:
        return ["err", str(e).replace("\n", " ")]
    except Exception as e:  # a reader error on bytes libyaml cannot decode
        return ["err", "%s: %s" % (type(e).__name__, e)]
    if dup is not None:
        return ["dup", dup]
    return ["ok", ""]


def main():
    if not getattr(yaml, "__with_libyaml__", False):
        print("PyYAML without libyaml", file=sys.stderr)
        sys.exit(3)
    inputs = json.load(sys.stdin)
    print(json.dumps([verdict(bytes.fromhex(h)) for h in inputs]))


main()
