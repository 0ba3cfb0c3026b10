package net.koukan.receiver;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.channels.FileChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import net.koukan.tx.Envelope;
import net.koukan.tx.Response;
import net.koukan.tx.TxJson;

/**
 * One transaction a receiver holds in memory. {@link #lock} guards the envelope, version and
 * responses (and wakes long-polls through {@link #changed}); {@link #upload} serialises body
 * uploads, which stream to disk without holding {@link #lock}.
 */
final class ReceivedTx {
  static final Response OK = new Response(250, "ok");

  final String id;
  final ReentrantLock lock = new ReentrantLock();
  final Condition changed = lock.newCondition();
  final ReentrantLock upload = new ReentrantLock();

  // guarded by lock
  private Envelope envelope;
  private long version = 1;
  private Response data;

  /** Set by cancel and GC; an upload in progress checks it and stops. */
  private volatile boolean cancelled;
  private volatile long lastActivity;

  // guarded by upload
  FileChannel part;
  long stored;
  /** The body's declared length, once known. */
  Long total;

  ReceivedTx(String id, Envelope envelope, long now) {
    this.id = id;
    this.envelope = envelope;
    this.lastActivity = now;
  }

  void touch(long now) {
    lastActivity = now;
  }

  long lastActivity() {
    return lastActivity;
  }

  boolean cancelled() {
    return cancelled;
  }

  // ------------------------------------------------------------ under lock

  long version() {
    return version;
  }

  Envelope envelope() {
    return envelope;
  }

  void envelope(Envelope e) {
    envelope = e;
  }

  Response data() {
    return data;
  }

  void data(Response r) {
    data = r;
  }

  /** Marks the transaction cancelled unless it is already final; returns whether it changed. */
  boolean cancel() {
    if (cancelled || data != null) {
      return false;
    }
    cancelled = true;
    return true;
  }

  /** Records a change: a new version, and waiting long-polls wake up. */
  void bump() {
    version++;
    changed.signalAll();
  }

  /** Waits until the version differs from {@code etag} or {@code seconds} pass. */
  void awaitChange(long etag, int seconds) throws InterruptedException {
    long left = TimeUnit.SECONDS.toNanos(seconds);
    while (version == etag && left > 0) {
      left = changed.awaitNanos(left);
    }
  }

  /** The read JSON (spec §2.2; the reference's field order). */
  ObjectNode render(String base) {
    ObjectNode o = TxJson.MAPPER.createObjectNode();
    if (envelope.remoteHost() != null) {
      o.set("remote_host", TxJson.toJson(envelope.remoteHost()));
    }
    if (envelope.localHost() != null) {
      o.set("local_host", TxJson.toJson(envelope.localHost()));
    }
    o.putObject("mail_from");
    o.set("mail_response", TxJson.toJson(OK));
    int n = envelope.rcptTo().size();
    if (n > 0) {
      ArrayNode to = o.putArray("rcpt_to");
      ArrayNode resp = o.putArray("rcpt_response");
      for (int i = 0; i < n; i++) {
        to.addObject();
        resp.add(TxJson.toJson(OK));
      }
    }
    if (data != null) {
      o.set("data_response", TxJson.toJson(data));
    }
    ObjectNode status = o.putObject("body").putObject("blob_status");
    status.put("uri", base + "/transactions/" + id + "/body");
    if (data != null && data.ok()) {
      status.put("finalized", true);
    }
    if (cancelled) {
      o.put("cancelled", true);
      o.put("final_attempt_reason", "downstream cancelled");
    }
    return o;
  }
}
