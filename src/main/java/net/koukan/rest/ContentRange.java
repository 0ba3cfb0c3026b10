package net.koukan.rest;

/**
 * A request {@code Content-Range: bytes <first>-<last>/<total|*>}; total is null for {@code *}.
 */
record ContentRange(long first, long last, Long total) {

  long length() {
    return last - first + 1;
  }

  static ContentRange parse(String header) {
    String h = header.trim();
    if (!h.startsWith("bytes ")) {
      throw bad(header);
    }
    String spec = h.substring("bytes ".length()).trim();
    int slash = spec.indexOf('/');
    int dash = spec.indexOf('-');
    if (slash < 0 || dash < 0 || dash > slash) {
      throw bad(header);
    }
    try {
      long first = Long.parseLong(spec.substring(0, dash));
      long last = Long.parseLong(spec.substring(dash + 1, slash));
      String t = spec.substring(slash + 1);
      Long total = t.equals("*") ? null : Long.parseLong(t);
      if (first < 0 || last < first || (total != null && last >= total)) {
        throw bad(header);
      }
      return new ContentRange(first, last, total);
    } catch (NumberFormatException e) {
      throw bad(header);
    }
  }

  private static ApiException bad(String header) {
    return ApiException.badRequest("invalid Content-Range: " + header);
  }
}
