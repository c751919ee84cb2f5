-- Console accounts, their sessions, and failed sign-ins (the rate limit is shared by every console worker).
CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{0,39}$'),
    display_name  text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
    role          text NOT NULL CHECK (role IN ('operator', 'supervisor', 'admin')),
    password_hash text NOT NULL CHECK (password_hash LIKE '$argon2%'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    disabled_at   timestamptz
);

-- Only a SHA-256 of the session token is stored: a copy of this table signs nobody in.
CREATE TABLE sessions (
    token_sha256 bytea PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expiry_idx ON sessions (expires_at);

CREATE TABLE login_failures (
    id        bigserial PRIMARY KEY,
    username  text NOT NULL,
    client_ip text NOT NULL,
    failed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_lookup_idx ON login_failures (username, client_ip, failed_at);
