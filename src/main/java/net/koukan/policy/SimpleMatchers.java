package net.koukan.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.Function;
import net.koukan.config.Cidr;
import net.koukan.config.FilterStanza;
import net.koukan.config.Min;
import net.koukan.filter.FilterTx;
import net.koukan.routing.AddressListPolicy;
import net.koukan.tx.Mailbox;
import net.koukan.tx.Response;

/**
 * The built-in matchers about the envelope and the SMTP session (spec §5.4): {@code network_address},
 * {@code smtp_tls}, {@code smtp_auth}, {@code address_list}, {@code num_rcpts},
 * {@code invalid_mail_from}, {@code invalid_rcpt_to}.
 */
final class SimpleMatchers {
  private SimpleMatchers() {}

  /** A factory from a name and a binding function. */
  record Named(String name, Function<FilterStanza, TransactionMatcher> create)
      implements TransactionMatcher.Factory {
    @Override
    public TransactionMatcher create(FilterStanza args) {
      return create.apply(args);
    }
  }

  /** Matchers that take no arguments. */
  public record NoArgs() {}

  /** {@code network_address}. */
  public record CidrArgs(String cidr) {}

  /** {@code num_rcpts}. */
  public record NumRcptsArgs(@Min(0) Integer maxRcpts) {}

  static List<TransactionMatcher.Factory> all() {
    return List.of(
        new Named("network_address", SimpleMatchers::networkAddress),
        new Named("smtp_tls", a -> smtpMeta(a, "tls")),
        new Named("smtp_auth", a -> smtpMeta(a, "auth")),
        new Named("address_list", SimpleMatchers::addressList),
        new Named("num_rcpts", SimpleMatchers::numRcpts),
        new Named("invalid_mail_from", SimpleMatchers::invalidMailFrom),
        new Named("invalid_rcpt_to", SimpleMatchers::invalidRcptTo));
  }

  /** MATCH when the remote IP is in {@code cidr} (IPv4 or IPv6); unmet without a remote host. */
  static TransactionMatcher networkAddress(FilterStanza args) {
    CidrArgs a = args.bind(CidrArgs.class);
    if (a.cidr() == null) {
      throw args.error("matcher", "network_address needs cidr");
    }
    Cidr cidr;
    try {
      cidr = Cidr.parse(a.cidr());
    } catch (IllegalArgumentException e) {
      throw args.error("cidr", e.getMessage());
    }
    return (tx, rcpt) -> {
      if (tx.remoteHost() == null) {
        return MatchResult.PRECONDITION_UNMET;
      }
      String host = tx.remoteHost().host();
      if (!Cidr.valid(host) || host.contains("/")) {
        return MatchResult.NO_MATCH; // a name, not an address
      }
      try {
        return MatchResult.of(cidr.contains(InetAddress.getByName(host))); // a literal: no DNS
      } catch (UnknownHostException e) {
        return MatchResult.NO_MATCH;
      }
    };
  }

  /** MATCH when {@code smtp_meta.<key>} is true; unmet for transactions without smtp_meta (REST). */
  static TransactionMatcher smtpMeta(FilterStanza args, String key) {
    args.bind(NoArgs.class);
    return (tx, rcpt) -> {
      if (tx.smtpMeta() == null) {
        return MatchResult.PRECONDITION_UNMET;
      }
      return MatchResult.of(tx.smtpMeta().path(key).asBoolean(false));
    };
  }

