package net.koukan.tx;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * A reference to a blob of another transaction: {@code /transactions/<tx>/body} (blobId null)
 * or {@code /transactions/<tx>/blob/<blobId>}. Absolute URLs are accepted; only the path counts.
 */
public record BlobRef(String txRestId, String blobId) {

  public boolean isBody() {
    return blobId == null;
  }

  public String path() {
    return "/transactions/" + txRestId + (blobId == null ? "/body" : "/blob/" + blobId);
  }

  public static BlobRef parse(String uri) {
    String path;
    try {
      URI u = new URI(uri);
      path = u.getRawPath();
    } catch (URISyntaxException e) {
      throw new TxValidationException("invalid reuse_uri: " + uri);
    }
    if (path == null) {
      throw new TxValidationException("invalid reuse_uri: " + uri);
    }
    String[] seg = path.split("/", -1);
    // "", "transactions", id, "body" | "", "transactions", id, "blob", blobId
    if (seg.length == 4 && seg[0].isEmpty() && seg[1].equals("transactions") && !seg[2].isEmpty()
        && seg[3].equals("body")) {
      return new BlobRef(seg[2], null);
    }
    if (seg.length == 5 && seg[0].isEmpty() && seg[1].equals("transactions") && !seg[2].isEmpty()
        && seg[3].equals("blob") && !seg[4].isEmpty()) {
      return new BlobRef(seg[2], seg[4]);
    }
    throw new TxValidationException("invalid reuse_uri: " + uri);
  }
}
