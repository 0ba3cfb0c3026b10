package net.koukan.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Checks that need more than one stanza, after binding. Each failure points at the key that is wrong.
 */
final class RouterConfigValidator {
  private static final KeyPath SENDER = KeyPath.ROOT.key("sender");
  private static final KeyPath ENDPOINT = KeyPath.ROOT.key("endpoint");
  private static final KeyPath REST_ENDPOINT = KeyPath.ROOT.key("rest_endpoint");
  private static final KeyPath REST_LISTENER = KeyPath.ROOT.key("rest_listener");

  private final RouterConfig config;
  private final SourceMap map;

  RouterConfigValidator(RouterConfig config, SourceMap map) {
    this.config = config;
    this.map = map;
  }

  void validate() {
    restListener();
    unique(config.sender(), SenderConfig::name, SENDER, "sender");
    unique(config.restEndpoint(), RestEndpointConfig::name, REST_ENDPOINT, "rest_endpoint");
    unique(config.endpoint(), EndpointConfig::name, ENDPOINT, "endpoint");
    for (int i = 0; i < config.sender().size(); i++) {
      sender(i, config.sender().get(i));
    }
    // Once every output_chain is known to exist: the effective sender of each (sender, tag).
    for (int i = 0; i < config.sender().size(); i++) {
      SenderConfig s = config.sender().get(i);
      KeyPath sp = SENDER.index(i);
      variant(s, null, sp, null);
      for (int j = 0; j < s.tag().size(); j++) {
        variant(s, s.tag().get(j), sp, sp.key("tag").index(j));
      }
    }
    for (int i = 0; i < config.restEndpoint().size(); i++) {
      restEndpoint(i, config.restEndpoint().get(i));
    }
    for (int i = 0; i < config.endpoint().size(); i++) {
      endpoint(i, config.endpoint().get(i));
    }
  }

  private void restListener() {
    RestListenerConfig l = config.restListener();
    httpUrl(REST_LISTENER.key("session_uri"), l.sessionUri());
    httpUrl(REST_LISTENER.key("service_uri"), l.serviceUri());
    if ((l.cert() == null) != (l.key() == null)) {
      KeyPath present = REST_LISTENER.key(l.cert() != null ? "cert" : "key");
      throw map.error(present, "cert and key must be given together");
    }
  }

