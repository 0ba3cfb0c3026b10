package net.koukan.rest;

/**
 * Listener settings the API needs. {@code sessionUri} is this replica's base URL,
 * {@code serviceUri} the cluster-wide one used for finalized blobs.
 */
public record RestSettings(
    String sessionUri,
    String serviceUri,
    int chunkSize,
    long maxBlobSize,
    int restIdEntropy,
    int maxLongPollSeconds) {

  public RestSettings {
    sessionUri = stripSlash(sessionUri);
    serviceUri = stripSlash(serviceUri == null ? sessionUri : serviceUri);
    if (chunkSize <= 0 || maxBlobSize <= 0 || restIdEntropy < 4 || maxLongPollSeconds < 0) {
      throw new IllegalArgumentException("invalid REST settings");
    }
  }

  private static String stripSlash(String s) {
    return s != null && s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
