package net.koukan.smtpclient;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import net.koukan.config.FilterStanza;
import net.koukan.filter.Filter;
import net.koukan.filter.FilterFactory;
import net.koukan.smtpclient.SmtpClientConfig.Protocol;
import net.koukan.smtpclient.SmtpClientConfig.TlsMode;
import net.koukan.tx.HostPort;

/**
 * {@code filter: smtp_output} (options: {@link SmtpOutputOptions}): checks the stanza once, then
 * makes a new {@link SmtpOutputFilter} (one SMTP session at most) per attempt.
 */
public final class SmtpOutputFactory implements FilterFactory {
  public static final String NAME = "smtp_output";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Supplier<Filter> prepare(FilterStanza stanza) {
    SmtpOutputOptions o = stanza.bind(SmtpOutputOptions.class);
    if (o.port() > 65535) {
      throw stanza.error("port", "must be between 1 and 65535");
    }
    Protocol protocol = switch (o.protocol()) {
      case "smtp" -> Protocol.SMTP;
      case "lmtp" -> Protocol.LMTP;
      default -> throw stanza.error("protocol", "expected smtp or lmtp, got \"" + o.protocol() + "\"");
    };
    TlsMode tls = switch (o.tls()) {
      case "none" -> TlsMode.NONE;
      case "opportunistic" -> TlsMode.OPPORTUNISTIC;
      case "verify" -> TlsMode.VERIFY;
      default -> throw stanza.error("tls", "expected none, opportunistic or verify, got \"" + o.tls() + "\"");
    };
    if (o.tlsCaFile() != null && tls != TlsMode.VERIFY) {
      throw stanza.error("tls_ca_file", "only used with tls: verify");
    }
    List<HostPort> hosts = null;
    if (o.hosts() != null) {
      hosts = new ArrayList<>();
      for (int i = 0; i < o.hosts().size(); i++) {
        SmtpOutputOptions.Host h = o.hosts().get(i);
        if (h.host().isBlank() || !h.host().chars().allMatch(c -> c > 0x20 && c != 0x7f)) {
          throw stanza.error("hosts", "entry " + (i + 1) + ": host must be a name or an IP address");
        }
        int port = h.port() == null ? o.port() : h.port();
        if (port < 1 || port > 65535) {
          throw stanza.error("hosts", "entry " + (i + 1) + ": port must be between 1 and 65535");
        }
        hosts.add(new HostPort(h.host(), port));
      }
      if (hosts.isEmpty()) {
        throw stanza.error("hosts", "must name at least one host (or leave it out to use the resolution)");
      }
    }
    String[] keys = {"connect_timeout", "greeting_timeout", "command_timeout", "data_init_timeout",
        "data_block_timeout", "data_timeout", "connection_cache_time", "connection_reuse_time_limit"};
    Duration[] values = {o.connectTimeout(), o.greetingTimeout(), o.commandTimeout(),
        o.dataInitTimeout(), o.dataBlockTimeout(), o.dataTimeout(), o.connectionCacheTime(),
        o.connectionReuseTimeLimit()};
    for (int i = 0; i < keys.length; i++) {
      if (values[i].isZero()) {
        throw stanza.error(keys[i], "must be more than 0");
      }
    }
    SSLContext ssl;
    try {
      Path ca = null;
      if (o.tlsCaFile() != null) {
        ca = Path.of(o.tlsCaFile());
        Path dir = Path.of(stanza.file()).toAbsolutePath().getParent();
        if (!ca.isAbsolute() && dir != null) {
          ca = dir.resolve(ca);
        }
      }
      ssl = Tls.context(tls, ca);
    } catch (IllegalStateException e) {
      throw stanza.error(o.tlsCaFile() != null ? "tls_ca_file" : "tls", e.getMessage());
    }
    SmtpClientConfig config;
    try {
      config = new SmtpClientConfig(o.ehloHost(), protocol, tls, ssl, o.enablePipelining(),
          o.enableBdat(), o.chunkSize(), new SmtpClientConfig.Timeouts(o.connectTimeout(),
              o.greetingTimeout(), o.commandTimeout(), o.dataInitTimeout(), o.dataBlockTimeout(),
              o.dataTimeout()));
    } catch (IllegalArgumentException e) {
      throw stanza.error("ehlo_host", e.getMessage());
    }
    List<HostPort> staticHosts = hosts == null ? null : List.copyOf(hosts);
    int defaultPort = o.port();
    SessionCache cache = o.connectionReuse()
        ? new SessionCache(o.connectionCacheTime(), o.connectionReuseTimeLimit(), System::nanoTime)
        : null;
    return () -> new SmtpOutputFilter(config, staticHosts, defaultPort, cache);
  }
}