  private <T> void unique(List<T> items, Function<T, String> name, KeyPath list, String what) {
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < items.size(); i++) {
      Integer first = seen.putIfAbsent(name.apply(items.get(i)), i);
      if (first != null) {
        KeyPath at = list.index(i).key("name");
        throw map.error(at, "duplicate " + what + " name \"" + name.apply(items.get(i)) + "\" (first defined at line "
            + map.locate(list.index(first).key("name")).line() + ")");
      }
    }
  }

  private void sender(int i, SenderConfig s) {
    KeyPath sp = SENDER.index(i);
    unique(s.tag(), TagConfig::name, sp.key("tag"), "tag");
    outputChainExists(sp.key("output_chain"), s.outputChain());
    shapes(sp, s.remoteHost(), s.smtpMeta());
    for (int j = 0; j < s.tag().size(); j++) {
      TagConfig t = s.tag().get(j);
      KeyPath tp = sp.key("tag").index(j);
      if (t.outputChain() != null) {
        outputChainExists(tp.key("output_chain"), t.outputChain());
      }
      shapes(tp, t.remoteHost(), t.smtpMeta());
    }
  }

  private void shapes(KeyPath p, JsonNode remoteHost, JsonNode smtpMeta) {
    if (remoteHost != null && !remoteHost.isNull() && !remoteHost.isTextual()) {
      throw map.error(p.key("remote_host"), "expected an IP address string, got " + ConfigMapper.describe(remoteHost));
    }
    if (smtpMeta != null && !smtpMeta.isNull() && !smtpMeta.isObject()) {
      throw map.error(p.key("smtp_meta"), "expected a mapping, got " + ConfigMapper.describe(smtpMeta));
    }
  }

  private void outputChainExists(KeyPath at, String chain) {
    if (config.findEndpoint(chain).isEmpty()) {
      throw map.error(at, "no endpoint named \"" + chain + "\" (defined: " + names() + ")");
    }
  }

  private String names() {
    return String.join(", ", config.endpoint().stream().map(EndpointConfig::name).toList());
  }

  /** Checks of the effective sender for one tag ({@code t == null}: requests without a tag). */
  private void variant(SenderConfig s, TagConfig t, KeyPath sp, KeyPath tp) {
    String label = "sender \"" + s.name() + "\"" + (t == null ? "" : " tag \"" + t.name() + "\"");
    EffectiveSender e = config.sender(s.name(), t == null ? null : t.name()).orElseThrow();
    KeyPath retryAt = t != null && t.retry() != null ? tp.key("retry") : sp.key("retry");
    KeyPath notificationAt = t != null && t.notification() != null ? tp.key("notification") : sp.key("notification");
    if (e.notification() && !e.retry()) {
      KeyPath at = t != null && t.notification() == null && t.retry() != null ? retryAt : notificationAt;
      throw map.error(at, "notification requires retry (" + label + " enables notification but not retry)");
    }
    EndpointConfig chain = config.findEndpoint(e.outputChain()).orElseThrow();
    if (!chain.incremental()) {
      return;
    }
    String why = "output chain \"" + chain.name() + "\" ends with the exploder, which enables it per upstream "
        + "transaction itself";
    if (e.retry()) {
      throw map.error(retryAt, label + ": retry must be disabled: " + why);
    }
    if (e.notification()) {
      throw map.error(notificationAt, label + ": notification must be disabled: " + why);
    }
    KeyPath upstreamAt = upstreamKey(s, t, sp, tp);
    String upstream = "upstream sender \"" + e.upstreamSender() + "\""
        + (e.upstreamTag() == null ? "" : " tag \"" + e.upstreamTag() + "\"");
    Optional<EffectiveSender> up = config.sender(e.upstreamSender(), e.upstreamTag());
    if (up.isEmpty()) {
      throw map.error(upstreamAt, label + ": " + upstream + " is not defined");
    }
    EndpointConfig upChain = config.findEndpoint(up.get().outputChain()).orElseThrow();
    if (upChain.incremental()) {
      throw map.error(upstreamAt, label + ": " + upstream + " must not use an exploder chain (\"" + upChain.name()
          + "\"); set upstream_sender / upstream_tag");
    }
    if (up.get().retry() || up.get().notification()) {
      throw map.error(upstreamAt, label + ": " + upstream
          + " must have retry and notification disabled (the exploder enables them for store-and-forward)");
    }
  }

  private static KeyPath upstreamKey(SenderConfig s, TagConfig t, KeyPath sp, KeyPath tp) {
    if (t != null) {
      if (t.upstreamTag() != null) {
        return tp.key("upstream_tag");
      }
      if (t.upstreamSender() != null) {
        return tp.key("upstream_sender");
      }
    }
    if (s.upstreamTag() != null) {
      return sp.key("upstream_tag");
    }
    if (s.upstreamSender() != null) {
      return sp.key("upstream_sender");
    }
    return t != null && t.outputChain() != null ? tp.key("output_chain") : t != null ? tp : sp.key("output_chain");
  }

  private void restEndpoint(int i, RestEndpointConfig r) {
    KeyPath rp = REST_ENDPOINT.index(i);
    httpUrl(rp.key("endpoint"), r.endpoint());
    if (r.options() != null && !r.options().isNull() && !r.options().isObject()) {
      throw map.error(rp.key("options"), "expected a mapping, got " + ConfigMapper.describe(r.options()));
    }
  }

  private void endpoint(int i, EndpointConfig e) {
    KeyPath ep = ENDPOINT.index(i);
    if (e.chain().isEmpty()) {
      throw map.error(ep.key("chain"), "must list at least one filter");
    }
    NotificationConfig n = e.outputHandler().notification();
    if (n != null && config.sender(n.sender(), n.tag()).isEmpty()) {
      KeyPath np = ep.key("output_handler").key("notification");
      boolean senderExists = config.findSender(n.sender()).isPresent();
      throw map.error(np.key(senderExists ? "tag" : "sender"), senderExists
          ? "sender \"" + n.sender() + "\" has no tag \"" + n.tag() + "\""
          : "no sender named \"" + n.sender() + "\"");
    }
  }

  private void httpUrl(KeyPath at, String value) {
    URI u;
    try {
      u = new URI(value);
    } catch (URISyntaxException e) {
      throw map.error(at, "not a valid URL: " + e.getMessage());
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
      throw map.error(at, "expected an http:// or https:// URL with a host, got \"" + value + "\"");
    }
    if (u.getRawQuery() != null || u.getRawFragment() != null) {
      throw map.error(at, "must not have a query or fragment: \"" + value + "\"");
    }
  }
}
