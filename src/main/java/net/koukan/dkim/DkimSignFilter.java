package net.koukan.dkim;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import net.koukan.config.Default;
import net.koukan.config.FilterStanza;
import net.koukan.config.Required;
import net.koukan.filter.BlobSource;
import net.koukan.filter.Body;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.filter.PrependedBlob;
import net.koukan.tx.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code filter: dkim_sign} (spec §5.3): signs the finished raw body and prepends the
 * DKIM-Signature field(s) for the filters after it ({@link FilterTx#rewriteBody}: the new body
 * streams the signature bytes, then the original blob; nothing is copied). With {@code keys} it
 * signs once per key, e.g. RSA and Ed25519 side by side (RFC 8463 §4 recommends both while
 * verifiers catch up).
 *
 * <p>Options: {@code domain} (d=), and either {@code selector} + {@code key}, or {@code keys: [{selector,
 * key}]}; keys are PEM files (PKCS#8 RSA ≥ 1024 bits, a warning below 2048, or Ed25519; PKCS#1
 * RSA too), relative to the config file's directory, read once at start-up; the algorithm follows
 * from the key. {@code canonicalization} (default {@code relaxed/relaxed}), {@code headers}
 * (default {@link DkimSigner#DEFAULT_HEADERS}), {@code oversign} (default
 * {@link DkimSigner#DEFAULT_OVERSIGN}), {@code expiration} (seconds; adds {@code x=}). No key at
 * all: the filter is disabled (the factory's supplier gives null; logged once).
 *
 * <p>If signing fails (unreadable body, a header block over 1 MiB, a message-builder body that was
 * not rendered first, a crypto error), every request of the update still unanswered gets
 * {@code 451 4.3.0 dkim_sign: signing failed}: temporary, so the message stays queued and is
 * retried (a 5xx would bounce mail for what is usually a local problem), and never sent unsigned.
 */
public final class DkimSignFilter implements Filter {
  private static final Logger log = LoggerFactory.getLogger(DkimSignFilter.class);
  static final Response FAILED = new Response(451, "4.3.0 dkim_sign: signing failed");

  /** One key of {@code keys}. */
  public record KeyOption(@Required String selector, @Required String key) {}

  /** YAML options of {@code filter: dkim_sign}. */
  public record Options(String domain, String selector, String key, List<KeyOption> keys,
      @Default("relaxed/relaxed") String canonicalization, List<String> headers,
      List<String> oversign, Duration expiration) {}

  /** {@code filter: dkim_sign}. */
  public static final class Factory implements FilterFactory {
    private final Clock clock;
    private final Path base;

    /**
     * @param base directory relative key paths are resolved against (the config file's); null:
     *     the working directory
     */
    public Factory(Clock clock, Path base) {
      this.clock = clock;
      this.base = base;
    }

    @Override
    public String name() {
      return "dkim_sign";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      DkimSigner signer = signer(stanza);
      if (signer == null) {
        log.info("{}:{}: dkim_sign has no key: signing disabled", stanza.file(), stanza.line());
        return () -> null; // a chain skips a filter its factory disabled
      }
      return () -> new DkimSignFilter(signer);
    }

    /** The configured signer, or null when no key is configured. */
    DkimSigner signer(FilterStanza stanza) {
      Options o = stanza.bind(Options.class);
      if (o.key() != null && o.keys() != null) {
        throw stanza.error("keys", "give either key (with selector) or keys, not both");
      }
      if (o.key() == null && (o.keys() == null || o.keys().isEmpty())) {
        // as the reference: no key, no signing (the stanza may name domain and selector ahead)
        return null;
      }
      if (o.domain() == null || !Names.isDomain(o.domain())) {
        throw stanza.error("domain", o.domain() == null ? "required with a key"
            : "not a domain name: " + o.domain());
      }
      List<DkimSigner.Key> keys = new ArrayList<>();
      if (o.key() != null) {
        if (o.selector() == null) {
          throw stanza.error("key", "key needs a selector");
        }
        keys.add(key(stanza, "selector", o.selector(), "key", o.key()));
      } else {
        if (o.selector() != null) {
          throw stanza.error("selector", "with keys, give each key its own selector");
        }
        for (int i = 0; i < o.keys().size(); i++) {
          KeyOption k = o.keys().get(i);
          keys.add(key(stanza, "keys", k.selector(), "keys", k.key()));
        }
      }
      String[] c = o.canonicalization().split("/", -1);
      Canon hc;
      Canon bc;
      try {
        if (c.length > 2) {
          throw new IllegalArgumentException();
        }
        hc = Canon.parse(c[0]);
        bc = c.length == 2 ? Canon.parse(c[1]) : Canon.SIMPLE;
      } catch (IllegalArgumentException e) {
        throw stanza.error("canonicalization", "must be simple or relaxed, as header/body (e.g. relaxed/relaxed)");
      }
      try {
        return new DkimSigner(o.domain().toLowerCase(java.util.Locale.ROOT), keys, hc, bc,
            o.headers() == null ? DkimSigner.DEFAULT_HEADERS : o.headers(),
            o.oversign() == null ? DkimSigner.DEFAULT_OVERSIGN : o.oversign(), o.expiration(), clock);
      } catch (IllegalArgumentException e) {
        String key = e.getMessage().contains("expiration") ? "expiration" : "headers";
        throw stanza.error(key, e.getMessage());
      }
    }

    private DkimSigner.Key key(FilterStanza stanza, String selectorKey, String selector,
        String keyKey, String path) {
      if (!Names.isSelector(selector)) {
        throw stanza.error(selectorKey, "not a valid selector: " + selector);
      }
      Path p = base == null ? Path.of(path) : base.resolve(path);
      DkimKeys.SigningKey k;
      try {
        k = DkimKeys.load(p);
      } catch (IOException e) {
        throw stanza.error(keyKey, "cannot read key " + p + ": " + e);
      } catch (GeneralSecurityException e) {
        throw stanza.error(keyKey, "bad key " + p + ": " + e.getMessage());
      }
      if (k.algorithm() == Algorithm.RSA_SHA256 && k.bits() < DkimKeys.RECOMMENDED_RSA_BITS) {
        log.warn("{}:{}: dkim_sign key {} is RSA {} bits; use at least {} (RFC 8301)", stanza.file(),
            stanza.line(), p, k.bits(), DkimKeys.RECOMMENDED_RSA_BITS);
      }
      try {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
        if (perms.contains(PosixFilePermission.OTHERS_READ)) {
          log.warn("{}:{}: dkim_sign key {} is readable by everyone; chmod 600 it", stanza.file(),
              stanza.line(), p);
        }
      } catch (IOException | UnsupportedOperationException e) {
        // not a POSIX file system: nothing to check
      }
      return new DkimSigner.Key(selector, k);
    }
  }

  private final DkimSigner signer;

  DkimSignFilter(DkimSigner signer) {
    this.signer = signer;
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    if (delta.body()) {
      if (!(tx.body() instanceof Body.Raw raw)) {
        log.warn("dkim_sign: tx {}: the body is a message-builder spec; put message_builder before"
            + " dkim_sign", tx.restId());
        tx.fillUnanswered(delta, FAILED);
        return;
      }
      byte[] header;
      BlobSource original = raw.blob();
      try (InputStream in = original.open()) {
        header = signer.sign(in);
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        log.warn("dkim_sign: tx {}: signing for {} failed: {}", tx.restId(), signer.domain(), e.toString());
        tx.fillUnanswered(delta, FAILED);
        return;
      }
      tx.rewriteBody(new Body.Raw(new PrependedBlob(header, original)));
    }
    next.update(tx, delta);
  }
}
