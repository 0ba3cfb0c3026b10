package net.koukan.delivery;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import net.koukan.config.OutputHandlerConfig;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Chain;
import net.koukan.filter.ChainTemplate;
import net.koukan.filter.Delta;
import net.koukan.filter.FilterTx;
import net.koukan.storage.BlobStatus;
import net.koukan.storage.BodyKind;
import net.koukan.storage.Storage;
import net.koukan.storage.StorageException;
import net.koukan.storage.TxRow;
import net.koukan.storage.VersionWatch;
import net.koukan.tx.Envelope;
import net.koukan.tx.Response;
import net.koukan.tx.TxJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt of one transaction (spec §4.5): lease it, feed what the client has sent so far
 * through a fresh chain, write the upstream's answers back as they come, wait for more input, and
 * end with a final reason or a time for the next attempt.
 */
public final class OutputHandler {
  private static final Logger log = LoggerFactory.getLogger(OutputHandler.class);

  public static final String SUCCESS = "upstream response success";
  public static final String PERMFAIL = "upstream response permfail";
  public static final String MAIL_PERMFAIL = "upstream mail_response permfail";
  public static final String RCPT_PERMFAIL = "upstream rcpt_response permfail";
  public static final String ALL_RCPTS_FAILED = "exploder/oneshot all rcpts failed";
  public static final String DOWNSTREAM_TIMEOUT = "downstream timeout";

  /** How an attempt ended, for the retry policy and notifications. */
  record Outcome(String finalReason, boolean temporary, Response cause) {}

  private final Storage storage;
  private final ChainTemplate template;
  private final Clock clock;
  private final Notifier notifier;
  private final Runnable wakeDequeuer;

  public OutputHandler(Storage storage, ChainTemplate template, Clock clock, Notifier notifier,
      Runnable wakeDequeuer) {
    this.storage = storage;
    this.template = template;
    this.clock = clock;
    this.notifier = notifier;
    this.wakeDequeuer = wakeDequeuer;
  }

  /** Runs one attempt of {@code restId}, which this session has leased. Never throws. */
  public void run(String restId) {
    OutputHandlerConfig ohc = template.endpoint().outputHandler();
    int attempt;
    try {
      attempt = storage.startAttempt(restId);
    } catch (RuntimeException e) {
      log.warn("{}: cannot start an attempt: {}", restId, e.getMessage());
      releaseQuietly(restId);
      return;
    }
    try {
      Attempt a = new Attempt(restId, attempt, ohc);
      a.run();
    } catch (StorageException e) {
      switch (e.kind()) {
        case LEASE_LOST ->
          // self-fenced, or declared dead: the replica that took the transaction over finishes it
          log.warn("{}: attempt {} abandoned: {}", restId, attempt, e.getMessage());
        case UNAVAILABLE -> {
          log.warn("{}: attempt {} interrupted by a storage outage: {}", restId, attempt, e.getMessage());
          long retry = ohc.retryParams() == null ? 60_000 : ohc.retryParams().minAttemptTime().toMillis();
          finishWhenReachable(restId, retry);
        }
        default -> bugRetry(restId, attempt, ohc, e);
      }
    } catch (RuntimeException e) {
      bugRetry(restId, attempt, ohc, e);
    }
  }

