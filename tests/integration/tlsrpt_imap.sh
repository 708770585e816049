#!/usr/bin/env bash
# `mtasts tlsrpt ingest imaps://...` against a real Dovecot (Debian's dovecot-imapd) started by
# this suite inside the world's namespace (loopback only), with a certificate from the world's
# test CA, a user with a password, and a Maildir of report mails. Ingesting twice stores
# nothing new the second time; a new mail is read by the next run; passwords in the URL,
# wrong passwords, untrusted certificates and IMAP without TLS are refused. Ingest never
# changes the mailbox: every message is still unseen afterwards (EXAMINE, BODY.PEEK[]), and a
# message forging libcurl's command tags is rejected without disturbing the next one.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
: "${MTASTS_BIN:?}" "${MTASTS_WORLD_CA:?}" "${MTASTS_WORLD_DIR:?}"
world=(scripts/world/world exec --)
[ -n "${MTASTS_WORLD_DIR:-}" ] && world=(scripts/world/world exec --dir "$MTASTS_WORLD_DIR" --)
echo "1..20"
D=$(mktemp -d /tmp/mtasts-imap.XXXXXX)
chmod 755 "$D"
stop_dovecot() { [ -f "$D/run/master.pid" ] && "${world[@]}" /usr/sbin/dovecot -c "$D/dovecot.conf" stop >/dev/null 2>&1; }
trap 'stop_dovecot; rm -rf "$D"' EXIT
V=tests/vectors/tlsrpt-reports
IMAPS_PORT=10993
IMAP_PORT=10143

# A certificate for "localhost" from the world's CA (the generator's PKI, same seed).
python3 - "$MTASTS_WORLD_DIR" "$D" <<'PY' || { echo "not ok - certificate from the world CA"; exit 0; }
import datetime, importlib.util, json, os, sys
wd, d = sys.argv[1], sys.argv[2]
spec = importlib.util.spec_from_file_location("gen_world", "scripts/world/gen_world.py")
g = importlib.util.module_from_spec(spec); spec.loader.exec_module(g)
seed = json.load(open(os.path.join(wd, "world.json")))["seed"]
pki = g.PKI(seed, datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0))
open(os.path.join(d, "cert.pem"), "wb").write(pki.leaf(["localhost"]))
open(os.path.join(d, "key.pem"), "wb").write(pki.key_pem(pki.leaf_key))
PY
chmod 600 "$D/key.pem"
mkdir -p "$D/run" "$D/state" "$D/mail/tlsrpt/new" "$D/mail/tlsrpt/cur" "$D/mail/tlsrpt/tmp" "$D/home"
cp "$V/google-style.eml" "$D/mail/tlsrpt/new/1.M1.host"
cp "$V/maildir/cur/1795996801.M2P1.host:2,S" "$D/mail/tlsrpt/new/2.M2.host"
cp "$V/microsoft-style.eml" "$D/mail/tlsrpt/new/3.M3.host"
chown -R nobody:nogroup "$D/mail" "$D/home"
echo 'tlsrpt:{PLAIN}s3cret-pw::::::' >"$D/passwd"
cat >"$D/dovecot.conf" <<CONF
protocols = imap
listen = 127.0.0.1
base_dir = $D/run
state_dir = $D/state
log_path = $D/dovecot.log
ssl = required
ssl_cert = <$D/cert.pem
ssl_key = <$D/key.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain
mail_location = maildir:$D/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN $D/passwd
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=$D/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
CONF
if "${world[@]}" /usr/sbin/dovecot -c "$D/dovecot.conf" 2>"$D/start.err"; then
    echo "ok - dovecot starts in the world namespace (loopback only)"
else
    echo "not ok - dovecot starts in the world namespace # $(cat "$D/start.err" "$D/dovecot.log" 2>/dev/null | tail -3 | tr '\n' ' ')"
