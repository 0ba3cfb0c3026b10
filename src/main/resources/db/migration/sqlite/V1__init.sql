-- Koukan storage schema, SQLite dialect. Times are epoch milliseconds.
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uri TEXT NOT NULL,
  creation INTEGER NOT NULL,
  last_update INTEGER NOT NULL,
  live BOOLEAN NOT NULL
);

CREATE TABLE transactions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  rest_id TEXT NOT NULL UNIQUE,
  sender TEXT NOT NULL,
  tag TEXT,
  json TEXT NOT NULL,
  body_kind INTEGER NOT NULL DEFAULT 0,
  message_builder TEXT,
  input_done BOOLEAN NOT NULL DEFAULT FALSE,
  retry BOOLEAN NOT NULL DEFAULT FALSE,
  notification BOOLEAN NOT NULL DEFAULT FALSE,
  no_final_notification BOOLEAN NOT NULL DEFAULT FALSE,
  cancelled BOOLEAN NOT NULL DEFAULT FALSE,
  final_attempt_reason TEXT,
  attempt_count INTEGER NOT NULL DEFAULT 0,
  creation_session_id INTEGER REFERENCES sessions(id),
  inflight_session_id INTEGER REFERENCES sessions(id),
  creation INTEGER NOT NULL,
  last_update INTEGER NOT NULL,
  version INTEGER NOT NULL,
  next_attempt_time INTEGER
);
CREATE INDEX transactions_dequeue ON transactions(next_attempt_time)
  WHERE inflight_session_id IS NULL AND final_attempt_reason IS NULL;
CREATE INDEX transactions_inflight ON transactions(inflight_session_id)
  WHERE inflight_session_id IS NOT NULL;
CREATE INDEX transactions_last_update ON transactions(last_update);

CREATE TABLE blobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  length INTEGER,
  stored INTEGER NOT NULL DEFAULT 0,
  creation INTEGER NOT NULL,
  last_update INTEGER NOT NULL
);

CREATE TABLE blob_chunks (
  blob_id INTEGER NOT NULL REFERENCES blobs(id) ON DELETE CASCADE,
  start INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (blob_id, start)
);

CREATE TABLE transaction_blobs (
  transaction_id INTEGER NOT NULL REFERENCES transactions(id) ON DELETE CASCADE,
  rest_id TEXT NOT NULL,
  blob_id INTEGER NOT NULL REFERENCES blobs(id),
  PRIMARY KEY (transaction_id, rest_id)
);
CREATE INDEX transaction_blobs_blob ON transaction_blobs(blob_id);

CREATE TABLE attempts (
  transaction_id INTEGER NOT NULL REFERENCES transactions(id) ON DELETE CASCADE,
  attempt_id INTEGER NOT NULL,
  session_id INTEGER REFERENCES sessions(id),
  responses TEXT NOT NULL DEFAULT '{}',
  creation INTEGER NOT NULL,
  last_update INTEGER NOT NULL,
  PRIMARY KEY (transaction_id, attempt_id)
);
