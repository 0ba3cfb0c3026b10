package net.koukan.storage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import net.koukan.tx.BlobRef;
import net.koukan.tx.BodySpec;
import net.koukan.tx.Envelope;
import net.koukan.tx.TxDelta;
import net.koukan.tx.TxJson;
import net.koukan.tx.TxValidationException;

/**
 * Transactions, blobs, attempts and sessions in SQL. Every write bumps the transaction's version
 * with an optimistic check, commits durably, and then publishes the new version to the
 * {@link VersionWatch} so local waiters wake up.
 */
public final class Storage {
  /** The blob id of a transaction's raw body in transaction_blobs. */
  public static final String BODY = "__internal_tx_body";

  private final Database db;
  private final Clock clock;
  private final VersionWatch watch;
  private final long maxBlobSize;
  private volatile long sessionId = -1;

  public Storage(Database db, Clock clock, VersionWatch watch, long maxBlobSize) {
    this.db = db;
    this.clock = clock;
    this.watch = watch;
    this.maxBlobSize = maxBlobSize;
  }

  /** The clock this store stamps times with. */
  public Clock clock() {
    return clock;
  }

  public VersionWatch watch() {
    return watch;
  }

  public Database database() {
    return db;
  }

  public long sessionId() {
    return sessionId;
  }

  private long now() {
    return clock.millis();
  }

  // ---------------------------------------------------------------- sessions

  /**
   * Registers this process as a live session with its URI. With {@code exclusive} (embedded
   * SQLite: one router owns the file) every other session is declared dead at once and its
   * leases are released, so a restart after a crash resumes the work immediately.
   */
  public long startSession(String uri, boolean exclusive) {
    long id = writeAll(c -> {
      long t = now();
      if (exclusive) {
        releaseDeadLeases(c, "UPDATE sessions SET live = FALSE WHERE live", null);
      }
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO sessions (uri, creation, last_update, live) VALUES (?, ?, ?, TRUE) RETURNING id")) {
        ps.setString(1, uri);
        ps.setLong(2, t);
        ps.setLong(3, t);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    });
    sessionId = id;
    return id;
  }

