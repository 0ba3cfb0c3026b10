package net.koukan.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.koukan.testing.TestDb;
import net.koukan.tx.BodySpec;
import net.koukan.tx.Envelope;
import net.koukan.tx.Mailbox;
import net.koukan.tx.TxDelta;
import net.koukan.tx.TxJson;
import net.koukan.tx.TxValidationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The storage contract, run against SQLite and PostgreSQL. */
class StorageTest {
  @TempDir Path dir;
  TestDb tdb;
  Storage storage;
  int ids;

  Storage open(Database.Dialect d) {
    tdb = TestDb.open(d, dir);
    storage = new Storage(tdb.db, Clock.systemUTC(), new VersionWatch(), 1 << 20);
    storage.startSession("http://localhost:1", true);
    return storage;
  }

  @AfterEach
  void close() {
    if (tdb != null) {
      tdb.close();
    }
  }

  String id() {
    return "tx" + (++ids);
  }

  static Envelope env(String rcpt) {
    return Envelope.create("submission", null, new TxDelta(null, null, Mailbox.of("alice@example.com"),
        rcpt == null ? List.of() : List.of(Mailbox.of(rcpt)), null, null, null, null, null));
  }

  static TxDelta delta(String json) throws Exception {
    return TxJson.parse(TxJson.MAPPER.readTree(json), TxJson.Op.UPDATE);
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void nonIncrementalCreateHasEmptyBodyToUpload(Database.Dialect d) {
    open(d);
    TxRow row = storage.create(new Storage.NewTx("a", env("bob@example.com"), null, false, true, false, false));
    assertThat(row.version()).isEqualTo(1);
    assertThat(row.bodyKind()).isEqualTo(BodyKind.RAW);
    assertThat(row.inputDone()).isFalse();
    assertThat(row.blobs()).containsExactly(new BlobStatus(Storage.BODY, 0, null));
    BlobWrite w = storage.append("a", Storage.BODY, 0, bytes("hello\r\n"), 7, 7L);
    assertThat(w.finalized()).isTrue();
    assertThat(w.version()).isEqualTo(2);
    TxRow after = storage.read("a").orElseThrow();
    assertThat(after.inputDone()).isTrue();
    assertThat(after.retry()).isTrue();
    assertThat(storage.readBlob("a", Storage.BODY).orElseThrow()).isEqualTo(bytes("hello\r\n"));
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void chunkedAppendTrimsOverlapAndRejectsGaps(Database.Dialect d) {
    open(d);
    storage.create(new Storage.NewTx("a", env("bob@x"), null, false, false, false, false));
    byte[] all = new byte[300];
    for (int i = 0; i < all.length; i++) {
      all[i] = (byte) (i * 7); // 8-bit content
    }
    storage.append("a", Storage.BODY, 0, all, 100, null);
    // a gap is refused and reports what is stored
    assertThatThrownBy(() -> storage.append("a", Storage.BODY, 150, new byte[10], 10, null))
        .isInstanceOfSatisfying(Storage.InvalidRange.class, e -> assertThat(e.stored()).isEqualTo(100));
    // overlap: bytes 50..199 resent; only 100..199 are new
    byte[] part = java.util.Arrays.copyOfRange(all, 50, 200);
    BlobWrite w = storage.append("a", Storage.BODY, 50, part, part.length, null);
    assertThat(w.stored()).isEqualTo(200);
    assertThat(w.finalized()).isFalse();
    byte[] rest = java.util.Arrays.copyOfRange(all, 200, 300);
    w = storage.append("a", Storage.BODY, 200, rest, rest.length, 300L);
    assertThat(w.finalized()).isTrue();
    // idempotent whole re-PUT of the same bytes changes nothing
    long v = w.version();
    BlobWrite again = storage.append("a", Storage.BODY, 0, all, all.length, 300L);
    assertThat(again.version()).isEqualTo(v);
    // a different total for a finalized blob is a range error
    assertThatThrownBy(() -> storage.append("a", Storage.BODY, 0, all, all.length, 301L))
        .isInstanceOf(Storage.InvalidRange.class);
    assertThat(storage.readBlob("a", Storage.BODY).orElseThrow()).isEqualTo(all);
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void finalizeByLengthMustMatchStored(Database.Dialect d) {
    open(d);
    storage.create(new Storage.NewTx("a", env("bob@x"), null, false, false, false, false));
    storage.append("a", Storage.BODY, 0, bytes("abcdef"), 6, null);
    assertThatThrownBy(() -> storage.append("a", Storage.BODY, 5, new byte[0], 0, 5L))
        .isInstanceOf(Storage.InvalidRange.class);
    assertThatThrownBy(() -> storage.append("a", Storage.BODY, 7, new byte[0], 0, 7L))
        .isInstanceOf(Storage.InvalidRange.class);
    assertThat(storage.append("a", Storage.BODY, 6, new byte[0], 0, 6L).finalized()).isTrue();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void incrementalUpdatesAreVersionedAndWriteOnce(Database.Dialect d) throws Exception {
    open(d);
    TxRow row = storage.create(new Storage.NewTx("a", env(null), null, true, false, false, false));
    assertThat(row.bodyKind()).isEqualTo(BodyKind.NONE);
    TxRow r1 = storage.update("a", 1, delta("{\"rcpt_to\": [{\"m\": \"bob@x\"}]}"));
    assertThat(r1.version()).isEqualTo(2);
    // stale version
    assertThatThrownBy(() -> storage.update("a", 1, delta("{\"rcpt_to\": [{\"m\": \"c@x\"}], \"rcpt_to_list_offset\": 1}")))
        .isInstanceOfSatisfying(StorageException.class,
            e -> assertThat(e.kind()).isEqualTo(StorageException.Kind.VERSION_CONFLICT));
    // wrong offset
    assertThatThrownBy(() -> storage.update("a", 2, delta("{\"rcpt_to\": [{\"m\": \"c@x\"}], \"rcpt_to_list_offset\": 0}")))
        .isInstanceOf(TxValidationException.class);
    TxRow r2 = storage.update("a", 2, delta("{\"rcpt_to\": [{\"m\": \"c@x\"}], \"rcpt_to_list_offset\": 1}"));
    assertThat(r2.envelope().rcptTo()).extracting(Mailbox::address).containsExactly("bob@x", "c@x");
    // mail_from is write-once
    assertThatThrownBy(() -> storage.update("a", 3, delta("{\"mail_from\": {\"m\": \"x@y\"}}")))
        .isInstanceOf(TxValidationException.class);
    // heartbeat
    assertThat(storage.update("a", 3, null).version()).isEqualTo(4);
    // first PUT creates the body of an incremental transaction
    BlobWrite w = storage.append("a", Storage.BODY, 0, bytes("x"), 1, 1L);
    assertThat(w.finalized()).isTrue();
    assertThat(storage.read("a").orElseThrow().inputDone()).isTrue();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void messageBuilderBlobsAndReuse(Database.Dialect d) throws Exception {
    open(d);
    ObjectNode create = (ObjectNode) TxJson.MAPPER.readTree("""
        {"mail_from": {"m": "a@x"}, "rcpt_to": [{"m": "b@x"}],
         "body": {"message_builder": {"headers": [["subject", "hi"]],
           "text_body": [{"content_type": "text/plain", "content": {"inline": "hello"}},
                         {"content_type": "text/html", "content": {"create_id": "html1"}}]}}}""");
    TxDelta cd = TxJson.parse(create, TxJson.Op.CREATE);
    TxRow row = storage.create(new Storage.NewTx("a", Envelope.create("s", null, cd), cd.body(), false, false, false, false));
    assertThat(row.bodyKind()).isEqualTo(BodyKind.MESSAGE_BUILDER);
    assertThat(row.messageBuilder().at("/text_body/0/content/create_id").asText()).isEqualTo("inline0");
    assertThat(row.blobs()).containsExactlyInAnyOrder(new BlobStatus("inline0", 5, 5L),
        new BlobStatus("html1", 0, null));
    assertThat(row.inputDone()).isFalse();
    // reuse of an unfinalized blob is refused
    TxDelta reuse = TxJson.parse(TxJson.MAPPER.readTree("""
        {"mail_from": {"m": "a@x"}, "rcpt_to": [{"m": "c@x"}],
         "body": {"message_builder": {"text_body": [{"content_type": "text/html",
           "content": {"reuse_uri": "/transactions/a/blob/html1"}}]}}}"""), TxJson.Op.CREATE);
    assertThatThrownBy(() -> storage.create(new Storage.NewTx("b", Envelope.create("s", null, reuse),
        reuse.body(), false, false, false, false))).isInstanceOf(TxValidationException.class);
    assertThat(storage.read("b")).isEmpty(); // nothing half-created
    storage.append("a", "html1", 0, bytes("<p>hi</p>"), 9, 9L);
    assertThat(storage.read("a").orElseThrow().inputDone()).isTrue();
    TxRow b = storage.create(new Storage.NewTx("b", Envelope.create("s", null, reuse), reuse.body(), false, false, false, false));
    assertThat(b.blobs()).containsExactly(new BlobStatus("html1", 9, 9L));
    assertThat(b.inputDone()).isTrue();
    assertThat(storage.readBlob("b", "html1").orElseThrow()).isEqualTo(bytes("<p>hi</p>"));
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void bodyReuseNeedsFinalizedBody(Database.Dialect d) {
    open(d);
    storage.create(new Storage.NewTx("a", env("b@x"), null, false, false, false, false));
    BodySpec reuse = new BodySpec.Reuse(net.koukan.tx.BlobRef.parse("http://r:8000/transactions/a/body"));
    assertThatThrownBy(() -> storage.create(new Storage.NewTx("b", env("c@x"), reuse, false, false, false, false)))
        .isInstanceOf(TxValidationException.class).hasMessageContaining("not finalized");
    storage.append("a", Storage.BODY, 0, bytes("body"), 4, 4L);
    TxRow b = storage.create(new Storage.NewTx("b", env("c@x"), reuse, false, false, false, false));
    assertThat(b.inputDone()).isTrue();
    assertThat(storage.readBlob("b", Storage.BODY).orElseThrow()).isEqualTo(bytes("body"));
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void cancelIsFinalAndIdempotent(Database.Dialect d) {
    open(d);
    storage.create(new Storage.NewTx("a", env("b@x"), null, false, false, false, false));
    long v = storage.cancel("a");
    assertThat(v).isEqualTo(2);
    assertThat(storage.cancel("a")).isEqualTo(2);
    TxRow r = storage.read("a").orElseThrow();
    assertThat(r.cancelled()).isTrue();
    assertThat(r.visibleFinalReason()).isEqualTo("downstream cancelled");
    assertThatThrownBy(() -> storage.cancel("nope")).isInstanceOf(StorageException.class);
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void attemptsRecordResponsesAndHideOneshot(Database.Dialect d) throws Exception {
    open(d);
    storage.create(new Storage.NewTx("a", env("b@x"), new BodySpec.Inline(bytes("x")), false, false, false, false));
    int attempt = storage.startAttempt("a");
    assertThat(attempt).isEqualTo(1);
    TxRow leased = storage.read("a").orElseThrow();
    assertThat(leased.finalAttemptReason()).isEqualTo(TxRow.ONESHOT);
    assertThat(leased.visibleFinalReason()).isNull();
    assertThat(leased.leaseSessionId()).isEqualTo(storage.sessionId());
    storage.writeResponses("a", attempt, (ObjectNode) TxJson.MAPPER.readTree(
        "{\"mail_response\": {\"code\": 250, \"message\": \"ok\"}}"));
    storage.writeResponses("a", attempt, (ObjectNode) TxJson.MAPPER.readTree(
        "{\"rcpt_response\": [{\"code\": 250, \"message\": \"ok\"}], \"data_response\": {\"code\": 250, \"message\": \"queued\"}}"));
    storage.finishAttempt("a", null, "upstream response success");
    TxRow done = storage.read("a").orElseThrow();
    assertThat(done.leaseSessionId()).isNull();
    assertThat(done.attemptCount()).isEqualTo(1);
    assertThat(done.visibleFinalReason()).isEqualTo("upstream response success");
    assertThat(done.responses().get("mail_response").get("code").asInt()).isEqualTo(250);
    assertThat(done.responses().get("data_response").get("message").asText()).isEqualTo("queued");
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void deadSessionsReleaseTheirLeases(Database.Dialect d) {
    open(d);
    Storage other = new Storage(tdb.db, Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-10)),
        new VersionWatch(), 1 << 20);
    other.startSession("http://other:8000", false);
    other.create(new Storage.NewTx("a", env("b@x"), null, false, false, false, true));
    TxRow r = storage.read("a").orElseThrow();
    assertThat(r.leaseUri()).isEqualTo("http://other:8000");
    assertThat(storage.expireSessions(Duration.ofMinutes(5))).isEqualTo(1);
    TxRow released = storage.read("a").orElseThrow();
    assertThat(released.leaseSessionId()).isNull();
    assertThat(released.version()).isEqualTo(2);
    assertThat(other.refreshSession()).isFalse();
    assertThat(storage.refreshSession()).isTrue();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void attemptWritesNeedTheLeaseSoAFencedSessionCannotOverwrite(Database.Dialect d) {
    open(d);
    Storage other = new Storage(tdb.db, Clock.systemUTC(), new VersionWatch(), 1 << 20);
    other.startSession("http://other:8000", false);
    other.create(new Storage.NewTx("a", env("b@x"), new BodySpec.Inline(bytes("x")), false, true,
        false, true));
    // leased by the other session: this one may not start an attempt on it
    StorageException refused = catchThrowableOfType(StorageException.class, () -> storage.startAttempt("a"));
    assertThat(refused.kind()).isEqualTo(StorageException.Kind.LEASE_LOST);
    int attempt = other.startAttempt("a");
    other.writeResponses("a", attempt, (com.fasterxml.jackson.databind.node.ObjectNode)
        TxJson.MAPPER.createObjectNode().put("note", 1));
    // the other session is declared dead (its leases released); its late writes are refused
    other.restartSession("http://other:8000");
    assertThat(storage.read("a").orElseThrow().leaseSessionId()).isNull();
    assertThat(catchThrowableOfType(StorageException.class, () -> other.writeResponses("a", attempt,
        TxJson.MAPPER.createObjectNode())).kind()).isEqualTo(StorageException.Kind.LEASE_LOST);
    assertThat(catchThrowableOfType(StorageException.class, () -> other.finishAttempt("a", null,
        "upstream response success")).kind()).isEqualTo(StorageException.Kind.LEASE_LOST);
    assertThat(storage.read("a").orElseThrow().visibleFinalReason()).isNull();
    // whoever claims it next works on it
    assertThat(storage.claimNext()).contains("a");
    int mine = storage.startAttempt("a");
    assertThat(mine).isEqualTo(attempt + 1);
    assertThat(storage.leasedHere()).containsExactly("a");
    storage.finishAttempt("a", null, "upstream response success");
    assertThat(storage.read("a").orElseThrow().visibleFinalReason()).isEqualTo("upstream response success");
    assertThat(storage.leasedHere()).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void readsSeeEveryWriteEvenThoseThatKeepTheVersion(Database.Dialect d) {
    open(d);
    storage.create(new Storage.NewTx("a", env("b@x"), new BodySpec.Inline(bytes("x")), false, true,
        false, false));
    TxRow first = storage.read("a").orElseThrow();
    assertThat(first.leaseSessionId()).isNull();
    // a claim and a release change the lease without a new version
    assertThat(storage.claimNext()).contains("a");
    TxRow claimed = storage.read("a").orElseThrow();
    assertThat(claimed.version()).isEqualTo(first.version());
    assertThat(claimed.leaseSessionId()).isEqualTo(storage.sessionId());
    storage.releaseLease("a");
    assertThat(storage.read("a").orElseThrow().leaseSessionId()).isNull();
    // a caller that scribbles on what it read does not change what the next one reads
    int attempt = storage.startAttempt("a");
    storage.writeResponses("a", attempt, (ObjectNode) TxJson.MAPPER.createObjectNode()
        .set("mail_response", TxJson.MAPPER.createObjectNode().put("code", 250)));
    TxRow read = storage.read("a").orElseThrow();
    read.responses().put("scribbled", true);
    TxRow again = storage.read("a").orElseThrow();
    assertThat(again.responses().has("scribbled")).isFalse();
    assertThat(again.responses().get("mail_response").get("code").asInt()).isEqualTo(250);
    // GC removes it: a read finds nothing
    storage.finishAttempt("a", null, "upstream response success");
    assertThat(storage.read("a").orElseThrow().visibleFinalReason())
        .isEqualTo("upstream response success");
    // (a TTL of -1 ms: collected even when GC runs in the millisecond of the last update)
    assertThat(storage.gc(Duration.ofMillis(-1), Duration.ofMillis(-1)).transactions()).isEqualTo(1);
    assertThat(storage.read("a")).isEmpty();
    assertThat(storage.version("a")).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void rowsKeptAfterResponseWritesAreThoseTheDatabaseHolds(Database.Dialect d) {
    open(d);
    storage.create(new Storage.NewTx("a", env("b@x"), new BodySpec.Inline(bytes("x")), false, true,
        false, true));
    int attempt = storage.startAttempt("a");
    assertThat(storage.read("a")).isEqualTo(storage.readUncached("a"));
    for (String field : List.of("mail_response", "rcpt_response", "data_response")) {
      storage.read("a"); // cached at the version before the write
      storage.writeResponses("a", attempt, (ObjectNode) TxJson.MAPPER.createObjectNode()
          .set(field, TxJson.MAPPER.createObjectNode().put("code", 250).put("message", field)));
      TxRow after = storage.read("a").orElseThrow();
      assertThat(after).isEqualTo(storage.readUncached("a").orElseThrow());
      assertThat(after.responses().get(field).get("message").asText()).isEqualTo(field);
    }
    // a later attempt's row shows that attempt's responses, not the older ones
    storage.finishAttempt("a", 0L, null);
    assertThat(storage.claimNext()).contains("a");
    int second = storage.startAttempt("a");
    storage.read("a");
    storage.writeResponses("a", second, (ObjectNode) TxJson.MAPPER.createObjectNode()
        .set("mail_response", TxJson.MAPPER.createObjectNode().put("code", 451)));
    TxRow now = storage.read("a").orElseThrow();
    assertThat(now).isEqualTo(storage.readUncached("a").orElseThrow());
    assertThat(now.responses().has("data_response")).isFalse();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void blobLimitIsEnforced(Database.Dialect d) {
    open(d);
    storage.create(new Storage.NewTx("a", env("b@x"), null, false, false, false, false));
    byte[] big = new byte[(1 << 20) + 1];
    assertThatThrownBy(() -> storage.append("a", Storage.BODY, 0, big, big.length, null))
        .isInstanceOfSatisfying(StorageException.class,
            e -> assertThat(e.kind()).isEqualTo(StorageException.Kind.TOO_LARGE));
    assertThat(storage.blobStatus("a", Storage.BODY).orElseThrow().stored()).isZero();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void writesWakeWatchers(Database.Dialect d) throws Exception {
    open(d);
    storage.create(new Storage.NewTx("a", env("b@x"), null, false, false, false, false));
    AtomicLong seen = new AtomicLong();
    try (VersionWatch.Watch w = storage.watch().watch("a")) {
      Thread t = Thread.ofVirtual().start(() -> {
        try {
          seen.set(w.awaitNewer(1, 10, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      Thread.sleep(50);
      storage.append("a", Storage.BODY, 0, bytes("x"), 1, null);
      t.join(5000);
    }
    assertThat(seen.get()).isEqualTo(2);
    assertThat(storage.watch().size()).isZero();
  }

  @ParameterizedTest
  @EnumSource(Database.Dialect.class)
  void gcRemovesFinishedAndAbandonedButKeepsPendingRetriesAndSharedBlobs(Database.Dialect d) {
    MutableClockHolder clock = new MutableClockHolder();
    tdb = TestDb.open(d, dir);
    storage = new Storage(tdb.db, clock, new VersionWatch(), 1 << 20);
    storage.startSession("http://localhost:1", true);
    // finished, with a body another transaction reuses
    storage.create(new Storage.NewTx("done", env("b@x"), new BodySpec.Inline(bytes("shared")), false, true, false, false));
    storage.startAttempt("done");
    storage.finishAttempt("done", null, "upstream response success");
    storage.create(new Storage.NewTx("reuser", env("c@x"),
        new BodySpec.Reuse(net.koukan.tx.BlobRef.parse("/transactions/done/body")), false, true, false, false));
    storage.startAttempt("reuser");
    storage.finishAttempt("reuser", clock.millis() + 3_600_000, null); // waiting for a retry
    // abandoned: body never uploaded
    storage.create(new Storage.NewTx("abandoned", env("d@x"), null, false, true, false, false));
    // fresh and finished: too young
    clock.advance(java.time.Duration.ofHours(2));
    storage.create(new Storage.NewTx("young", env("e@x"), new BodySpec.Inline(bytes("y")), false, true, false, false));
    storage.startAttempt("young");
    storage.finishAttempt("young", null, "upstream response success");
    Storage.GcResult r = storage.gc(java.time.Duration.ofHours(1));
    assertThat(r.transactions()).isEqualTo(2);
    assertThat(storage.read("done")).isEmpty();
    assertThat(storage.read("abandoned")).isEmpty();
    assertThat(storage.read("reuser")).isPresent();
    assertThat(storage.read("young")).isPresent();
    // the shared body survives with the transaction that still references it; the orphan goes
    assertThat(storage.readBlob("reuser", Storage.BODY).orElseThrow()).isEqualTo(bytes("shared"));
    assertThat(r.blobs()).isEqualTo(1);
  }

  /** A clock the test moves. */
  static final class MutableClockHolder extends Clock {
    private long millis = System.currentTimeMillis();

    void advance(java.time.Duration d) {
      millis += d.toMillis();
    }

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public java.time.Instant instant() {
      return java.time.Instant.ofEpochMilli(millis);
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }
}