fi
for _ in $(seq 50); do
    "${world[@]}" bash -c "exec 3<>/dev/tcp/127.0.0.1/$IMAPS_PORT" 2>/dev/null && break
    sleep 0.1
done
printf 'machine localhost login tlsrpt password s3cret-pw\n' >"$D/netrc"
chmod 600 "$D/netrc"
URL="imaps://tlsrpt@localhost:$IMAPS_PORT/INBOX"
DB="$D/reports.db"

ingest() { # out-file args...
    local out=$1
    shift
    "${world[@]}" "$MTASTS_BIN" tlsrpt ingest --db "$DB" --ca-file "$MTASTS_WORLD_CA" "$@" >"$out" 2>&1
}
flags() { # "<messages> <seen>" in INBOX, asked read-only (EXAMINE) as another client would
    "${world[@]}" python3 - "$MTASTS_WORLD_CA" "$IMAPS_PORT" <<'PY'
import imaplib, ssl, sys
m = imaplib.IMAP4_SSL("localhost", int(sys.argv[2]), ssl_context=ssl.create_default_context(cafile=sys.argv[1]))
m.login("tlsrpt", "s3cret-pw")
m.select("INBOX", readonly=True)
typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
items = [d for d in data if d]
print(len(items), sum(b"\\Seen" in d for d in items))
m.logout()
PY
}
summary() { grep -o '[0-9]* report(s) stored\|[0-9]* duplicate(s)\|[0-9]* message(s) read\|[0-9]* without a report' "$1" | grep -o '^[0-9]*' | tr '\n' ' '; }

ingest "$D/run1" --netrc-file "$D/netrc" "$URL"
rc=$?
s=$(summary "$D/run1")
[ $rc -eq 0 ] && [ "$s" = "2 0 3 1 " ] && echo "ok - first run: 3 messages read, 2 reports stored, 1 message without a report" ||
    echo "not ok - first run: 3 messages read, 2 reports stored # rc $rc, counts '$s': $(tail -3 "$D/run1" | tr '\n' ' ')"
n=$(sqlite3 "$DB" "SELECT count(*) FROM tlsrpt_reports WHERE source LIKE 'imaps://tlsrpt@localhost:$IMAPS_PORT/INBOX UID %'")
[ "$n" = 2 ] && echo "ok - stored reports name the mailbox and UID as their source" || echo "not ok - stored reports name the mailbox and UID # $n"
mark=$(sqlite3 "$DB" "SELECT last_uid FROM tlsrpt_imap_marks WHERE mailbox = '$URL' AND uidvalidity > 0")
[ "$mark" = 3 ] && echo "ok - the read mark is UID 3 under the mailbox's UIDVALIDITY" || echo "not ok - the read mark is UID 3 # '$mark'"
f=$(flags 2>&1)
[ "$f" = "3 0" ] && echo "ok - after ingest the 3 messages are still unseen (no \\Seen flag)" ||
    echo "not ok - after ingest the 3 messages are still unseen # messages, seen: '$f'"

ingest "$D/run2" --netrc-file "$D/netrc" "$URL"
rc=$?
s=$(summary "$D/run2")
[ $rc -eq 0 ] && [ "$s" = "0 0 0 0 " ] && echo "ok - second run reads and stores nothing new" ||
    echo "not ok - second run reads and stores nothing new # rc $rc, counts '$s': $(tail -3 "$D/run2" | tr '\n' ' ')"

cp "$V/quoted-printable.eml" "$D/mail/tlsrpt/new/4.M4.host"
chown nobody:nogroup "$D/mail/tlsrpt/new/4.M4.host"
MTASTS_IMAP_PASSWORD=s3cret-pw ingest "$D/run3" --netrc-file /nonexistent "$URL"
rc=$?
s=$(summary "$D/run3")
[ $rc -eq 0 ] && [ "$s" = "1 0 1 0 " ] && echo "ok - a new mail is read by the next run (password from MTASTS_IMAP_PASSWORD)" ||
    echo "not ok - a new mail is read by the next run # rc $rc, counts '$s': $(tail -3 "$D/run3" | tr '\n' ' ')"