  /** Refreshes this session; returns false if another replica declared it dead. */
  public boolean refreshSession() {
    return db.write(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE sessions SET last_update = ? WHERE id = ? AND live")) {
        ps.setLong(1, now());
        ps.setLong(2, sessionId);
        return ps.executeUpdate() == 1;
      }
    });
  }

  /** Declares sessions not refreshed within {@code ttl} dead and releases their leases. */
  public int expireSessions(Duration ttl) {
    return writeAll(c -> releaseDeadLeases(c,
        "UPDATE sessions SET live = FALSE WHERE live AND last_update < ? AND id <> ?",
        new long[] {now() - ttl.toMillis(), sessionId}));
  }

  /**
   * Runs {@code markDead} (may be null) and releases every lease held by a session that is not
   * live, whoever marked it dead and when: a lease taken under a session that died meanwhile
   * (a create racing with a self-fencing restart) is released by the next sweep.
   */
  private int releaseDeadLeases(Connection c, String markDead, long[] args) throws SQLException {
    if (markDead != null) {
      try (PreparedStatement ps = c.prepareStatement(markDead)) {
        if (args != null) {
          for (int i = 0; i < args.length; i++) {
            ps.setLong(i + 1, args[i]);
          }
        }
        ps.executeUpdate();
      }
    }
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE transactions SET inflight_session_id = NULL, version = version + 1, last_update = ?"
            + " WHERE inflight_session_id IN (SELECT id FROM sessions WHERE NOT live)")) {
      ps.setLong(1, now());
      return ps.executeUpdate();
    }
  }

  /**
   * Self-fencing: gives up this session (marking it dead releases every lease it still holds)
   * and registers a new live one. Called after this router stopped its attempts because its
   * session went stale; work it held is then claimed afresh, by it or by another replica.
   */
  public long restartSession(String uri) {
    long old = sessionId;
    long id = writeAll(c -> {
      long t = now();
      if (old >= 0) {
        try (PreparedStatement ps = c.prepareStatement("UPDATE sessions SET live = FALSE WHERE id = ?")) {
          ps.setLong(1, old);
          ps.executeUpdate();
        }
      }
      // releases the old session's leases, and any still pointing at a dead session
      releaseDeadLeases(c, null, null);
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO sessions (uri, creation, last_update, live) VALUES (?, ?, ?, TRUE) RETURNING id")) {
        ps.setString(1, uri);
        ps.setLong(2, t);
        ps.setLong(3, t);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    });
    sessionId = id;
    return id;
  }

  /** A cheap round trip to the database (readiness checks). */
  public void ping() {
    db.read(c -> {
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
        rs.next();
        return null;
      }
    });
  }

  /** Marks this session dead on clean shutdown, releasing its leases. */
  public void endSession() {
    if (sessionId < 0) {
      return;
    }
    writeAll(c -> releaseDeadLeases(c, "UPDATE sessions SET live = FALSE WHERE id = ?",
        new long[] {sessionId}));
  }

  // ---------------------------------------------------------------- transactions

  /** A transaction to create. */
  public record NewTx(String restId, Envelope envelope, BodySpec body, boolean incremental,
      boolean retry, boolean notification, boolean leased) {}

  public TxRow create(NewTx n) {
    long version = writeTx(n.restId(), c -> {
      long t = now();
      long txId;
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO transactions (rest_id, sender, tag, json, retry, notification,"
              + " creation_session_id, inflight_session_id, creation, last_update, version)"
              + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id")) {
        ps.setString(1, n.restId());
        ps.setString(2, n.envelope().sender());
        ps.setString(3, n.envelope().tag());
        ps.setString(4, n.envelope().toStoredJson().toString());
        ps.setBoolean(5, n.retry());
        ps.setBoolean(6, n.notification());
        setNullableLong(ps, 7, sessionId < 0 ? null : sessionId);
        setNullableLong(ps, 8, n.leased() && sessionId >= 0 ? sessionId : null);
        ps.setLong(9, t);
        ps.setLong(10, t);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          txId = rs.getLong(1);
        }
      }
      BodySpec body = n.body();
      if (body == null && !n.incremental()) {
        body = new BodySpec.Inline(null); // an empty raw body blob to PUT later
      }
      if (body != null) {
        attachBody(c, txId, body, t);
      }
      return 1L;
    });
    watch.publish(n.restId(), version);
    return read(n.restId()).orElseThrow();
  }

  /** Creates the blobs and references of {@code body} for transaction {@code txId}. */
  private void attachBody(Connection c, long txId, BodySpec body, long t) throws SQLException {
    BodyKind kind;
    String spec = null;
    switch (body) {
      case BodySpec.Inline in -> {
        kind = BodyKind.RAW;
        long blob = in.content() == null ? newBlob(c, null, t) : newBlob(c, in.content(), t);
        ref(c, txId, BODY, blob);
      }
      case BodySpec.Reuse r -> {
        kind = BodyKind.RAW;
        ref(c, txId, BODY, findFinalizedBlob(c, r.ref()));
      }
      case BodySpec.Builder b -> {
        kind = BodyKind.MESSAGE_BUILDER;
        spec = b.storedSpec().toString();
        for (BodySpec.BuilderBlob bb : b.blobs()) {
          long blob = switch (bb.source()) {
            case BodySpec.InlineContent ic -> newBlob(c, ic.content(), t);
            case BodySpec.Upload u -> newBlob(c, null, t);
            case BodySpec.ReuseBlob rb -> findFinalizedBlob(c, rb.ref());
          };
          ref(c, txId, bb.id(), blob);
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE transactions SET body_kind = ?, message_builder = ? WHERE id = ?")) {
      ps.setInt(1, kind.ordinal());
      ps.setString(2, spec);
      ps.setLong(3, txId);
      ps.executeUpdate();
    }
    updateInputDone(c, txId);
  }

  private long newBlob(Connection c, byte[] content, long t) throws SQLException {
    if (content != null && content.length > maxBlobSize) {
      throw new StorageException(StorageException.Kind.TOO_LARGE,
          "blob of " + content.length + " bytes exceeds the limit of " + maxBlobSize);
    }
    long id;
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO blobs (length, stored, creation, last_update) VALUES (?, ?, ?, ?) RETURNING id")) {
      setNullableLong(ps, 1, content == null ? null : (long) content.length);
      ps.setLong(2, content == null ? 0 : content.length);
      ps.setLong(3, t);
      ps.setLong(4, t);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        id = rs.getLong(1);
      }
    }
    if (content != null && content.length > 0) {
      insertChunk(c, id, 0, content, 0, content.length);
    }
    return id;
  }

  private static void insertChunk(Connection c, long blob, long start, byte[] data, int off, int len)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO blob_chunks (blob_id, start, data) VALUES (?, ?, ?)")) {
      ps.setLong(1, blob);
      ps.setLong(2, start);
      byte[] bytes = data;
      if (off != 0 || len != data.length) {
        bytes = java.util.Arrays.copyOfRange(data, off, off + len);
      }
      ps.setBytes(3, bytes);
      ps.executeUpdate();
    }
  }

  private static void ref(Connection c, long txId, String restId, long blobId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO transaction_blobs (transaction_id, rest_id, blob_id) VALUES (?, ?, ?)")) {
      ps.setLong(1, txId);
      ps.setString(2, restId);
      ps.setLong(3, blobId);
      ps.executeUpdate();
    }
  }

  private static long findFinalizedBlob(Connection c, BlobRef ref) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT b.id, b.stored, b.length FROM transactions t"
            + " JOIN transaction_blobs tb ON tb.transaction_id = t.id"
            + " JOIN blobs b ON b.id = tb.blob_id WHERE t.rest_id = ? AND tb.rest_id = ?")) {
      ps.setString(1, ref.txRestId());
      ps.setString(2, ref.isBody() ? BODY : ref.blobId());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new TxValidationException("reuse_uri " + ref.path() + " does not exist");
        }
        long length = rs.getLong(3);
        if (rs.wasNull() || length != rs.getLong(2)) {
          throw new TxValidationException("reuse_uri " + ref.path() + " is not finalized");
        }
        return rs.getLong(1);
      }
    }
  }

  private static void updateInputDone(Connection c, long txId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE transactions SET input_done = (body_kind <> 0 AND NOT EXISTS ("
            + "SELECT 1 FROM transaction_blobs tb JOIN blobs b ON b.id = tb.blob_id"
            + " WHERE tb.transaction_id = transactions.id"
            + " AND (b.length IS NULL OR b.length <> b.stored))) WHERE id = ?")) {
      ps.setLong(1, txId);
      ps.executeUpdate();
    }
  }

  private static final String SELECT_TX =
      "SELECT t.id, t.rest_id, t.version, t.json, t.body_kind, t.message_builder, t.input_done,"
          + " t.retry, t.notification, t.cancelled, t.final_attempt_reason, t.attempt_count,"
          + " a.responses, t.inflight_session_id, s.uri, s.live, t.creation, t.last_update,"
          + " t.next_attempt_time FROM transactions t"
          + " LEFT JOIN sessions s ON s.id = t.inflight_session_id"
          + " LEFT JOIN attempts a ON a.transaction_id = t.id AND a.attempt_id = t.attempt_count"
          + " WHERE t.rest_id = ?";

  public Optional<TxRow> read(String restId) {
    RowCache cache = db.rowCache();
    if (cache == null) {
      return db.read(c -> readTx(c, restId));
    }
    TxRow hit = cache.get(restId);
    if (hit != null) {
      return Optional.of(hit.copy());
    }
    RowCache.Tag tag = cache.tag(restId);
    Optional<TxRow> row = db.read(c -> readTx(c, restId));
    row.ifPresent(r -> cache.put(restId, r, tag));
    return row.map(TxRow::copy);
  }

  /** {@link #read} without the row cache (tests compare the two). */
  Optional<TxRow> readUncached(String restId) {
    return db.read(c -> readTx(c, restId));
  }

  /**
   * A write that may change what {@link #read} returns for {@code restId}: with a row cache, the
   * cached row is dropped once the write commits, in commit order, before the caller publishes
   * the new version (so whoever it wakes reads the new state).
   */
  private <T> T writeTx(String restId, Database.Work<T> work) {
    RowCache cache = db.rowCache();
    return cache == null ? db.write(work) : db.write(work, () -> cache.changed(restId));
  }

  /**
   * As {@link #writeTx(String, Database.Work)} for a write whose whole effect on the row is known:
   * {@code work} returns the new version, and when the cache holds the row as it was just before
   * (the version before), {@code derive} turns it into the row after, kept for the next reader.
   */
  private long writeTx(String restId, Database.Work<Long> work, UnaryOperator<TxRow> derive) {
    RowCache cache = db.rowCache();
    if (cache == null) {
      return db.write(work);
    }
    long[] version = new long[1];
    return db.write(c -> {
      version[0] = work.run(c);
      return version[0];
    }, () -> cache.changedFrom(restId, version[0], derive));
  }

  /** A write that may change any transaction (sessions, leases in bulk, GC). */
  private <T> T writeAll(Database.Work<T> work) {
    RowCache cache = db.rowCache();
    return cache == null ? db.write(work) : db.write(work, cache::changedAll);
  }

  private Optional<TxRow> readTx(Connection c, String restId) throws SQLException {
    long id;
    TxRow row;
    try (PreparedStatement ps = c.prepareStatement(SELECT_TX)) {
      ps.setString(1, restId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        id = rs.getLong(1);
        String mb = rs.getString(6);
        String responses = rs.getString(13);
        long lease = rs.getLong(14);
        boolean leased = !rs.wasNull();
        String leaseUri = rs.getString(15);
        boolean live = rs.getBoolean(16);
        long next = rs.getLong(19);
        boolean hasNext = !rs.wasNull();
        row = new TxRow(id, rs.getString(2), rs.getLong(3),
            Envelope.fromStoredJson(parse(rs.getString(4))),
            BodyKind.values()[rs.getInt(5)],
            mb == null ? null : (ObjectNode) parse(mb),
            rs.getBoolean(7), rs.getBoolean(8), rs.getBoolean(9), rs.getBoolean(10),
            rs.getString(11), rs.getInt(12),
            responses == null ? null : (ObjectNode) parse(responses),
            leased ? lease : null, leased && live ? leaseUri : null,
            rs.getLong(17), rs.getLong(18), hasNext ? next : null, List.of());
      }
    }
    List<BlobStatus> blobs = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT tb.rest_id, b.stored, b.length FROM transaction_blobs tb"
            + " JOIN blobs b ON b.id = tb.blob_id WHERE tb.transaction_id = ? ORDER BY tb.rest_id")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String blobId = rs.getString(1);
          long stored = rs.getLong(2);
          long len = rs.getLong(3);
          blobs.add(new BlobStatus(blobId, stored, rs.wasNull() ? null : len));
        }
      }
    }
    return Optional.of(new TxRow(row.id(), row.restId(), row.version(), row.envelope(),
        row.bodyKind(), row.messageBuilder(), row.inputDone(), row.retry(), row.notification(),
        row.cancelled(), row.finalAttemptReason(), row.attemptCount(), row.responses(),
        row.leaseSessionId(), row.leaseUri(), row.creation(), row.lastUpdate(),
        row.nextAttemptTime(), blobs));
  }

  /** The current version, or empty if the transaction does not exist. */
  public Optional<Long> version(String restId) {
    RowCache cache = db.rowCache();
    TxRow hit = cache == null ? null : cache.get(restId);
    if (hit != null) {
      return Optional.of(hit.version());
    }
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT version FROM transactions WHERE rest_id = ?")) {
        ps.setString(1, restId);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
        }
      }
    });
  }

  /** The state a write needs, read inside the write transaction. */
  private record Head(String restId, long id, long version, String json, BodyKind bodyKind,
      String finalReason, boolean cancelled) {}

  private static Head head(Connection c, String restId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT id, version, json, body_kind, final_attempt_reason, cancelled"
            + " FROM transactions WHERE rest_id = ?")) {
      ps.setString(1, restId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw StorageException.notFound("transaction " + restId);
        }
        return new Head(restId, rs.getLong(1), rs.getLong(2), rs.getString(3),
            BodyKind.values()[rs.getInt(4)], rs.getString(5), rs.getBoolean(6));
      }
    }
  }

  /** Bumps the version of {@code h} if it is still {@code h.version}; else a conflict. */
  private long bump(Connection c, Head h, String extraSet, Object... extraArgs) throws SQLException {
    return bumpWhere(c, now(), h, null, extraSet, extraArgs);
  }

  /**
   * As {@link #bump}, with a further condition {@code where} whose parameters follow those of
   * {@code extraSet} in {@code extraArgs}.
   */
  private long bumpWhere(Connection c, long t, Head h, String where, String extraSet,
      Object... extraArgs)
      throws SQLException {
    String sql = "UPDATE transactions SET version = version + 1, last_update = ?"
        + (extraSet == null ? "" : ", " + extraSet) + " WHERE id = ? AND version = ?"
        + (where == null ? "" : " AND " + where);
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      ps.setLong(i++, t);
      int setArgs = where == null ? extraArgs.length : extraArgs.length - countParams(where);
      for (int k = 0; k < setArgs; k++) {
        i = bind(ps, i, extraArgs[k]);
      }
      ps.setLong(i++, h.id());
      ps.setLong(i++, h.version());
      for (int k = setArgs; k < extraArgs.length; k++) {
        i = bind(ps, i, extraArgs[k]);
      }
      if (ps.executeUpdate() != 1) {
        throw StorageException.conflict();
      }
    }
    return h.version() + 1;
  }

  private static int countParams(String sql) {
    return (int) sql.chars().filter(ch -> ch == '?').count();
  }

  private static int bind(PreparedStatement ps, int i, Object a) throws SQLException {
    if (a == null) {
      ps.setNull(i, Types.NULL); // let the server infer the column type
    } else if (a instanceof Long l) {
      ps.setLong(i, l);
    } else if (a instanceof Integer n) {
      ps.setInt(i, n);
    } else if (a instanceof Boolean b) {
      ps.setBoolean(i, b);
    } else {
      ps.setString(i, a.toString());
    }
    return i + 1;
  }

  /**
   * As {@link #bump}, and only while this session holds the lease ({@code orUnleased}: or nobody
   * does). A row leased elsewhere (or released because this session was declared dead) is
   * {@link StorageException.Kind#LEASE_LOST}: the fencing that keeps a stale router from
   * overwriting the work of the replica that took over.
   */
  private long bumpLeased(Connection c, Head h, boolean orUnleased, String extraSet,
      Object... extraArgs) throws SQLException {
    return bumpLeasedAt(c, now(), h, orUnleased, extraSet, extraArgs);
  }

  /** As {@link #bumpLeased}, stamping {@code last_update} with {@code t}. */
  private long bumpLeasedAt(Connection c, long t, Head h, boolean orUnleased, String extraSet,
      Object... extraArgs) throws SQLException {
    Object[] args = java.util.Arrays.copyOf(extraArgs, extraArgs.length + 1);
    args[extraArgs.length] = sessionId;
    String where = orUnleased ? "(inflight_session_id IS NULL OR inflight_session_id = ?)"
        : "inflight_session_id = ?";
    try {
      return bumpWhere(c, t, h, where, extraSet, args);
    } catch (StorageException e) {
      if (e.kind() != StorageException.Kind.VERSION_CONFLICT) {
        throw e;
      }
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT version, inflight_session_id FROM transactions WHERE id = ?")) {
        ps.setLong(1, h.id());
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next() && rs.getLong(1) == h.version()) {
            long holder = rs.getLong(2);
            throw new StorageException(StorageException.Kind.LEASE_LOST, "transaction "
                + h.restId() + " is no longer leased to this session " + sessionId
                + (rs.wasNull() ? "" : " but to session " + holder));
          }
        }
      }
      throw e;
    }
  }

  /**
   * Applies an update delta if the version is still {@code expectedVersion}. A delta that adds
   * nothing is a heartbeat: it only bumps the version.
   */
  public TxRow update(String restId, long expectedVersion, TxDelta delta) {
    long version = writeTx(restId, c -> {
      Head h = head(c, restId);
      if (h.version() != expectedVersion) {
        throw StorageException.conflict();
      }
      if (delta == null || delta.isEmpty()) {
        return bump(c, h, null);
      }
      boolean envelopeChange = delta.mailFrom() != null || !delta.rcptTo().isEmpty()
          || delta.body() != null;
      if (envelopeChange && h.finalReason() != null && !h.finalReason().equals(TxRow.ONESHOT)) {
        throw new TxValidationException("transaction is already final: " + h.finalReason());
      }
      Envelope env = Envelope.fromStoredJson(parse(h.json())).apply(delta);
      long v = bump(c, h, "json = ?", env.toStoredJson().toString());
      if (delta.body() != null) {
        if (h.bodyKind() != BodyKind.NONE) {
          throw new TxValidationException("body is already set");
        }
        attachBody(c, h.id(), delta.body(), now());
      }
      return v;
    });
    watch.publish(restId, version);
    return read(restId).orElseThrow();
  }

  /** Cancels unless already final; returns the version after. */
  public long cancel(String restId) {
    long[] published = {-1};
    long version = writeTx(restId, c -> {
      Head h = head(c, restId);
      if (h.finalReason() != null && !h.finalReason().equals(TxRow.ONESHOT)) {
        return h.version();
      }
      long v = bump(c, h, "cancelled = TRUE, final_attempt_reason = ?", "downstream cancelled");
      published[0] = v;
      return v;
    });
    if (published[0] > 0) {
      watch.publish(restId, version);
    }
    return version;
  }

  /**
   * Attaches a body to a transaction that has none, whatever its version (retrying version
   * conflicts with concurrent writers). Used to hand a shared body to fanned-out transactions.
   */
  public long attachBody(String restId, BodySpec body) {
    for (int i = 0; ; i++) {
      try {
        long v = writeTx(restId, c -> {
          Head h = head(c, restId);
          if (h.bodyKind() != BodyKind.NONE) {
            throw new TxValidationException("body is already set");
          }
          long nv = bump(c, h, null);
          attachBody(c, h.id(), body, now());
          return nv;
        });
        watch.publish(restId, v);
        return v;
      } catch (StorageException e) {
        if (e.kind() != StorageException.Kind.VERSION_CONFLICT || i >= 20) {
          throw e;
        }
      }
    }
  }

  /** What {@link #enableStoreAndForward} found. */
  public record StoreAndForward(boolean reopened, String finalReason) {}

  /**
   * Turns on retries and notifications for a transaction (the Exploder's store-and-forward). A
   * transaction whose single attempt already ended with a temporary failure ({@code
   * retryReasonOfOneshot}) is reopened for the dequeuer; one that failed for good is returned
   * with its final reason so the caller can send the bounce it now owes.
   */
  public StoreAndForward enableStoreAndForward(String restId, String retryReasonOfOneshot,
      long nextAttemptTime) {
    for (int i = 0; ; i++) {
      try {
        String[] reason = new String[1];
        boolean[] reopened = new boolean[1];
        long v = writeTx(restId, c -> {
          Head h = head(c, restId);
          reason[0] = h.finalReason();
          if (retryReasonOfOneshot.equals(h.finalReason()) && !h.cancelled()) {
            reopened[0] = true;
            return bump(c, h, "retry = TRUE, notification = TRUE, final_attempt_reason = NULL,"
                + " next_attempt_time = ?", nextAttemptTime);
          }
          if (TxRow.ONESHOT.equals(h.finalReason())) {
            // the attempt is still running: it will see retry when it ends
            return bump(c, h, "retry = TRUE, notification = TRUE, final_attempt_reason = NULL");
          }
          return bump(c, h, "retry = TRUE, notification = TRUE");
        });
        watch.publish(restId, v);
        return new StoreAndForward(reopened[0], reopened[0] ? null : reason[0]);
      } catch (StorageException e) {
        if (e.kind() != StorageException.Kind.VERSION_CONFLICT || i >= 20) {
          throw e;
        }
      }
    }
  }

  // ---------------------------------------------------------------- blobs

  /**
   * Appends {@code len} bytes of {@code data} at {@code offset} to blob {@code blobRestId} of
   * transaction {@code txRestId}. Bytes before the stored length are skipped (an idempotent
   * retry); a gap is an invalid range. {@code total}, when given, declares the final length.
   * An incremental transaction's raw body is created by the first append at offset 0.
   */
  public BlobWrite append(String txRestId, String blobRestId, long offset, byte[] data, int len,
      Long total) {
    BlobWrite w = writeTx(txRestId, c -> {
      Head h = head(c, txRestId);
      Long blob = findRef(c, h.id(), blobRestId);
      if (blob == null) {
        if (blobRestId.equals(BODY) && h.bodyKind() == BodyKind.NONE && offset == 0) {
          blob = newBlob(c, null, now());
          ref(c, h.id(), BODY, blob);
          try (PreparedStatement ps = c.prepareStatement(
              "UPDATE transactions SET body_kind = ? WHERE id = ?")) {
            ps.setInt(1, BodyKind.RAW.ordinal());
            ps.setLong(2, h.id());
            ps.executeUpdate();
          }
        } else {
          throw StorageException.notFound(blobRestId.equals(BODY)
              ? "raw body of transaction " + txRestId : "blob " + blobRestId);
        }
      }
      long[] sl = blobState(c, blob);
      long stored = sl[0];
      Long length = sl[1] < 0 ? null : sl[1];
      if (total != null && length != null && !total.equals(length)) {
        throw range(stored, length, "length " + total + " differs from the declared " + length);
      }
      if (offset > stored) {
        throw range(stored, length, "range starts at " + offset + " but " + stored + " bytes are stored");
      }
      long end = offset + len;
      Long newLength = length != null ? length : total;
      if (newLength != null && stored > newLength) {
        throw range(stored, length, stored + " bytes are stored, more than the length " + newLength);
      }
      if (newLength != null && end > newLength) {
        throw range(stored, length, "range ends beyond the length " + newLength);
      }
      if (end > maxBlobSize || (newLength != null && newLength > maxBlobSize)) {
        throw new StorageException(StorageException.Kind.TOO_LARGE,
            "blob exceeds the limit of " + maxBlobSize + " bytes");
      }
      int skip = (int) Math.min(len, stored - offset);
      long newStored = stored;
      if (len - skip > 0) {
        insertChunk(c, blob, stored, data, skip, len - skip);
        newStored = stored + (len - skip);
      }
      if (newStored == stored && java.util.Objects.equals(newLength, length)) {
        return new BlobWrite(stored, length, h.version()); // nothing new
      }
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE blobs SET stored = ?, length = ?, last_update = ? WHERE id = ?")) {
        ps.setLong(1, newStored);
        setNullableLong(ps, 2, newLength);
        ps.setLong(3, now());
        ps.setLong(4, blob);
        ps.executeUpdate();
      }
      long v = bump(c, h, null);
      if (newLength != null && newStored == newLength) {
        updateInputDone(c, h.id());
      }
      return new BlobWrite(newStored, newLength, v);
    });
    watch.publish(txRestId, w.version());
    return w;
  }

  /** The stored length and declared length (or -1) of a blob, for resync after an error. */
  public Optional<BlobStatus> blobStatus(String txRestId, String blobRestId) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT b.stored, b.length FROM transactions t"
              + " JOIN transaction_blobs tb ON tb.transaction_id = t.id"
              + " JOIN blobs b ON b.id = tb.blob_id WHERE t.rest_id = ? AND tb.rest_id = ?")) {
        ps.setString(1, txRestId);
        ps.setString(2, blobRestId);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          long stored = rs.getLong(1);
          long len = rs.getLong(2);
          return Optional.of(new BlobStatus(blobRestId, stored, rs.wasNull() ? null : len));
        }
      }
    });
  }

  /** Reads a whole blob. Bodies are bounded by the configured maximum blob size. */
  public Optional<byte[]> readBlob(String txRestId, String blobRestId) {
    return db.read(c -> {
      Long blob;
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT tb.blob_id FROM transactions t JOIN transaction_blobs tb"
              + " ON tb.transaction_id = t.id WHERE t.rest_id = ? AND tb.rest_id = ?")) {
        ps.setString(1, txRestId);
        ps.setString(2, blobRestId);
        try (ResultSet rs = ps.executeQuery()) {
          blob = rs.next() ? rs.getLong(1) : null;
        }
      }
      if (blob == null) {
        return Optional.empty();
      }
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT data FROM blob_chunks WHERE blob_id = ? ORDER BY start")) {
        ps.setLong(1, blob);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.writeBytes(rs.getBytes(1));
          }
        }
      }
      return Optional.of(out.toByteArray());
    });
  }

  private static Long findRef(Connection c, long txId, String restId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT blob_id FROM transaction_blobs WHERE transaction_id = ? AND rest_id = ?")) {
      ps.setLong(1, txId);
      ps.setString(2, restId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  private static long[] blobState(Connection c, long blob) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT stored, length FROM blobs WHERE id = ?")) {
      ps.setLong(1, blob);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long stored = rs.getLong(1);
        long len = rs.getLong(2);
        return new long[] {stored, rs.wasNull() ? -1 : len};
      }
    }
  }

  private static InvalidRange range(long stored, Long length, String why) {
    return new InvalidRange(stored, length, why);
  }

  /** A write that does not line up with the stored bytes; carries them for the resync reply. */
  public static final class InvalidRange extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long stored;
    private final Long length;

    InvalidRange(long stored, Long length, String why) {
      super(why);
      this.stored = stored;
      this.length = length;
    }

    public long stored() {
      return stored;
    }

    public Long length() {
      return length;
    }
  }

  // ---------------------------------------------------------------- attempts

  /**
   * Starts an attempt: leases the transaction to this session and adds an attempt row. A
   * transaction without retries gets the internal final reason "oneshot" so that it is never
   * loaded again. Returns the attempt id.
   */
  public int startAttempt(String restId) {
    long[] v = new long[1];
    int attempt = writeTx(restId, c -> {
      Head h = head(c, restId);
      int next;
      boolean retry;
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT attempt_count, retry FROM transactions WHERE id = ?")) {
        ps.setLong(1, h.id());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          next = rs.getInt(1) + 1;
          retry = rs.getBoolean(2);
        }
      }
      v[0] = bumpLeased(c, h, true, "attempt_count = ?, inflight_session_id = ?, final_attempt_reason = "
              + "COALESCE(final_attempt_reason, ?)",
          next, sessionId, retry ? null : TxRow.ONESHOT);
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO attempts (transaction_id, attempt_id, session_id, responses, creation,"
              + " last_update) VALUES (?, ?, ?, '{}', ?, ?)")) {
        long t = now();
        ps.setLong(1, h.id());
        ps.setInt(2, next);
        ps.setLong(3, sessionId);
        ps.setLong(4, t);
        ps.setLong(5, t);
        ps.executeUpdate();
      }
      return next;
    });
    watch.publish(restId, v[0]);
    return attempt;
  }

  /**
   * Merges {@code responses} ({@code mail_response}, {@code rcpt_response}, {@code data_response},
   * {@code filter_output}) into the attempt's row.
   */
  public long writeResponses(String restId, int attemptId, ObjectNode responses) {
    return retryConflicts(() -> writeResponsesOnce(restId, attemptId, responses));
  }

  /**
   * Runs a write that re-reads what it needs, again after a version conflict (a client wrote
   * meanwhile): the attempt's own writes never fail because a client was busy.
   */
  private static long retryConflicts(java.util.function.LongSupplier write) {
    for (int i = 0; ; i++) {
      try {
        return write.getAsLong();
      } catch (StorageException e) {
        if (e.kind() != StorageException.Kind.VERSION_CONFLICT || i >= 20) {
          throw e;
        }
      }
    }
  }

  private long writeResponsesOnce(String restId, int attemptId, ObjectNode responses) {
    ObjectNode[] stored = new ObjectNode[1];
    long[] at = new long[1];
    long version = writeTx(restId, c -> {
      Head h = head(c, restId);
      String current;
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT responses FROM attempts WHERE transaction_id = ? AND attempt_id = ?")) {
        ps.setLong(1, h.id());
        ps.setInt(2, attemptId);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw StorageException.notFound("attempt " + attemptId);
          }
          current = rs.getString(1);
        }
      }
      ObjectNode merged = (ObjectNode) parse(current);
      merged.setAll(responses);
      String json = merged.toString();
      at[0] = now();
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE attempts SET responses = ?, last_update = ? WHERE transaction_id = ? AND attempt_id = ?")) {
        ps.setString(1, json);
        ps.setLong(2, at[0]);
        ps.setLong(3, h.id());
        ps.setInt(4, attemptId);
        ps.executeUpdate();
      }
      long v = bumpLeasedAt(c, at[0], h, false, null);
      stored[0] = (ObjectNode) parse(json); // as a read would return it
      return v;
    }, before -> before.afterResponses(attemptId, stored[0], at[0]));
    watch.publish(restId, version);
    return version;
  }

  /**
   * Ends the attempt: releases the lease and sets the next attempt time (null: none) and,
   * when given, the final reason (which replaces the internal "oneshot" marker).
   */
  public long finishAttempt(String restId, Long nextAttemptTime, String finalReason) {
    return finishAttempt(restId, nextAttemptTime, finalReason, null, null);
  }

  /**
   * As {@link #finishAttempt(String, Long, String)}, but only if the transaction's retry and
   * notification flags are still {@code retry} and {@code notification} (when not null): the
   * decision was made with them. Returns -1, writing nothing, if they changed meanwhile (the
   * Exploder's store-and-forward); the caller decides again.
   */
  public long finishAttempt(String restId, Long nextAttemptTime, String finalReason, Boolean retry,
      Boolean notification) {
    return retryConflicts(() -> finishAttemptOnce(restId, nextAttemptTime, finalReason, retry,
        notification));
  }

  private long finishAttemptOnce(String restId, Long nextAttemptTime, String finalReason,
      Boolean retry, Boolean notification) {
    long version = writeTx(restId, c -> {
      Head h = head(c, restId);
      if (retry != null || notification != null) {
        try (PreparedStatement ps = c.prepareStatement(
            "SELECT retry, notification FROM transactions WHERE id = ?")) {
          ps.setLong(1, h.id());
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            if ((retry != null && rs.getBoolean(1) != retry)
                || (notification != null && rs.getBoolean(2) != notification)) {
              return -1L;
            }
          }
        }
      }
      String reason = finalReason;
      if (reason == null && h.finalReason() != null) {
        reason = h.finalReason();
      }
      return bumpLeased(c, h, false,
          "inflight_session_id = NULL, next_attempt_time = ?, final_attempt_reason = ?",
          nextAttemptTime, reason);
    });
    if (version > 0) {
      watch.publish(restId, version);
    }
    return version;
  }

  // ---------------------------------------------------------------- reading blobs

  /** A finished or growing blob: its storage id and the bytes stored so far. */
  public record BlobHandle(long blobId, long stored, Long length) {}

  public Optional<BlobHandle> blob(String txRestId, String blobRestId) {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT b.id, b.stored, b.length FROM transactions t"
              + " JOIN transaction_blobs tb ON tb.transaction_id = t.id"
              + " JOIN blobs b ON b.id = tb.blob_id WHERE t.rest_id = ? AND tb.rest_id = ?")) {
        ps.setString(1, txRestId);
        ps.setString(2, blobRestId);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return Optional.empty();
          }
          long id = rs.getLong(1);
          long stored = rs.getLong(2);
          long len = rs.getLong(3);
          return Optional.of(new BlobHandle(id, stored, rs.wasNull() ? null : len));
        }
      }
    });
  }

  /**
   * Streams a blob's bytes chunk by chunk (one short read per chunk, no connection held between
   * reads), so a large body is never in memory at once. Chunks never change once written.
   */
  public java.io.InputStream openBlob(long blobId) {
    List<Long> starts = db.read(c -> {
      List<Long> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT start FROM blob_chunks WHERE blob_id = ? ORDER BY start")) {
        ps.setLong(1, blobId);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getLong(1));
          }
        }
      }
      return out;
    });
    java.util.Iterator<Long> it = starts.iterator();
    return new java.io.SequenceInputStream(new java.util.Enumeration<java.io.InputStream>() {
      @Override
      public boolean hasMoreElements() {
        return it.hasNext();
      }

      @Override
      public java.io.InputStream nextElement() {
        long start = it.next();
        byte[] data = db.read(c -> {
          try (PreparedStatement ps = c.prepareStatement(
              "SELECT data FROM blob_chunks WHERE blob_id = ? AND start = ?")) {
            ps.setLong(1, blobId);
            ps.setLong(2, start);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return rs.getBytes(1);
            }
          }
        });
        return new java.io.ByteArrayInputStream(data);
      }
    });
  }

  // ---------------------------------------------------------------- dequeue, leases, GC

  private static final String ELIGIBLE =
      " FROM transactions WHERE inflight_session_id IS NULL AND ("
          + "(final_attempt_reason IS NULL AND (input_done OR creation_session_id = ?))"
          // an attempt of a single-attempt transaction interrupted by a crash: try it again
          + " OR final_attempt_reason = '" + TxRow.ONESHOT + "')";

  /**
   * Leases one transaction that is due (no lease, not final, input complete, next attempt time
   * reached) to this session and returns its id.
   */
  public Optional<String> claimNext() {
    long t = now();
    for (int tries = 0; tries < 5; tries++) {
      Optional<Object[]> candidate = db.read(c -> {
        try (PreparedStatement ps = c.prepareStatement("SELECT id, rest_id" + ELIGIBLE
            + " AND (next_attempt_time IS NULL OR next_attempt_time <= ?)"
            + " ORDER BY next_attempt_time LIMIT 1")) {
          ps.setLong(1, sessionId);
          ps.setLong(2, t);
          try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? Optional.of(new Object[] {rs.getLong(1), rs.getString(2)})
                : Optional.empty();
          }
        }
      });
      if (candidate.isEmpty()) {
        return Optional.empty();
      }
      long id = (Long) candidate.get()[0];
      boolean won = writeTx((String) candidate.get()[1], c -> {
        try (PreparedStatement ps = c.prepareStatement(
            "UPDATE transactions SET inflight_session_id = ? WHERE id = ? AND inflight_session_id IS NULL")) {
          ps.setLong(1, sessionId);
          ps.setLong(2, id);
          return ps.executeUpdate() == 1;
        }
      });
      if (won) {
        return Optional.of((String) candidate.get()[1]);
      }
    }
    return Optional.empty();
  }

  /** The earliest future attempt time among waiting transactions, if any. */
  public Optional<Long> nextAttemptTime() {
    return db.read(c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT MIN(next_attempt_time)" + ELIGIBLE)) {
        ps.setLong(1, sessionId);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          long v = rs.getLong(1);
          return rs.wasNull() ? Optional.empty() : Optional.of(v);
        }
      }
    });
  }

  /** The transactions leased to this session now. */
  public List<String> leasedHere() {
    return db.read(c -> {
      List<String> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement(
          "SELECT rest_id FROM transactions WHERE inflight_session_id = ?")) {
        ps.setLong(1, sessionId);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      }
      return out;
    });
  }

  /** Gives up this session's lease on a transaction without an attempt (e.g. no capacity now). */
  public void releaseLease(String restId) {
    writeTx(restId, c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE transactions SET inflight_session_id = NULL WHERE rest_id = ? AND inflight_session_id = ?")) {
        ps.setString(1, restId);
        ps.setLong(2, sessionId);
        return ps.executeUpdate();
      }
    });
  }

  /**
   * Records that a delay notice went out; returns false if one already had (so at most one is
   * ever sent per transaction).
   */
  public boolean markDelayNotified(String restId) {
    return writeTx(restId, c -> {
      try (PreparedStatement ps = c.prepareStatement(
          "UPDATE transactions SET delay_notified = TRUE WHERE rest_id = ? AND NOT delay_notified")) {
        ps.setString(1, restId);
        return ps.executeUpdate() == 1;
      }
    });
  }

  /** What {@link #gc} removed. */
  public record GcResult(int transactions, int blobs) {}

  /**
   * Removes transactions nobody works on that are finished, or abandoned with incomplete input,
   * and unchanged for {@code ttl}; then blobs no transaction references. Transactions waiting for
   * a retry are kept.
   */
  public GcResult gc(Duration ttl) {
    return gc(ttl, ttl);
  }

  /** As {@link #gc(Duration)}, with separate ages for finished and for abandoned transactions. */
  public GcResult gc(Duration doneTtl, Duration abandonedTtl) {
    long doneBefore = now() - doneTtl.toMillis();
    long abandonedBefore = now() - abandonedTtl.toMillis();
    return writeAll(c -> {
      int txs;
      try (PreparedStatement ps = c.prepareStatement(
          "DELETE FROM transactions WHERE inflight_session_id IS NULL AND ("
              + "(last_update < ? AND final_attempt_reason IS NOT NULL AND final_attempt_reason <> ?)"
              + " OR (last_update < ? AND NOT input_done AND final_attempt_reason IS NULL))")) {
        ps.setLong(1, doneBefore);
        ps.setString(2, TxRow.ONESHOT);
        ps.setLong(3, abandonedBefore);
        txs = ps.executeUpdate();
      }
      int blobs;
      try (Statement st = c.createStatement()) {
        blobs = st.executeUpdate("DELETE FROM blobs WHERE NOT EXISTS"
            + " (SELECT 1 FROM transaction_blobs tb WHERE tb.blob_id = blobs.id)");
      }
      return new GcResult(txs, blobs);
    });
  }

  // ---------------------------------------------------------------- helpers

  private static void setNullableLong(PreparedStatement ps, int i, Long v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.BIGINT);
    } else {
      ps.setLong(i, v);
    }
  }

  private static JsonNode parse(String json) {
    try {
      return TxJson.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("corrupt stored JSON", e);
    }
  }
}
