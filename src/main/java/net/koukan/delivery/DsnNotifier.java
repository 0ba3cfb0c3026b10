package net.koukan.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import net.koukan.config.EffectiveSender;
import net.koukan.config.NotificationConfig;
import net.koukan.config.RouterConfig;
import net.koukan.dsn.Dsn;
import net.koukan.dsn.DsnRecipient;
import net.koukan.dsn.DsnRequest;
import net.koukan.storage.BodyKind;
import net.koukan.storage.Storage;
import net.koukan.storage.TxRow;
import net.koukan.tx.BodySpec;
import net.koukan.tx.Envelope;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;
import net.koukan.tx.TxDelta;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Queues an RFC 3464 bounce for a transaction that failed for good (spec §4.7): a new stored
 * transaction from the null sender to the original MAIL FROM, through the sender/tag the chain's
 * {@code notification} names, picked up by the dequeuer. Never to the null sender (no bounce of
 * a bounce). The bounce gets retries when its sender has them (the reference's never did).
 */
public final class DsnNotifier implements OutputHandler.Notifier {
  private static final Logger log = LoggerFactory.getLogger(DsnNotifier.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Storage storage;
  private final RouterConfig config;
  private final Clock clock;
  private final Supplier<String> restIds;
  private final Runnable wake;

  public DsnNotifier(Storage storage, RouterConfig config, Clock clock, Supplier<String> restIds,
      Runnable wake) {
    this.storage = storage;
    this.config = config;
    this.clock = clock;
    this.restIds = restIds;
    this.wake = wake;
  }

  @Override
  public void finalFailure(TxRow row, Response cause, NotificationConfig notification) {
    send(row, cause, notification, false, null);
  }

  @Override
  public void delayed(TxRow row, Response cause, NotificationConfig notification, Long willRetryUntil) {
    send(row, cause, notification, true, willRetryUntil);
  }

  private void send(TxRow row, Response cause, NotificationConfig notification, boolean delayed,
      Long willRetryUntil) {
    Envelope env = row.envelope();
    if (env.mailFrom() == null || env.mailFrom().address().isEmpty()) {
      return; // never bounce a bounce
    }
    EffectiveSender via = config.sender(notification.sender(), notification.tag()).orElse(null);
    if (via == null) {
      log.error("{}: notification sender {} tag {} is not configured; no bounce", row.restId(),
          notification.sender(), notification.tag());
      return;
    }
    Response r = cause != null ? cause : new Response(450, "4.4.7 no answer from the next hop");
    if (r.ok() || (delayed && !r.temporary())) {
      return;
    }
    Instant now = clock.instant();
    Instant until = willRetryUntil == null ? null : Instant.ofEpochMilli(willRetryUntil);
    List<DsnRecipient> rcpts = new ArrayList<>();
    for (Mailbox m : env.rcptTo()) {
      rcpts.add(new DsnRecipient(m.address(), delayed ? "delayed" : "failed",
          Dsn.statusFor(r.code(), r.message()), r.code(), r.message(), null, now,
          delayed ? until : null));
    }
    String mailerDaemon = config.global().mailerDaemonMailbox() != null
        ? config.global().mailerDaemonMailbox() : "mailer-daemon@localhost";
    String domain = mailerDaemon.substring(mailerDaemon.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
    byte[] rnd = new byte[12];
    RANDOM.nextBytes(rnd);
    byte[] dsn = Dsn.build(new DsnRequest(domain, mailerDaemon, env.mailFrom().address(), null,
        Instant.ofEpochMilli(row.creation()), rcpts, originalHeaders(row), now,
        HexFormat.of().formatHex(rnd)));
    Envelope bounce = Envelope.create(notification.sender(), notification.tag(), new TxDelta(
        null, null, Mailbox.of(""), List.of(Mailbox.of(env.mailFrom().address())), null, null,
        null, null, null));
    String id = restIds.get();
    storage.create(new Storage.NewTx(id, bounce, new BodySpec.Inline(dsn), false, via.retry(),
        false, false));
    log.info("{}: {} {} queued to {}", row.restId(), delayed ? "delay notice" : "bounce", id,
        env.mailFrom().address());
    wake.run();
  }

  /** The header block of a raw body, for the text/rfc822-headers part. */
  private byte[] originalHeaders(TxRow row) {
    if (row.bodyKind() != BodyKind.RAW) {
      return null;
    }
    return storage.blob(row.restId(), Storage.BODY).map(h -> {
      try (InputStream in = storage.openBlob(h.blobId())) {
        return Dsn.headerBlock(in.readNBytes(Dsn.MAX_ORIGINAL_HEADERS + 2), Dsn.MAX_ORIGINAL_HEADERS);
      } catch (IOException e) {
        return null;
      }
    }).orElse(null);
  }
}
