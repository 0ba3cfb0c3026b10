package net.koukan.dkim;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Supplier;
import net.koukan.config.Default;
import net.koukan.config.FilterStanza;
import net.koukan.config.Min;
import net.koukan.filter.Body;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code filter: dkim_check} (spec §5.3, §5.4): verifies the DKIM-Signature fields of the finished
 * raw body and records, never rejects; policies decide. Signal {@value #KEY} in
 * {@link FilterTx#filterOutput()}:
 *
 * <pre>
 * {"signatures": [{"status": "dkim_pass|fail|temp_err|perm_err|unknown_algo",
 *                  "domain": "d=", "alignment": "domain|same_sld|other", "selector": "s=",
 *                  "algorithm": "a=", "headers": ["from", ...], "tags": {all but b, bh},
 *                  "reason": "why not a pass" (absent on pass), "testing": true (only if t=y)}],
 *  "header_from_domain": "example.com" (absent if there is not exactly one From domain),
 *  "not_verified": n (only when there were more than max_signatures),
 *  "error": "..." (only when the message could not be read)}
 * </pre>
 *
 * <p>Alignment compares {@code d=} with the header From domain: {@code domain} when equal,
 * {@code same_sld} when both have the same registrable domain by the Public Suffix List, else
 * {@code other} (also when there is no single From domain).
 *
 * <p>Options: {@code resolver} ({@code "127.0.0.1:5353"}; default the system's), {@code timeout}
 * (seconds, default 5: each DNS query, and the batch of a message's key lookups, which run in
 * parallel), {@code max_signatures} (default 10; later ones are counted, not verified),
 * {@code public_suffix_list} (a public_suffix_list.dat file, relative to the config file's
 * directory; default {@value PublicSuffixList#SYSTEM_FILE} when installed, else a builtin subset,
 * see {@link PublicSuffixList}).
 */
public final class DkimCheckFilter implements Filter {
  private static final Logger log = LoggerFactory.getLogger(DkimCheckFilter.class);
  /** The signal's key in filter_output. */
  public static final String KEY = "dkim_check";

  /** YAML options of {@code filter: dkim_check}. */
  public record Options(String resolver, @Default("5") Duration timeout,
      @Default("10") @Min(1) int maxSignatures, String publicSuffixList) {}

  /** {@code filter: dkim_check}. */
  public static final class Factory implements FilterFactory {
    private final Clock clock;
    private final Path base;
    private final TxtResolver resolver;

    /** @param base directory a relative {@code public_suffix_list} is resolved against; may be null */
    public Factory(Clock clock, Path base) {
      this(clock, base, null);
    }

    /** With {@code resolver} non-null, every stanza uses it instead of its {@code resolver} option. */
    public Factory(Clock clock, Path base, TxtResolver resolver) {
      this.clock = clock;
      this.base = base;
      this.resolver = resolver;
    }

    @Override
    public String name() {
      return "dkim_check";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      Options o = stanza.bind(Options.class);
      if (o.timeout().isNegative() || o.timeout().isZero()) {
        throw stanza.error("timeout", "must be positive");
      }
      TxtResolver r = resolver;
      if (r == null) {
        InetSocketAddress server = null;
        if (o.resolver() != null) {
          try {
            server = DnsjavaTxtResolver.parseServer(o.resolver());
          } catch (RuntimeException e) {
            throw stanza.error("resolver", "bad resolver address (host:port): " + o.resolver());
          }
        }
        r = new DnsjavaTxtResolver(server, o.timeout());
      }
      PublicSuffixList psl;
      if (o.publicSuffixList() != null) {
        Path p = base == null ? Path.of(o.publicSuffixList()) : base.resolve(o.publicSuffixList());
        try {
          psl = PublicSuffixList.load(p);
        } catch (IOException e) {
          throw stanza.error("public_suffix_list", "cannot read " + p + ": " + e.getMessage());
        }
      } else {
        psl = PublicSuffixList.systemOrBuiltin();
      }
      log.info("{}:{}: dkim_check public suffix list: {} ({} rules)", stanza.file(), stanza.line(),
          psl.source(), psl.size());
      DkimVerifier verifier = new DkimVerifier(r, clock, o.maxSignatures(), o.timeout());
      PublicSuffixList list = psl;
      return () -> new DkimCheckFilter(verifier, list);
    }
  }

  private final DkimVerifier verifier;
  private final PublicSuffixList psl;

  DkimCheckFilter(DkimVerifier verifier, PublicSuffixList psl) {
    this.verifier = verifier;
    this.psl = psl;
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    if (delta.body() && tx.body() != null && !tx.cancelled()) {
      tx.filterOutput().set(KEY, check(tx));
    }
    next.update(tx, delta);
  }

  private ObjectNode check(FilterTx tx) {
    ObjectNode out = tx.filterOutput().objectNode();
    ArrayNode sigs = out.putArray("signatures");
    if (!(tx.body() instanceof Body.Raw raw)) {
      return out; // a message-builder spec carries no signatures
    }
    DkimVerifier.Outcome outcome;
    try (InputStream in = raw.blob().open()) {
      outcome = verifier.verify(in);
    } catch (IOException | RuntimeException e) {
      log.warn("dkim_check: tx {}: cannot verify: {}", tx.restId(), e.toString());
      out.put("error", e.getMessage() == null ? e.toString() : e.getMessage());
      return out;
    }
    for (DkimVerifier.SignatureResult r : outcome.signatures()) {
      ObjectNode s = sigs.addObject();
      s.put("status", r.status().json());
      s.put("domain", r.domain());
      s.put("alignment", psl.alignment(r.domain(), outcome.headerFromDomain()));
      s.put("selector", r.selector());
      s.put("algorithm", r.algorithm());
      ArrayNode h = s.putArray("headers");
      r.headers().forEach(h::add);
      ObjectNode tags = s.putObject("tags");
      r.tags().forEach(tags::put);
      if (r.reason() != null) {
        s.put("reason", r.reason());
      }
      if (r.testing()) {
        s.put("testing", true);
      }
    }
    if (outcome.headerFromDomain() != null) {
      out.put("header_from_domain", outcome.headerFromDomain());
    }
    if (outcome.notVerified() > 0) {
      out.put("not_verified", outcome.notVerified());
    }
    return out;
  }
}