  /**
   * {@code address_list}: the routing policy's spec ({@code domains}, {@code delimiter},
   * {@code prefixes}) applied to {@code which_addr}: {@code mail_from} (default),
   * {@code rcpt_to} (PER_RCPT rules) or {@code header_from} (from the message_validation signal).
   */
  static TransactionMatcher addressList(FilterStanza args) {
    String which = "mail_from";
    JsonNode w = args.options().get("which_addr");
    if (w != null) {
      if (!w.isTextual() || !List.of("mail_from", "rcpt_to", "header_from").contains(w.asText())) {
        throw args.error("which_addr", "must be mail_from, rcpt_to or header_from");
      }
      which = w.asText();
    }
    if (args.options().has("name")) {
      throw args.error("name", "unknown key (expected one of: which_addr, domains, delimiter, prefixes)");
    }
    ObjectNode rest = args.options().deepCopy();
    rest.remove("which_addr");
    AddressListPolicy list = (AddressListPolicy) new AddressListPolicy.Factory()
        .create(new FilterStanza(args.filter(), rest, args.file(), args.line(), args.origin()), null);
    String whichAddr = which;
    return new TransactionMatcher() {
      @Override
      public MatchResult match(FilterTx tx, OptionalInt rcpt) {
        String addr;
        switch (whichAddr) {
          case "rcpt_to" -> addr = tx.rcptTo().get(rcpt.orElseThrow()).address();
          case "header_from" -> {
            // the reference looks under a wrong key here (spec §9.1); we read the real signal
            JsonNode out = Signals.get(tx, Signals.MESSAGE_VALIDATION);
            if (out == null) {
              return MatchResult.PRECONDITION_UNMET;
            }
            JsonNode from = out.get("header_from");
            if (from == null || !from.isTextual()) {
              return MatchResult.NO_MATCH; // validated, but no single From mailbox
            }
            addr = from.asText();
          }
          default -> {
            if (tx.mailFrom() == null) {
              return MatchResult.PRECONDITION_UNMET;
            }
            addr = tx.mailFrom().address();
          }
        }
        return MatchResult.of(Addresses.valid(addr, false) && list.matches(Mailbox.of(addr)));
      }

      @Override
      public boolean perRcptOnly() {
        return whichAddr.equals("rcpt_to");
      }
    };
  }

  /**
   * {@code num_rcpts}: in a PER_RCPT rule, MATCH when at least {@code max_rcpts} earlier
   * recipients did not fail (accepted, or still pending: with pipelining the earlier recipients
   * of the same update have no answer yet, and counting only successes would let them all
   * through); in a whole-transaction rule, MATCH when more than {@code max_rcpts} did not fail.
   */
  static TransactionMatcher numRcpts(FilterStanza args) {
    Integer maxRcpts = args.bind(NumRcptsArgs.class).maxRcpts();
    if (maxRcpts == null) {
      throw args.error("matcher", "num_rcpts needs max_rcpts");
    }
    int max = maxRcpts;
    return (tx, rcpt) -> {
      int limit = rcpt.isPresent() ? rcpt.getAsInt() : tx.rcptTo().size();
      int live = 0;
      for (int j = 0; j < limit; j++) {
        Response r = tx.rcptResponse(j);
        if (r == null || r.ok()) {
          live++;
        }
      }
      return MatchResult.of(rcpt.isPresent() ? live >= max : live > max);
    };
  }

  /** MATCH when MAIL FROM is not the null path and does not parse as a mailbox. */
  static TransactionMatcher invalidMailFrom(FilterStanza args) {
    args.bind(NoArgs.class);
    return (tx, rcpt) -> {
      if (tx.mailFrom() == null) {
        return MatchResult.PRECONDITION_UNMET;
      }
      String a = tx.mailFrom().address();
      return MatchResult.of(!a.isEmpty() && !Addresses.valid(a, false));
    };
  }

  /** MATCH when the recipient does not parse as a mailbox ({@code postmaster} alone is fine). */
  static TransactionMatcher invalidRcptTo(FilterStanza args) {
    args.bind(NoArgs.class);
    return new TransactionMatcher() {
      @Override
      public MatchResult match(FilterTx tx, OptionalInt rcpt) {
        return MatchResult.of(!Addresses.valid(tx.rcptTo().get(rcpt.orElseThrow()).address(), true));
      }

      @Override
      public boolean perRcptOnly() {
        return true;
      }
    };
  }
}
