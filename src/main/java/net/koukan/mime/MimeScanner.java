package net.koukan.mime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One streaming pass over a raw message that finds its MIME structure: each entity's header
 * fields, its type, and, for leaves, the byte range of the (still transfer-encoded) content.
 * Memory is bounded by the header fields kept (at most {@value #MAX_HEADER_BYTES} bytes per
 * entity) and {@value #BODY_KEEP} bytes per body line, whatever the size of the message.
 *
 * <p>Lenient like the parsers mail clients use, and lossless where input is broken: every
 * irregularity becomes a defect on the entity where it was found and parsing goes on.
 * <ul>
 *   <li>A header line that is neither a field nor a continuation starts the body (missing blank
 *       line); the line itself belongs to the body. A leading mbox {@code From } line is skipped.
 *   <li>A boundary line of any enclosing multipart ends an entity wherever it appears (in
 *       headers, in a body, in a nested multipart whose own closing line is missing).
 *   <li>Delimiter lines are {@code --boundary} or {@code --boundary--} followed only by
 *       whitespace; the line break before a delimiter belongs to it, not to the content.
 *   <li>A multipart without boundary, a {@code message/rfc822} with base64 or quoted-printable
 *       encoding, and anything at depth {@link #maxDepth} are kept as single leaves.
 * </ul>
 */
final class MimeScanner {
  static final int HEADER_KEEP = 64 * 1024;
  static final int BODY_KEEP = 1024;
  static final int MAX_HEADER_BYTES = 1 << 20;
  static final int MAX_BOUNDARY = 200;
  private static final Set<String> IDENTITY = Set.of("7bit", "8bit", "binary");
  private static final Set<String> ENCODINGS = Set.of("7bit", "8bit", "binary", "base64", "quoted-printable");
  private static final Pattern MEDIA_TYPE = Pattern.compile("[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+");

  enum Kind { LEAF, MULTIPART, MESSAGE }

  /** A header field: its name and its value unfolded (the bytes after the colon, CRLFs removed). */
  record Field(String name, byte[] value) {}

  /** One entity of the tree. */
  static final class Node {
    final int depth;
    final List<Field> fields = new ArrayList<>();
    final List<String> defects = new ArrayList<>();
    final List<Node> children = new ArrayList<>();
    Kind kind = Kind.LEAF;
    String contentType;
    Map<String, String> params = Map.of();
    String encoding = "7bit";
    byte[] boundary;
    long bodyStart;
    long bodyEnd;

    Node(int depth) {
      this.depth = depth;
    }
  }

  private final LineReader reader;
  private final int maxDepth;
  private final int maxParts;
  private int count;
  /** Whether the last header block ended at a line that is not a field (missing blank line). */
  private boolean endedByText;

  MimeScanner(InputStream in, int maxDepth, int maxParts) {
    this.reader = new LineReader(in);
    this.maxDepth = maxDepth;
    this.maxParts = maxParts;
  }

  Node parse() throws IOException {
    return entity(0, List.of(), "text/plain", true);
  }

  /**
   * Parses the next header block of a stream of blocks separated by blank lines (the content of
   * text/rfc822-headers, message/delivery-status and friends); null at the end.
   */
  Node headerBlock() throws IOException {
    LineReader.Line l;
    while ((l = reader.next(HEADER_KEEP)) != null && l.isBlank()) {
      // blank lines between blocks
    }
    if (l == null) {
      return null;
    }
    reader.unread(l);
    Node n = new Node(0);
    headers(n, List.of(), false);
    if (endedByText) { // not a header field: skip to the next blank line
      while ((l = reader.next(BODY_KEEP)) != null && !l.isBlank()) {
        // skipped
      }
    }
    return n;
  }

  private Node entity(int depth, List<byte[]> bounds, String defaultType, boolean top)
      throws IOException {
    count++;
    Node n = new Node(depth);
    boolean hasBody = headers(n, bounds, top);
    classify(n, defaultType);
    switch (n.kind) {
      case MULTIPART -> {
        if (hasBody) {
          multipart(n, bounds);
        } else {
          n.defects.add("multipart has no body parts");
          n.bodyStart = n.bodyEnd = reader.position();
        }
      }
      case MESSAGE -> {
        if (hasBody) {
          n.bodyStart = reader.position();
          n.children.add(entity(depth + 1, bounds, "text/plain", false));
          n.bodyEnd = reader.position();
        } else {
          n.kind = Kind.LEAF;
          n.bodyStart = n.bodyEnd = reader.position();
        }
      }
      case LEAF -> leaf(n, bounds, hasBody);
    }
    return n;
  }

  // ------------------------------------------------------------------ headers

  /** Reads the header block into {@code n}; returns whether a body follows it. */
  private boolean headers(Node n, List<byte[]> bounds, boolean top) throws IOException {
    ByteArrayOutputStream cur = null;
    String curName = null;
    int total = 0;
    boolean first = true;
    boolean full = false;
    endedByText = false;
    while (true) {
      LineReader.Line l = reader.next(HEADER_KEEP);
      if (l == null) {
        add(n, curName, cur);
        return false;
      }
      if (l.isBlank()) {
        add(n, curName, cur);
        return true;
      }
      if (boundary(l, bounds) != null) {
        reader.unread(l);
        add(n, curName, cur);
        n.defects.add("a boundary ended the header without a blank line");
        return false;
      }
      byte[] h = l.head();
      if (l.truncated()) {
        n.defects.add("header line longer than " + HEADER_KEEP + " bytes (cut)");
      }
      total += h.length;
      if (total > MAX_HEADER_BYTES && !full) {
        full = true;
        n.defects.add("header longer than " + MAX_HEADER_BYTES + " bytes: further fields ignored");
      }
      if (h[0] == ' ' || h[0] == '\t') {
        if (cur != null) {
          if (!full) {
            cur.write(h, 0, h.length);
          }
        } else {
          n.defects.add("continuation line before the first header field (ignored)");
        }
      } else if (fieldNameEnd(h) > 0) {
        add(n, curName, cur);
        cur = null;
        curName = null;
        if (!full) {
          int colon = fieldNameEnd(h);
          curName = new String(h, 0, colon, StandardCharsets.US_ASCII).strip();
          cur = new ByteArrayOutputStream();
          cur.write(h, colon + 1, h.length - colon - 1);
        }
      } else if (top && first && startsWith(h, "From ")) {
        n.defects.add("mbox From_ line ignored");
      } else {
        reader.unread(l);
        add(n, curName, cur);
        n.defects.add("missing blank line between header and body");
        endedByText = true;
        return true;
      }
      first = false;
    }
  }

  private static void add(Node n, String name, ByteArrayOutputStream value) {
    if (name != null) {
      n.fields.add(new Field(name, value.toByteArray()));
    }
  }

  /** Index of the colon of a field line ({@code name:} or obsolete {@code name :}), else -1. */
  private static int fieldNameEnd(byte[] h) {
    int i = 0;
    while (i < h.length && h[i] > 32 && h[i] < 127 && h[i] != ':') {
      i++;
    }
    if (i == 0) {
      return -1;
    }
    int nameEnd = i;
    while (i < h.length && (h[i] == ' ' || h[i] == '\t')) {
      i++;
    }
    return i < h.length && h[i] == ':' && nameEnd > 0 ? i : -1;
  }

  private static boolean startsWith(byte[] h, String s) {
    if (h.length < s.length()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (h[i] != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  // ------------------------------------------------------------------ classification

  private void classify(Node n, String defaultType) {
    String type = defaultType;
    for (Field f : n.fields) {
      String name = f.name().toLowerCase(Locale.ROOT);
      if (name.equals("content-type")) {
        HeaderValues.Params p = HeaderValues.params(
            HeaderValues.text(f.value(), "content-type", n.defects).strip(), "content-type", n.defects);
        if (MEDIA_TYPE.matcher(p.value()).matches()) {
          type = p.value();
          n.params = p.params();
        } else {
          n.defects.add("invalid Content-Type " + p.value() + " (read as text/plain)");
          type = "text/plain";
        }
        break;
      }
    }
    for (Field f : n.fields) {
      if (f.name().equalsIgnoreCase("content-transfer-encoding")) {
        String e = HeaderValues.text(f.value(), "content-transfer-encoding", n.defects).strip()
            .toLowerCase(Locale.ROOT);
        if (!ENCODINGS.contains(e)) {
          n.defects.add("unknown Content-Transfer-Encoding " + e + " (content kept as it is)");
          e = "binary";
        }
        n.encoding = e;
        break;
      }
    }
    n.contentType = type;
    if (type.startsWith("multipart/")) {
      String b = n.params.get("boundary");
      if (b == null || b.isEmpty() || b.length() > MAX_BOUNDARY) {
        n.defects.add("multipart without a usable boundary (kept as one part)");
      } else if (n.depth >= maxDepth) {
        n.defects.add("nested deeper than " + maxDepth + " (kept as one part)");
      } else if (count > maxParts) {
        n.defects.add("more than " + maxParts + " parts (kept as one part)");
      } else {
        if (!IDENTITY.contains(n.encoding)) {
          n.defects.add("multipart with Content-Transfer-Encoding " + n.encoding + " (ignored)");
        }
        n.kind = Kind.MULTIPART;
        n.boundary = b.getBytes(StandardCharsets.UTF_8);
      }
    } else if (type.equals("message/rfc822")) {
      if (!IDENTITY.contains(n.encoding)) {
        n.defects.add("message/rfc822 with Content-Transfer-Encoding " + n.encoding + " (kept as one part)");
      } else if (n.depth >= maxDepth) {
        n.defects.add("nested deeper than " + maxDepth + " (kept as one part)");
      } else {
        n.kind = Kind.MESSAGE;
      }
    }
  }

  // ------------------------------------------------------------------ bodies

  private void leaf(Node n, List<byte[]> bounds, boolean hasBody) throws IOException {
    n.kind = Kind.LEAF;
    n.bodyStart = reader.position();
    n.bodyEnd = n.bodyStart;
    if (!hasBody) {
      return;
    }
    LineReader.Line prev = null;
    while (true) {
      LineReader.Line l = reader.next(BODY_KEEP);
      if (l == null) {
        n.bodyEnd = prev == null ? n.bodyStart : prev.end();
        return;
      }
      if (boundary(l, bounds) != null) {
        reader.unread(l);
        n.bodyEnd = prev == null ? n.bodyStart : prev.start() + prev.contentLength();
        return;
      }
      prev = l;
    }
  }

  private void multipart(Node n, List<byte[]> outer) throws IOException {
    List<byte[]> bounds = new ArrayList<>(outer);
    bounds.add(n.boundary);
    int own = bounds.size() - 1;
    n.bodyStart = reader.position();
    String digestDefault = n.contentType.equals("multipart/digest") ? "message/rfc822" : "text/plain";
    while (true) { // preamble
      LineReader.Line l = reader.next(BODY_KEEP);
      if (l == null) {
        n.defects.add("multipart boundary not found");
        n.bodyEnd = reader.position();
        return;
      }
      Match m = boundary(l, bounds);
      if (m == null) {
        continue;
      }
      if (m.index() != own) {
        reader.unread(l);
        n.defects.add("multipart boundary not found");
        n.bodyEnd = reader.position();
        return;
      }
      if (m.close()) {
        n.defects.add("multipart has no body parts");
        epilogue(outer);
        n.bodyEnd = reader.position();
        return;
      }
      break;
    }
    while (true) {
      if (count >= maxParts) {
        n.defects.add("more than " + maxParts + " parts: the rest is not parsed");
        skipRest(bounds, own, outer);
        n.bodyEnd = reader.position();
        return;
      }
      n.children.add(entity(n.depth + 1, bounds, digestDefault, false));
      LineReader.Line l = reader.next(BODY_KEEP);
      Match m = l == null ? null : boundary(l, bounds);
      if (m == null) {
        n.defects.add("missing closing boundary");
        n.bodyEnd = reader.position();
        return;
      }
      if (m.index() != own) {
        reader.unread(l);
        n.defects.add("missing closing boundary");
        n.bodyEnd = reader.position();
        return;
      }
      if (m.close()) {
        epilogue(outer);
        n.bodyEnd = reader.position();
        return;
      }
    }
  }

  private void epilogue(List<byte[]> outer) throws IOException {
    LineReader.Line l;
    while ((l = reader.next(BODY_KEEP)) != null) {
      if (boundary(l, outer) != null) {
        reader.unread(l);
        return;
      }
    }
  }

  private void skipRest(List<byte[]> bounds, int own, List<byte[]> outer) throws IOException {
    LineReader.Line l;
    while ((l = reader.next(BODY_KEEP)) != null) {
      Match m = boundary(l, bounds);
      if (m != null && m.index() != own) {
        reader.unread(l);
        return;
      }
      if (m != null && m.close()) {
        epilogue(outer);
        return;
      }
    }
  }

  private record Match(int index, boolean close) {}

  /** Which enclosing boundary (innermost first) this line is a delimiter of, or null. */
  private static Match boundary(LineReader.Line l, List<byte[]> bounds) {
    byte[] h = l.head();
    if (bounds.isEmpty() || l.truncated() || h.length < 3 || h[0] != '-' || h[1] != '-') {
      return null;
    }
    for (int i = bounds.size() - 1; i >= 0; i--) {
      byte[] b = bounds.get(i);
      if (h.length - 2 < b.length || !java.util.Arrays.equals(h, 2, 2 + b.length, b, 0, b.length)) {
        continue;
      }
      int p = 2 + b.length;
      boolean close = false;
      if (p + 1 < h.length && h[p] == '-' && h[p + 1] == '-') {
        close = true;
        p += 2;
      }
      while (p < h.length && (h[p] == ' ' || h[p] == '\t')) {
        p++;
      }
      if (p == h.length) {
        return new Match(i, close);
      }
    }
    return null;
  }
}