total=$(sqlite3 "$DB" "SELECT count(*) FROM tlsrpt_reports")
[ "$total" = 3 ] && echo "ok - three reports in the database after three runs" || echo "not ok - three reports after three runs # $total"

# The same mailbox over imap:// + STARTTLS (required by default) reads nothing new either.
ingest "$D/run4" --netrc-file "$D/netrc" "imap://tlsrpt@localhost:$IMAP_PORT/INBOX"
rc=$?
s=$(summary "$D/run4")
[ $rc -eq 0 ] && [ "$s" = "0 3 4 1 " ] && echo "ok - imap:// with STARTTLS: another mailbox URL, every report a duplicate" ||
    echo "not ok - imap:// with STARTTLS # rc $rc, counts '$s': $(tail -3 "$D/run4" | tr '\n' ' ')"

f=$(flags 2>&1)
[ "$f" = "4 0" ] && echo "ok - after imaps:// and imap:// runs the 4 messages are still unseen" ||
    echo "not ok - after imaps:// and imap:// runs the 4 messages are still unseen # messages, seen: '$f'"

# A message whose lines forge libcurl's command tags ("A005 OK ...", every letter and number
# libcurl could use) would end libcurl's reading of its FETCH early: it is rejected (the
# literal is cut short), the session is reopened, and the next message is read intact.
{
    printf 'From: forger@example.net\r\nTo: tlsrpt@example.org\r\nSubject: tags\r\n\r\n'
    for l in A B C D E F G H I J K L M N O P Q R S T U V W X Y Z; do
        for i in $(seq -w 1 60); do printf '%s0%s OK done\r\n' "$l" "$i"; done
    done
    printf '* 9 FETCH (UID 6 BODY[] {5}\r\nforge)\r\n'
} >"$D/mail/tlsrpt/new/5.M5.host"
cp "$V/google-style.eml" "$D/mail/tlsrpt/new/6.M6.host"
chown nobody:nogroup "$D/mail/tlsrpt/new/5.M5.host" "$D/mail/tlsrpt/new/6.M6.host"
ingest "$D/run10" --netrc-file "$D/netrc" "$URL"
rc=$?
s=$(summary "$D/run10")
mark=$(sqlite3 "$DB" "SELECT last_uid FROM tlsrpt_imap_marks WHERE mailbox = '$URL'")
[ $rc -eq 1 ] && grep -q "UID 5.*rejected.*cut short" "$D/run10" && [ "$s" = "0 1 1 0 " ] && [ "$mark" = 6 ] &&
    echo "ok - a message forging libcurl's tags is rejected; the next one is read intact (a duplicate)" ||
    echo "not ok - a message forging libcurl's tags is rejected, the next read intact # rc $rc, counts '$s', mark '$mark': $(grep -v '^$' "$D/run10" | tail -4 | tr '\n' ' ')"
f=$(flags 2>&1)
[ "$f" = "6 0" ] && echo "ok - after every run all 6 messages are still unseen" ||
    echo "not ok - after every run all 6 messages are still unseen # messages, seen: '$f'"

ingest "$D/run5" --netrc-file "$D/netrc" "imaps://tlsrpt:s3cret-pw@localhost:$IMAPS_PORT/INBOX"
rc=$?
[ $rc -eq 2 ] && grep -q "holds a password" "$D/run5" && echo "ok - a password in the URL is refused (exit 2)" ||
    echo "not ok - a password in the URL is refused # rc $rc: $(cat "$D/run5" | tr '\n' ' ')"
grep -q "s3cret-pw" "$D/run5" && echo "not ok - the refusal does not echo the password" || echo "ok - the refusal does not echo the password"

