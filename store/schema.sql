-- The mtasts result database: what every scan saw, one row per (scan, domain).
--
-- Version 4 (PRAGMA user_version = 4; version 2 added the TLS-RPT tables, version 3 the
-- delivery side, version 4 the policy host's HTTP Server header). store/store_schema_sql.c
-- embeds this file (regenerate it with store/schema_to_c.sh); store/store.c migrates older
-- versions forward (1 -> 2 -> 3 -> 4); a database with a newer version is refused, never
-- touched. PRAGMA application_id is 0x4d545354 ("MTST").
-- Codes (status, category, warnings, outcomes) are the stable names of docs/taxonomy.md.
-- Lists are JSON arrays of strings, so SQLite's json_each() can unnest them in reports.
-- Times are UTC: ISO 8601 text for people, Unix seconds where arithmetic is needed.

-- One row per scan. Scans are appended; a finished scan's row and results never change.
CREATE TABLE IF NOT EXISTS scans (
    id            INTEGER PRIMARY KEY,
    started_at    TEXT NOT NULL,            -- UTC, e.g. 2026-11-22T12:00:00Z
    finished_at   TEXT,                     -- set when the state leaves 'running'
    state         TEXT NOT NULL DEFAULT 'running'
                  CHECK (state IN ('running', 'complete', 'interrupted')),
    tool_version  TEXT NOT NULL,            -- mtasts version that wrote the scan
    inputs        TEXT NOT NULL,            -- JSON [{"name": path, "sha256": hex}]
    options       TEXT NOT NULL,            -- JSON object: resolvers, rate limits, timeouts, checks
    shard_index   INTEGER,                  -- I of --shard I/N (0-based), NULL when unsharded
    shard_count   INTEGER,                  -- N of --shard I/N
    input_domains INTEGER,                  -- distinct valid domains selected for this scan
    invalid_lines INTEGER NOT NULL DEFAULT 0,
    duplicates    INTEGER NOT NULL DEFAULT 0, -- input lines dropped as repeats
    excluded      INTEGER NOT NULL DEFAULT 0, -- domains skipped by --exclude
    resumes       INTEGER NOT NULL DEFAULT 0, -- times the scan was resumed
    elapsed_s     REAL,                     -- wall-clock seconds spent scanning, summed over resumes
    merged_from   TEXT                      -- JSON list of shard databases when made by `mtasts merge`
);

-- Raw artifacts (TXT strings, policy bodies, certificate facts), stored once per distinct
-- content and compressed, so a report can be recomputed without rescanning.
CREATE TABLE IF NOT EXISTS blobs (
    id        INTEGER PRIMARY KEY,
    sha256    BLOB NOT NULL UNIQUE,         -- of the raw content
    kind      TEXT NOT NULL,                -- 'txt', 'policy', 'tlsrpt', 'cert'
    raw_size  INTEGER NOT NULL,
    codec     TEXT NOT NULL,                -- 'raw', 'zstd', or 'zstd-dict:<dict id>'
    data      BLOB NOT NULL
);

-- zstd dictionaries trained on policy bodies (short and alike), referenced by blobs.codec.
CREATE TABLE IF NOT EXISTS zstd_dicts (
    id    INTEGER PRIMARY KEY,
    data  BLOB NOT NULL
);

-- One row per domain of a scan: the verdict, then the facts it was drawn from.
CREATE TABLE IF NOT EXISTS results (
    scan_id            INTEGER NOT NULL REFERENCES scans(id),
    domain             TEXT NOT NULL,       -- normalised: lower case, no trailing dot, A-labels
    rank               INTEGER,             -- from a rank,domain input; NULL otherwise
    scanned_at         INTEGER NOT NULL,    -- Unix seconds when the domain finished

    -- verdict (docs/taxonomy.md)
    status             TEXT NOT NULL,       -- no_policy, valid, invalid, dns_error, domain_nxdomain
    category           TEXT,                -- primary failure category, NULL unless invalid
    warnings           TEXT NOT NULL DEFAULT '', -- comma-separated codes, sorted
    valid_strict       INTEGER NOT NULL,    -- 0/1
    valid_lenient      INTEGER NOT NULL,    -- 0/1
    would_fail_delivery INTEGER NOT NULL,   -- 0/1
    readiness          TEXT,                -- enforcing, ready_to_enforce, not_ready, NULL (n/a)
    detail             TEXT,                -- one human line on the status/category

    -- _mta-sts.D TXT
    txt_outcome        TEXT,                -- ok, nodata, nxdomain, servfail, refused, timeout, error, not_asked
    txt_records        INTEGER,             -- records in the answer
    txt_version_records INTEGER,            -- of which begin with v=STSv1
    txt_id             TEXT,                -- id of the valid record
    txt_blob           INTEGER REFERENCES blobs(id), -- all records, sorted bytewise, one per line

    -- D MX
    mx_outcome         TEXT,
    mx_hosts           TEXT,                -- JSON array, by preference then name
    null_mx            INTEGER,             -- 0/1

    -- _smtp._tls.D TXT
    tlsrpt_outcome     TEXT,
    tlsrpt_status      TEXT,                -- none, valid, invalid
    rua                TEXT,                -- JSON array of URIs
    tlsrpt_blob        INTEGER REFERENCES blobs(id), -- all records, sorted bytewise, one per line

    -- mta-sts.D addresses
    host_a_outcome     TEXT,
    host_aaaa_outcome  TEXT,
    host_addrs         TEXT,                -- JSON array of the addresses answered
    host_addrs_refused INTEGER,             -- of which the address policy refused
    host_cname         TEXT,                -- CNAME target of mta-sts.D, if any

    -- HTTPS fetch
    https_outcome      TEXT,                -- not_attempted, ok, connect_failed, timeout, tls_failed, cert_failed, body_too_large, protocol_error
    https_addr         TEXT,                -- the address the final attempt used
    http_status        INTEGER,
    content_type       TEXT,
    location           TEXT,                -- Location header of a redirect
    tls_version        TEXT,                -- e.g. TLSv1.3
    cert_verify_code   INTEGER,             -- OpenSSL X509_V_*; 0 = verified
    cert_verify_text   TEXT,
    cert_not_before    INTEGER,             -- Unix seconds
    cert_not_after     INTEGER,             -- Unix seconds
    cert_issuer        TEXT,
    cert_name_matches  INTEGER,             -- 0/1
    cert_chain_len     INTEGER,
    cert_blob          INTEGER REFERENCES blobs(id), -- PEM chain or facts as JSON
    time_connect_ms    INTEGER,
    time_tls_ms        INTEGER,
    time_total_ms      INTEGER,
    https_error        TEXT,                -- transport error message

    -- policy file
    policy_blob        INTEGER REFERENCES blobs(id),
    policy_size        INTEGER,
    policy_mode        TEXT,                -- enforce, testing, none; NULL unless the policy is in force (parsed valid, no fetch-stage failure)
    policy_max_age     INTEGER,             -- seconds; NULL unless the policy is in force, as policy_mode
    mx_patterns        TEXT,                -- JSON array; NULL unless the policy is in force, as policy_mode
    lf_line_endings    INTEGER,             -- 0/1
    policy_errors      TEXT,                -- JSON [{"code","line","message"}]
    mx_covered         INTEGER,             -- 0/1, NULL when unknown or not applicable

    -- DNS timing
    time_dns_ms        INTEGER,             -- from first query to last answer

    -- added in version 1 by the store (appended so earlier column positions stay put)
    policy_valid       INTEGER,             -- 0/1: the body parsed into a valid policy (tolerances allowed); NULL when no body was parsed
    policy_warnings    TEXT,                -- JSON [{"code","line","message"}]: lint findings (tolerances used), NULL when none
    txt_errors         TEXT,                -- JSON [{"code","line","message"}] of the _mta-sts record, NULL when none
    tlsrpt_errors      TEXT,                -- JSON [{"code","line","message"}] of the _smtp._tls record, NULL when none

    -- added in version 3: the delivery side (--checks +smtp, +dane; docs/taxonomy.md). NULL in
    -- rows written before version 3; the MX hosts' own facts are in mx_probes.
    smtp_checked       INTEGER,             -- 0/1: the SMTP stage ran and port 25 was not blocked
    mx_verified        INTEGER,             -- 0/1: every MX host was reached and its TLS judged (a ready_to_enforce with 0 is ready on the policy side only)
    mx_smtp_outcome    TEXT,                -- worst MX host outcome (smtp_ok, starttls_not_offered, mx_cert_expired, ...); NULL when not checked
    mx_probed          INTEGER,             -- distinct MX hosts with a probe
    mx_failing         INTEGER,             -- of which reached and refused by a sender enforcing MTA-STS
    dane_summary       TEXT,                -- none, partial, full (MX hosts with DNSSEC-validated usable TLSA); NULL when not checked
    dane_outcome       TEXT,                -- worst MX host DANE outcome (dane_valid, dane_mismatch, ...); NULL when none or not checked
    readiness_reasons  TEXT,                -- not_ready only: the category and the blocking warnings, comma-separated

    -- added in version 4: who serves the policy (reports/README.md, hosting). NULL in rows
    -- written before version 4.
    policy_http_server TEXT,                -- HTTP Server header of the policy fetch's response (at most 256 bytes; a longer one is cut and ends "[cut]"); NULL when no response or no header

    -- One result per domain and scan. A rowid table with a UNIQUE index, not a WITHOUT ROWID
    -- table keyed by domain: rows arrive in input order, so appending them by rowid and keeping
    -- only the small (scan_id, domain) index in domain order writes 2.6x fewer pages per batch
    -- and makes the file 10% smaller (store/README.md, measurements).
    UNIQUE (scan_id, domain)
);

-- Report queries group one scan's rows by these.
CREATE INDEX IF NOT EXISTS results_scan_status ON results (scan_id, status, category);
CREATE INDEX IF NOT EXISTS results_scan_rank ON results (scan_id, rank);

-- Added in version 3: one row per distinct MX host probed in a scan (--checks +smtp, +dane),
-- written once however many domains use the host. Domains reference their hosts through
-- results.mx_hosts (a JSON array): join on json_each(results.mx_hosts) with
-- lower(rtrim(value, '.')) = mx_probes.host. No link table: at a million domains it would add
-- about two rows per domain, while every report reads a whole scan anyway.
CREATE TABLE IF NOT EXISTS mx_probes (
    scan_id           INTEGER NOT NULL REFERENCES scans(id),
    host              TEXT NOT NULL,        -- lower case, no trailing dot
    smtp_checked      INTEGER NOT NULL,     -- 0/1
    smtp_outcome      TEXT NOT NULL,        -- roll-up over the addresses (not_probed when not checked)
    rfc8460_result    TEXT,                 -- what a sender reports for smtp_outcome; NULL for smtp_ok and not-the-host's-fault outcomes
    dane_checked      INTEGER NOT NULL,     -- 0/1: TLSA was asked
    dane_outcome      TEXT,                 -- dane_valid, dane_mismatch, tlsa_unsigned, tlsa_invalid, dnssec_bogus, dane_not_verified; NULL when none
    tlsa_ad           INTEGER,              -- 0/1 the resolver validated the TLSA answer; NULL when not asked
    tlsa_rcode        INTEGER,              -- 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, -1 timeout
    tlsa_records      INTEGER,
    tlsa_usable       INTEGER,              -- usage 2/3, selector 0/1, matching type 0/1/2
    addrs_probed      INTEGER NOT NULL,
    addrs_dropped     INTEGER NOT NULL,     -- addresses beyond the probe bound, not probed
    -- The address that decided smtp_outcome (the first whose outcome is the roll-up):
    starttls_offered  INTEGER,              -- 0/1; NULL when no EHLO answer
    tls_version       TEXT,
    cert_verify_code  INTEGER,              -- OpenSSL X509_V_*; 0 = verified; NULL without a certificate
    cert_name_matches INTEGER,              -- 0/1
    cert_not_after    INTEGER,              -- Unix seconds
    cert_issuer       TEXT,
    addrs             TEXT NOT NULL,        -- JSON [{"addr","outcome","reply_code","starttls","tls_version","cipher","verify_code","not_before","not_after","issuer","name_matches","chain_len","self_signed","dane","time_ms","detail"}]
    PRIMARY KEY (scan_id, host)
) WITHOUT ROWID;

-- At most one row: the process currently writing a scan into this database. A second
-- scanner refuses to start while the holder is alive; a row left by a killed process on
-- the same host (pid gone, or reused by another program) is stale and taken over.
CREATE TABLE IF NOT EXISTS scan_lock (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    scan_id     INTEGER NOT NULL,             -- the scan being written
    pid         INTEGER NOT NULL,             -- process id of the writer
    pid_start   INTEGER NOT NULL,             -- its start time (Linux /proc/PID/stat field 22), tells a reused pid apart
    host        TEXT NOT NULL,                -- gethostname() of the writer
    since       TEXT NOT NULL                 -- UTC, when the lock was taken
);

-- Input lines that were not domains, so none is silently dropped.
CREATE TABLE IF NOT EXISTS input_errors (
    scan_id  INTEGER NOT NULL REFERENCES scans(id),
    file     TEXT NOT NULL,
    line     INTEGER NOT NULL,                -- 1-based
    text     TEXT NOT NULL,                   -- the line as read (truncated to 300 bytes)
    reason   TEXT NOT NULL,                   -- why it is not a domain
    PRIMARY KEY (scan_id, file, line)
);

-- tlsrpt tables begin (schema step 2; store.c runs this section to migrate a version 1 file)
-- TLS-RPT aggregate reports (RFC 8460 4) read by `mtasts tlsrpt ingest`: what senders saw
-- when they delivered to a domain. Strings are as received (NUL bytes as U+FFFD), NULL when
-- the report left them out or sent "" (reporters send "" for fields they do not know).

-- One row per distinct report. A report is stored once: the same (organization, report id)
-- or the same JSON bytes (a gzip copy of a JSON already read) is a duplicate and skipped.
CREATE TABLE IF NOT EXISTS tlsrpt_reports (
    id             INTEGER PRIMARY KEY,
    organization   TEXT,                    -- organization-name of the reporter
    contact        TEXT,                    -- contact-info
    report_id      TEXT,                    -- report-id
    start_datetime TEXT,                    -- date-range.start-datetime as received
    end_datetime   TEXT,                    -- date-range.end-datetime as received
    start_time     INTEGER,                 -- Unix seconds (UTC), NULL when unparsable
    end_time       INTEGER,                 -- Unix seconds (UTC), NULL when unparsable
    day            TEXT,                    -- UTC date of start_time (YYYY-MM-DD): the report's day; NULL when unknown
    json_sha256    BLOB NOT NULL UNIQUE,    -- SHA-256 of the decompressed JSON
    raw_blob       INTEGER REFERENCES blobs(id), -- the JSON as received (blobs.kind 'tlsrpt_report', zstd)
    source         TEXT NOT NULL,           -- where it was read: file, file + message, or mailbox URL + UID
    ingested_at    TEXT NOT NULL,           -- UTC, when it was stored
    warnings       TEXT NOT NULL DEFAULT '[]', -- JSON [{"code","detail"}]: inconsistencies found (docs/taxonomy.md)
    UNIQUE (organization, report_id)
);

-- One row per element of a report's "policies" list.
CREATE TABLE IF NOT EXISTS tlsrpt_policies (
    id             INTEGER PRIMARY KEY,
    report         INTEGER NOT NULL REFERENCES tlsrpt_reports(id),
    idx            INTEGER NOT NULL,        -- position in the policies list (0-based)
    policy_type    TEXT,                    -- sts, tlsa, no-policy-found (other values kept, with a warning)
    policy_domain  TEXT,                    -- as received
    domain         TEXT,                    -- policy_domain in lower case without a trailing dot: joins with results.domain
    policy_strings TEXT,                    -- JSON array of policy-string
    mx_hosts       TEXT,                    -- JSON array of mx-host (one string in the report is a list of one)
    successful     INTEGER,                 -- total-successful-session-count; NULL when absent or invalid
    failed         INTEGER,                 -- total-failure-session-count; NULL when absent or invalid
    UNIQUE (report, idx)
);
CREATE INDEX IF NOT EXISTS tlsrpt_policies_domain ON tlsrpt_policies (domain);

-- One row per failure-details entry of a policy.
CREATE TABLE IF NOT EXISTS tlsrpt_failures (
    policy         INTEGER NOT NULL REFERENCES tlsrpt_policies(id),
    idx            INTEGER NOT NULL,        -- position in failure-details (0-based)
    result_type    TEXT,                    -- RFC 8460 4.3 result type as received
    sending_mta_ip TEXT,
    receiving_mx_hostname TEXT,
    receiving_mx_helo TEXT,
    receiving_ip   TEXT,
    failed_sessions INTEGER,                -- failed-session-count; NULL when absent or invalid
    reason_code    TEXT,                    -- failure-reason-code (or failure-error-code, the RFC example's spelling)
    additional_information TEXT,
    PRIMARY KEY (policy, idx)
);

-- What `tlsrpt ingest imaps://...` has read from each mailbox, so a cron run reads only new
-- messages. A new UIDVALIDITY means the server renumbered the mailbox: everything is read
-- again, and reports already stored are recognised as duplicates.
CREATE TABLE IF NOT EXISTS tlsrpt_imap_marks (
    mailbox        TEXT PRIMARY KEY,        -- imaps://user@host:port/MAILBOX (no password)
    uidvalidity    INTEGER NOT NULL,
    last_uid       INTEGER NOT NULL,        -- every message up to this UID was handled
    updated_at     TEXT NOT NULL            -- UTC
);
-- tlsrpt tables end