  private void bugRetry(String restId, int attempt, OutputHandlerConfig ohc, RuntimeException e) {
    // a bug: do not crash-loop; try again after bug_retry, but within the limits of any
    // temporary failure (max_attempts, deadline; one attempt without retries), so that a
    // transaction that always trips the bug ends, with a bounce when it asked for one
    log.error("{}: attempt {} failed with an exception", restId, attempt, e);
    long retry = ohc.retryParams() == null ? 3_600_000 : ohc.retryParams().bugRetry().toMillis();
    try {
      TxRow row = storage.read(restId).orElse(null);
      if (row != null) {
        long now = clock.millis();
        String finalReason = RetryPolicy.decide(ohc.retryParams(), row.retry(), row.attemptCount(),
            row.creation(), now).finalReason();
        if (finalReason == null && now + retry - row.creation() > ohc.retryParams().deadline().toMillis()) {
          finalReason = RetryPolicy.DEADLINE;
        }
        if (finalReason != null) {
          storage.finishAttempt(restId, null, finalReason);
          log.info("{}: attempt {} ended: {}", restId, attempt, finalReason);
          if (row.notification() && ohc.notification() != null && notifier != null) {
            try {
              notifier.finalFailure(storage.read(restId).orElse(row), INTERNAL_ERROR, ohc.notification());
            } catch (RuntimeException n) {
              log.error("{}: could not queue the bounce", restId, n);
            }
          }
          return;
        }
      }
    } catch (RuntimeException f) {
      log.error("{}: cannot end attempt {} after the exception: {}", restId, attempt, f.toString());
    }
    finishWhenReachable(restId, retry);
  }

  /** The cause given in the bounce of a transaction whose attempts ended in an exception. */
  static final Response INTERNAL_ERROR = new Response(450, "4.3.0 internal error while delivering");

  /**
   * Ends the attempt with another one in {@code retryMillis}, waiting for the database to come
   * back if it is away: a lease left behind by a live session would never be released. Gives up
   * when the lease is lost or this thread is interrupted (self-fencing; the lease is then
   * released with the session).
   */
  private void finishWhenReachable(String restId, long retryMillis) {
    long pause = 100;
    while (true) {
      try {
        storage.finishAttempt(restId, clock.millis() + retryMillis, null);
        return;
      } catch (StorageException e) {
        if (e.kind() != StorageException.Kind.UNAVAILABLE) {
          log.error("{}: cannot finish the attempt: {}", restId, e.getMessage());
          return;
        }
      } catch (RuntimeException e) {
        log.error("{}: cannot finish the attempt: {}", restId, e.toString());
        return;
      }
      try {
        Thread.sleep(pause);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        return;
      }
      pause = Math.min(pause * 2, 5_000);
    }
  }

  private void releaseQuietly(String restId) {
    try {
      storage.releaseLease(restId);
    } catch (RuntimeException e) {
      log.warn("{}: cannot release the lease: {}", restId, e.getMessage());
    }
  }

  /** The state of one attempt. */
  private final class Attempt {
    final String restId;
    final int attemptId;
    final OutputHandlerConfig ohc;
    FilterTx tx;
    boolean mailSent;
    int rcptsSent;
    boolean bodySent;
    long knownVersion;
    String written = "";

    Attempt(String restId, int attemptId, OutputHandlerConfig ohc) {
      this.restId = restId;
      this.attemptId = attemptId;
      this.ohc = ohc;
    }