printf 'machine localhost login tlsrpt password wrong\n' >"$D/netrc.bad"
ingest "$D/run6" --netrc-file "$D/netrc.bad" "imaps://tlsrpt@localhost:$IMAPS_PORT/Other"
rc=$?
[ $rc -eq 2 ] && grep -qi "login denied\|cannot open the mailbox" "$D/run6" && echo "ok - a wrong password: exit 2 with the reason" ||
    echo "not ok - a wrong password: exit 2 # rc $rc: $(cat "$D/run6" | tr '\n' ' ')"

"${world[@]}" "$MTASTS_BIN" tlsrpt ingest --db "$DB" --netrc-file "$D/netrc" "$URL" >"$D/run7" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -qi "certificate\|SSL\|peer" "$D/run7" && echo "ok - a certificate not trusted (no --ca-file): exit 2" ||
    echo "not ok - a certificate not trusted: exit 2 # rc $rc: $(cat "$D/run7" | tr '\n' ' ')"

# An IMAP server without STARTTLS: imap:// is refused unless --allow-plain-imap says so.
cat >"$D/plain_imap.py" <<'PY'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4)
open(sys.argv[2], "w").write("ready")
while True:
    c, _ = s.accept(); f = c.makefile("rwb")
    f.write(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] plain server\r\n"); f.flush()
    for line in f:
        tag = line.split(b" ")[0]
        if b"CAPABILITY" in line.upper():
            f.write(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
        elif b"AUTHENTICATE" in line.upper() or b"LOGIN" in line.upper():
            open(sys.argv[2] + ".login", "w").write("plaintext login attempted")
            f.write(tag + b" NO [AUTHENTICATIONFAILED] not here\r\n")
        elif b"LOGOUT" in line.upper():
            f.write(b"* BYE\r\n" + tag + b" OK bye\r\n"); f.flush(); break
        else:
            f.write(tag + b" NO not here\r\n")
        f.flush()
    c.close()
PY
"${world[@]}" python3 "$D/plain_imap.py" 10144 "$D/plain.ready" >/dev/null 2>&1 &
plain_pid=$!
for _ in $(seq 50); do [ -f "$D/plain.ready" ] && break; sleep 0.1; done
ingest "$D/run8" --netrc-file "$D/netrc" "imap://tlsrpt@localhost:10144/INBOX"
rc=$?
[ $rc -eq 2 ] && grep -qi "STARTTLS\|SSL\|TLS" "$D/run8" && echo "ok - imap:// to a server without STARTTLS is refused (exit 2)" ||
    echo "not ok - imap:// to a server without STARTTLS is refused # rc $rc: $(cat "$D/run8" | tr '\n' ' ')"
[ -f "$D/plain.ready.login" ] && touch "$D/plain.ready.login.before" # run8 must not have logged in
ingest "$D/run9" --netrc-file "$D/netrc" --allow-plain-imap "imap://tlsrpt@localhost:10144/INBOX"
rc=$?
[ -f "$D/plain.ready.login" ] && [ ! -f "$D/plain.ready.login.before" ] &&
    echo "ok - --allow-plain-imap lets imap:// log in without TLS (the fake server saw the login)" ||
    echo "not ok - --allow-plain-imap lets imap:// log in without TLS # $(cat "$D/run9" | tr '\n' ' ')"
kill "$plain_pid" 2>/dev/null
wait "$plain_pid" 2>/dev/null

# Dovecot saw only loopback clients.
grep -q "rip=127.0.0.1" "$D/dovecot.log" && ! grep -E "rip=" "$D/dovecot.log" | grep -vq "rip=127.0.0.1" &&
    echo "ok - every IMAP login came from 127.0.0.1" || echo "not ok - every IMAP login came from 127.0.0.1 # $(grep rip= "$D/dovecot.log" | head -2)"
grep -q "Login: user=<tlsrpt>" "$D/dovecot.log" && echo "ok - dovecot logged the logins of user tlsrpt" ||
    echo "not ok - dovecot logged the logins # $(tail -3 "$D/dovecot.log" | tr '\n' ' ')"
