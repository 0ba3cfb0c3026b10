package net.koukan.config;

import java.util.Objects;

/**
 * {@code rest_listener}: the router's HTTP listener.
 *
 * @param addr {@code [host, port]}
 * @param cert TLS certificate path (with {@code key}); null for plain HTTP
 * @param key TLS private key path
 * @param sessionUri base URL of this replica (Location headers, redirects, the sessions table)
 * @param serviceUri cluster-wide base URL (blob URIs of finalized blobs); defaults to {@code sessionUri}
 * @param chunkSize request-body bytes accumulated before each storage append
 * @param maxBlobSize largest body or blob accepted over REST; larger uploads get 413
 */
public record RestListenerConfig(
    @Required HostPort addr,
    String cert,
    String key,
    @Required String sessionUri,
    String serviceUri,
    @Default("1048576") @Min(1) long chunkSize,
    @Default("67108864") @Min(1) long maxBlobSize) {

  public RestListenerConfig {
    Objects.requireNonNull(addr, "addr");
    Objects.requireNonNull(sessionUri, "sessionUri");
    serviceUri = serviceUri == null ? sessionUri : serviceUri;
  }

  public String host() {
    return addr.host();
  }

  public int port() {
    return addr.port();
  }

  public boolean tls() {
    return cert != null;
  }
}