    void run() {
      boolean cancelled = false;
      boolean downstreamTimeout = false;
      TxRow row;
      try (Chain chain = template.newChain()) {
        long lastProgress = clock.millis();
        long lastSeen = -1;
        while (true) {
          try (VersionWatch.Watch w = storage.watch().watch(restId)) {
            row = storage.read(restId).orElseThrow();
            if (row.version() > Math.max(lastSeen, knownVersion)) {
              lastProgress = clock.millis(); // heartbeats and body progress count as activity
            }
            lastSeen = row.version();
            if (tx == null) {
              tx = newTx(row);
            }
            if (row.cancelled()) {
              cancelled = true;
              tx.cancel();
              break;
            }
            Delta d = delta(row);
            if (!d.isEmpty()) {
              chain.update(tx, d);
              lastProgress = clock.millis();
              persist();
              if (!tx.done()) {
                // the client may have written while the chain ran: look again before waiting
                continue;
              }
            }
            if (tx.done()) {
              break;
            }
            if (row.inputDone() && bodySent) {
              break; // everything sent; unanswered requests are filled below
            }
            long timeout = ohc.downstreamTimeout().toMillis();
            long left = lastProgress + timeout - clock.millis();
            if (left <= 0) {
              downstreamTimeout = true;
              tx.cancel();
              break;
            }
            long wait = Math.min(left, ohc.upstreamRefresh().toMillis());
            w.awaitNewer(Math.max(row.version(), knownVersion), wait, TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            tx.cancel();
            cancelled = true;
            break;
          }
        }
        if (!cancelled && !downstreamTimeout) {
          fillUnanswered(new Response(450, "4.3.0 internal error: OutputHandler failed to populate response"));
        }
      }
      persist();
      finish(cancelled, downstreamTimeout);
    }

    FilterTx newTx(TxRow row) {
      Envelope env = row.envelope();
      FilterTx t = new FilterTx(row.restId(), env.sender(), env.tag());
      t.remoteHost(env.remoteHost());
      t.localHost(env.localHost());
      t.smtpMeta(env.smtpMeta());
      return t;
    }

    /** What the client added since this attempt last looked. */
    Delta delta(TxRow row) {
      Envelope env = row.envelope();
      boolean mail = false;
      if (!mailSent && env.mailFrom() != null) {
        tx.mailFrom(env.mailFrom());
        mailSent = true;
        mail = true;
      }
      List<Integer> rcpts = new ArrayList<>();
      if (mailSent) {
        for (int i = rcptsSent; i < env.rcptTo().size(); i++) {
          rcpts.add(tx.addRcpt(env.rcptTo().get(i)));
        }
        rcptsSent = env.rcptTo().size();
      }
      boolean body = false;
      if (mailSent && !bodySent && row.inputDone() && row.bodyFinalized()) {
        tx.body(body(row));
        bodySent = true;
        body = true;
      }
      return new Delta(mail, rcpts, body);
    }

    Body body(TxRow row) {
      if (row.bodyKind() == BodyKind.MESSAGE_BUILDER) {
        Map<String, BlobSource> blobs = new LinkedHashMap<>();
        for (BlobStatus b : row.blobs()) {
          blobs.put(b.restId(), source(b.restId()));
        }
        return new Body.Builder(row.messageBuilder(), blobs);
      }
      return new Body.Raw(source(Storage.BODY));
    }

    BlobSource source(String blobRestId) {
      Storage.BlobHandle h = storage.blob(restId, blobRestId).orElseThrow();
      return new StoredBlob(storage, h.blobId(), h.stored());
    }

    void fillUnanswered(Response r) {
      if (tx == null) {
        return;
      }
      if (mailSent) {
        tx.mailResponse(r);
      }
      for (int i = 0; i < tx.rcptTo().size(); i++) {
        tx.rcptResponse(i, r);
      }
      if (bodySent) {
        tx.dataResponse(r);
      }
      tx.fillPreconditions();
    }

    /** Writes the responses and signals seen so far, when they changed. */
    void persist() {
      if (tx == null) {
        return;
      }
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      if (tx.mailResponse() != null) {
        o.set("mail_response", TxJson.toJson(tx.mailResponse()));
      }
      if (!tx.rcptResponses().isEmpty()) {
        ArrayNode a = o.putArray("rcpt_response");
        for (Response r : tx.rcptResponses()) {
          if (r == null) {
            a.addNull();
          } else {
            a.add(TxJson.toJson(r));
          }
        }
      }
      if (tx.dataResponse() != null) {
        o.set("data_response", TxJson.toJson(tx.dataResponse()));
      }
      if (!tx.filterOutput().isEmpty()) {
        o.set("filter_output", tx.filterOutput());
      }
      String s = o.toString();
      if (!s.equals(written)) {
        knownVersion = storage.writeResponses(restId, attemptId, o);
        written = s;
      }
    }

    void finish(boolean cancelled, boolean downstreamTimeout) {
      if (cancelled) {
        storage.finishAttempt(restId, null, null); // keeps "downstream cancelled"
        return;
      }
      if (downstreamTimeout) {
        storage.finishAttempt(restId, null, DOWNSTREAM_TIMEOUT);
        return;
      }
      Outcome o = outcome();
      for (int tries = 0; ; tries++) {
        TxRow row = storage.read(restId).orElseThrow();
        String finalReason = o.finalReason();
        Long next = null;
        if (o.temporary()) {
          RetryPolicy.Decision d = RetryPolicy.decide(ohc.retryParams(), row.retry(),
              row.attemptCount(), row.creation(), clock.millis());
          next = d.nextAttemptTime();
          finalReason = d.finalReason();
        }
        // the decision holds only if nobody turned retries or bounces on meanwhile
        long v = storage.finishAttempt(restId, next, finalReason, row.retry(), row.notification());
        if (v < 0 && tries < 5) {
          continue;
        }
        boolean failed = finalReason != null && !finalReason.equals(SUCCESS);
        if (failed && row.notification() && ohc.notification() != null && notifier != null) {
          try {
            notifier.finalFailure(storage.read(restId).orElse(row), o.cause(), ohc.notification());
          } catch (RuntimeException e) {
            log.error("{}: could not queue the bounce", restId, e);
          }
        }
        if (next != null && row.notification() && ohc.notification() != null && notifier != null
            && ohc.notification().delayAfter() != null
            && clock.millis() - row.creation() >= ohc.notification().delayAfter().toMillis()
            && storage.markDelayNotified(restId)) {
          try {
            Long until = ohc.retryParams() == null ? null
                : row.creation() + ohc.retryParams().deadline().toMillis();
            notifier.delayed(storage.read(restId).orElse(row), o.cause(), ohc.notification(), until);
          } catch (RuntimeException e) {
            log.error("{}: could not queue the delay notice", restId, e);
          }
        }
        if (next != null && wakeDequeuer != null) {
          wakeDequeuer.run();
        }
        log.info("{}: attempt {} ended: {}", restId, attemptId,
            finalReason != null ? finalReason : "retry at " + java.time.Instant.ofEpochMilli(next));
        return;
      }
    }

    /** Spec §4.5: classify the attempt from its responses. */
    Outcome outcome() {
      Response mail = tx == null ? null : tx.mailResponse();
      if (mail == null) {
        return new Outcome(null, true, null);
      }
      if (!mail.ok()) {
        return mail.permanent() ? new Outcome(MAIL_PERMFAIL, false, mail) : new Outcome(null, true, mail);
      }
      List<Response> rcpts = tx.rcptResponses();
      boolean anyOk = rcpts.stream().anyMatch(r -> r != null && r.ok());
      if (!rcpts.isEmpty() && !anyOk) {
        boolean anyTemp = rcpts.stream().anyMatch(r -> r == null || !r.permanent());
        Response first = rcpts.stream().filter(r -> r != null).findFirst().orElse(null);
        if (anyTemp) {
          return new Outcome(null, true, first);
        }
        return new Outcome(rcpts.size() == 1 ? RCPT_PERMFAIL : ALL_RCPTS_FAILED, false, first);
      }
      Response data = tx.dataResponse();
      if (data == null) {
        return new Outcome(null, true, null);
      }
      if (data.ok()) {
        return new Outcome(SUCCESS, false, data);
      }
      return data.permanent() ? new Outcome(PERMFAIL, false, data) : new Outcome(null, true, data);
    }
  }

  /** Queues a bounce for a transaction that failed for good. */
  public interface Notifier {
    void finalFailure(TxRow row, Response cause, net.koukan.config.NotificationConfig notification);

    /** The message is still queued; {@code willRetryUntil} (epoch ms) may be null. */
    default void delayed(TxRow row, Response cause, net.koukan.config.NotificationConfig notification,
        Long willRetryUntil) {}
  }
}
