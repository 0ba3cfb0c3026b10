package net.koukan.drop;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import net.koukan.config.Default;
import net.koukan.config.FilterStanza;
import net.koukan.filter.Body;
import net.koukan.filter.Delta;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.filter.FilterTx;
import net.koukan.tx.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code filter: swift}, the terminal output of a router chain (queued mode): the router has
 * already acknowledged the message after its durable commit; this output stores it in the
 * sections' containers with the same naming, metadata and status mapping as
 * {@code ./koukan drop serve}, and a 4xx leaves it queued for the router's retries.
 *
 * <pre>
 * - filter: swift
 *   store_timeout: 60
 *   defaults: {auth_version: 1, auth_url: http://127.0.0.1:8080/auth/v1.0, user: "test:tester", key: testing}
 *   sections:
 *     INBOX: {recipients: [drop@example.com], container: inbox}
 * </pre>
 *
 * Recipients in no section get 550 5.1.1 (route them elsewhere with the router filter).
 */
public final class SwiftOutputFilter implements Filter {
  private static final Logger log = LoggerFactory.getLogger(SwiftOutputFilter.class);

  /** The stanza's keys besides {@code defaults} and {@code sections}. */
  public record Options(@Default("60") Duration storeTimeout) {}

  /** Registered as {@code swift}. */
  public static final class Factory implements FilterFactory {
    private final Clock clock;
    private final String hostname;

    public Factory(Clock clock, String hostname) {
      this.clock = clock;
      this.hostname = hostname;
    }

    @Override
    public String name() {
      return "swift";
    }

    @Override
    public Supplier<Filter> prepare(FilterStanza stanza) {
      ObjectNode rest = stanza.options().deepCopy();
      rest.remove("defaults");
      rest.remove("sections");
      Options o = new FilterStanza(stanza.filter(), rest, stanza.file(), stanza.line(), stanza.origin()).bind(Options.class);
      List<SectionConfig> sections = DropYaml.sections(stanza);
      DropConfig cfg = new DropConfig(hostname, "127.0.0.1", 0, DropConfig.DEFAULT_MAX_SIZE, o.storeTimeout(), true,
          false, sections, java.util.Map.of(), null);
      DropService service;
      try {
        service = new DropService(cfg, clock);
      } catch (DropConfigException e) {
        throw stanza.error("sections", String.join("; ", e.problems()));
      }
      // report, do not refuse: mail for a failing section stays queued and is retried
      service.destinations().values().forEach(d -> {
        String p = d.check();
        if (p != null) {
          log.error("swift output ({}:{}): {}; its mail stays queued", stanza.file(), stanza.line(), p);
        }
      });
      return () -> new SwiftOutputFilter(service, clock);
    }
  }

  private final DropService service;
  private final Clock clock;
  private final List<Integer> accepted = new ArrayList<>();

  SwiftOutputFilter(DropService service, Clock clock) {
    this.service = service;
    this.clock = clock;
  }

  @Override
  public void update(FilterTx tx, Delta delta, Next next) {
    if (delta.mailFrom()) {
      tx.mailResponse(new Response(250, "2.1.0 ok"));
    }
    for (int i : delta.rcpts()) {
      String a = tx.rcptTo().get(i).address();
      if (service.route(a) instanceof DropService.Route.Store) {
        tx.rcptResponse(i, new Response(250, "2.1.5 ok"));
        accepted.add(i);
      } else {
        tx.rcptResponse(i, new Response(550, "5.1.1 " + a + ": not a recipient of any swift section"));
      }
    }
    if (delta.body()) {
      if (!(tx.body() instanceof Body.Raw raw)) {
        tx.dataResponse(new Response(554,
            "5.6.0 swift: a message_builder body needs the message_builder filter before swift"));
        return;
      }
      if (accepted.isEmpty()) {
        tx.dataResponse(new Response(503, "5.5.1 swift: no accepted recipients"));
        return;
      }
      List<String> rcpts = accepted.stream().map(i -> tx.rcptTo().get(i).address()).toList();
      String clientIp = tx.remoteHost() == null ? null : tx.remoteHost().toString();
      Arrival arrival = new Arrival(tx.mailFrom() == null ? "" : tx.mailFrom().address(), rcpts, clientIp,
          null, false, null, clock.instant());
      tx.dataResponse(service.deliver(arrival, raw.blob()));
    }
  }
}
