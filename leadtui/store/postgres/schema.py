"""The PostgreSQL schema: numbered migrations, the schema_version table, version checks.

`init_schema` creates the schema in an empty database (`leadtui db init`); `migrate` runs
the migrations the database has not seen (`leadtui db migrate`); `check_schema` refuses,
in one line, a database that has no schema yet or one newer than this program.
Each migration runs in one transaction together with its schema_version row.
"""

from __future__ import annotations

from typing import Any

from leadtui.store.protocol import StoreError

ACTIVE_SQL = "('new', 'working', 'contacted', 'callback', 'appointment')"

# Migration n brings a database from version n-1 to n. Never edit a released one: add one.
MIGRATIONS: tuple[str, ...] = (
    f"""
    CREATE TABLE leads (
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        id text PRIMARY KEY,
        name text NOT NULL,
        phone text NOT NULL,
        email text NOT NULL DEFAULT '',
        email_key text NOT NULL DEFAULT '',
        source text NOT NULL DEFAULT '',
        timezone text NOT NULL,
        received_at timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'new',
        notes text NOT NULL DEFAULT '',
        inquiries timestamptz[] NOT NULL DEFAULT '{{}}',
        next_kind text,
        next_message text,
        next_due timestamptz,
        next_asked boolean,
        rank_group smallint,
        rank_key double precision,
        changed_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX leads_phone ON leads (phone);
    CREATE INDEX leads_email ON leads (email_key) WHERE email_key <> '';
    CREATE INDEX leads_active ON leads (seq) WHERE status IN {ACTIVE_SQL};
    CREATE INDEX leads_due ON leads (next_due) WHERE next_due IS NOT NULL;
    CREATE INDEX leads_rank ON leads (rank_group, rank_key) WHERE next_due IS NOT NULL;
    CREATE TABLE touches (
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        id text PRIMARY KEY,
        lead_id text NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
        outcome text NOT NULL,
        at timestamptz NOT NULL,
        note text NOT NULL DEFAULT '',
        asked_for timestamptz,
        rep text NOT NULL DEFAULT '',
        db_role text NOT NULL DEFAULT current_user,
        override_window boolean NOT NULL DEFAULT false,
        blitz_id text
    );
    CREATE INDEX touches_lead ON touches (lead_id, at, seq);
    CREATE INDEX touches_rep ON touches (rep, at);
    CREATE TABLE dnc (
        phone text PRIMARY KEY,
        lead_id text,
        touch_id text,
        at timestamptz NOT NULL
    );
    CREATE TABLE claims (
        session text PRIMARY KEY,
        lead_id text NOT NULL,
        rep text NOT NULL DEFAULT '',
        since timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY
    );
    CREATE INDEX claims_lead ON claims (lead_id, since);
    CREATE TABLE blitzes (
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        id text PRIMARY KEY,
        record json NOT NULL
    );
    CREATE TABLE applied_writes (
        id text PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        result json
    );
    CREATE INDEX applied_writes_at ON applied_writes (at);
    """,
    # 2: issue 11's lead fields (earlier numbers and emails, zone doubt, reopening) and the
    # end of an asked-for time's grace (after it the calling window decides); inquiry keys
    # (a webhook's Idempotency-Key, a mail's Message-ID) with the answer of their first add
    """
    ALTER TABLE leads
        ADD COLUMN other_phones text[] NOT NULL DEFAULT '{}',
        ADD COLUMN other_emails text[] NOT NULL DEFAULT '{}',
        ADD COLUMN other_email_keys text[] NOT NULL DEFAULT '{}',
        ADD COLUMN zone_candidates text[] NOT NULL DEFAULT '{}',
        ADD COLUMN reopened_at timestamptz,
        ADD COLUMN next_late timestamptz;
    CREATE INDEX leads_other_phones ON leads USING gin (other_phones);
    CREATE INDEX leads_other_emails ON leads USING gin (other_email_keys);
    CREATE TABLE inquiry_keys (
        key text PRIMARY KEY,
        lead_id text NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
        answer text NOT NULL
    );
    CREATE INDEX inquiry_keys_lead ON inquiry_keys (lead_id);
    DROP INDEX leads_rank;
    CREATE INDEX leads_rank ON leads (rank_group, rank_key, seq) WHERE next_due IS NOT NULL;
    """,
    # 3: issue 16's dial: when the dial (`g`) before a call started
    """
    ALTER TABLE touches ADD COLUMN dialed_at timestamptz;
    """,
    # 4: each lead's report figures, kept by the writes (store/postgres/figures.py)
    """
    CREATE TABLE lead_figures (
        lead_id text PRIMARY KEY REFERENCES leads (id) ON DELETE CASCADE,
        version integer NOT NULL,
        changed_at timestamptz NOT NULL DEFAULT now(),
        data text NOT NULL
    );
    """,
    # 5: the workstation reads only the page it shows (store/postgres/queue.py): the queue
    # in rank order and the rest by due time, each with what decides "callable now" in the
    # index (index-only walks skip closed zones without reading rows; leads_later also
    # serves the grouped counts); `arrival` numbers each lead when it is created or
    # reopened (a trigger), so new leads are found without reading the queue
    """
    CREATE INDEX leads_page ON leads (rank_group, rank_key, next_due, seq)
        INCLUDE (timezone, zone_candidates, next_asked, next_late) WHERE next_due IS NOT NULL;
    CREATE INDEX leads_later ON leads (next_due, seq)
        INCLUDE (timezone, zone_candidates, next_asked, next_late, rank_group, received_at,
                 reopened_at)
        WHERE next_due IS NOT NULL;
    DROP INDEX leads_due;
    CREATE SEQUENCE lead_arrival;
    ALTER TABLE leads ADD COLUMN arrival bigint;
    CREATE INDEX leads_arrival ON leads (arrival) WHERE arrival IS NOT NULL;
    -- the owner's function: a least-privilege role writing leads needs no sequence grant
    CREATE FUNCTION leadtui_lead_arrived() RETURNS trigger LANGUAGE plpgsql
        SECURITY DEFINER SET search_path FROM CURRENT AS $$
    BEGIN
        NEW.arrival := nextval('lead_arrival');
        RETURN NEW;
    END
    $$;
    CREATE TRIGGER leads_arrived BEFORE INSERT ON leads FOR EACH ROW
        EXECUTE FUNCTION leadtui_lead_arrived();
    CREATE TRIGGER leads_reopened BEFORE UPDATE OF reopened_at ON leads FOR EACH ROW
        WHEN (NEW.reopened_at IS DISTINCT FROM OLD.reopened_at)
        EXECUTE FUNCTION leadtui_lead_arrived();
    """,
    # 6: the report figures in columns the server can group (store/postgres/figures.py),
    # filled from `data` where it is in the plain form (the others keep `grouped` false
    # and are read lead by lead, as before)
    r"""
    ALTER TABLE lead_figures
        ADD COLUMN grouped boolean NOT NULL DEFAULT false,
        ADD COLUMN received_at timestamptz,
        ADD COLUMN source text,
        ADD COLUMN rep_name text,
        ADD COLUMN outcomes text,
        ADD COLUMN hours text,
        ADD COLUMN first_call double precision,
        ADD COLUMN attempts integer,
        ADD COLUMN flags integer;
    UPDATE lead_figures f SET
        grouped = true,
        source = p.d ->> 0,
        received_at = timestamptz 'epoch' + (p.d ->> 1)::bigint * interval '1 microsecond',
        outcomes = p.d -> 2 ->> 0,
        first_call = (p.d -> 2 ->> 1)::double precision,
        hours = p.d -> 2 ->> 2,
        attempts = (p.d -> 2 ->> 3)::integer,
        flags = (p.d -> 2 ->> 4)::integer,
        rep_name = p.d -> 3 -> 0 ->> 0
    FROM (
        -- only texts of the plain form are read as JSON (no group: the fast matcher)
        SELECT lead_id, CASE WHEN data ~
            '^\["[^"\\[:cntrl:]]*",[0-9]{1,18},\["[^"\\[:cntrl:]]*",'
            '(?:null|[0-9]{1,20}(?:\.[0-9]{1,20})?(?:e[-+]?[0-9]{1,2})?),'
            '"[^"\\[:cntrl:]]*",[0-9]{1,9},[0-9]{1,9}\],\[(?:\["[^"\\[:cntrl:]]*"\])?\]\]$'
            THEN data::jsonb END AS d
        FROM lead_figures
        OFFSET 0  -- (not flattened: each text matched and parsed once)
    ) p
    WHERE p.lead_id = f.lead_id AND p.d IS NOT NULL;
    """,
)
SCHEMA = len(MIGRATIONS)


def _connect(url: str) -> Any:
    from leadtui.store.postgres.connect import connect

    return connect(url)


def read_version(conn: Any) -> int | None:
    """The database's schema version; None when it has no leadtui schema."""
    row = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not row or not row[0]:
        return None
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def check_schema(conn: Any, where: str) -> None:
    """StoreError (one line) unless the database holds exactly this program's schema."""
    version = read_version(conn)
    if version is None:
        raise StoreError(f"{where}: no leadtui schema in this database (run: leadtui db init)")
    if version > SCHEMA:
        raise StoreError(
            f"{where}: the database has schema {version}, newer than this leadtui "
            f"understands ({SCHEMA}); upgrade leadtui"
        )
    if version < SCHEMA:
        raise StoreError(
            f"{where}: the database has schema {version}, older than this leadtui "
            f"({SCHEMA}) (run: leadtui db migrate)"
        )


def migrate(url: str, *, create: bool = False) -> tuple[int, int]:
    """Run the missing migrations; returns (version before, version after).

    `create`: the database may be empty (db init); otherwise it must have a schema."""
    from leadtui.store.postgres.connect import mask_url

    where = mask_url(url)
    with _connect(url) as conn:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(7413201)")  # one migrator at a time
            before = read_version(conn)
            if before is None:
                if not create:
                    raise StoreError(f"{where}: no leadtui schema (run: leadtui db init)")
                conn.execute(
                    "CREATE TABLE schema_version (version integer PRIMARY KEY, "
                    "applied_at timestamptz NOT NULL DEFAULT now())"
                )
                before = 0
            if before > SCHEMA:
                check_schema(conn, where)
            for number in range(before + 1, SCHEMA + 1):
                conn.execute(MIGRATIONS[number - 1])
                conn.execute("INSERT INTO schema_version (version) VALUES (%s)", (number,))
        return before, SCHEMA


def init_schema(url: str) -> tuple[int, int]:
    """Create the schema in an empty database (or carry an existing one forward)."""
    return migrate(url, create=True)
