package net.koukan.mime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import net.koukan.filter.BlobSource;
import net.koukan.tx.BoundedInputStream;

/**
 * Parses a raw RFC 822 / MIME message into the parsed-message JSON of spec §3.4. Pure: reads
 * only the message it is given; never throws on malformed input (irregularities are listed as
 * {@code defects} on the entity where they were found).
 *
 * <h2>Output</h2>
 * <pre>
 * {"parts": Node,                          // the MIME tree (root entity)
 *  "text_body": [Flat…], "related_attachments": [Flat…], "file_attachments": [Flat…]}
 * Node = {"headers": [[name, value]…], "content_type": "type/subtype",
 *         "parts": [Node…]        (multipart; message/rfc822: the one encapsulated message)
 *       | "content": {"inline": "…"} | {"create_id": "0"}   (leaf)
 *         "defects": ["…"]}        (only when there are any)
 * Flat = {"content_type", "content", "filename"?, "content_id"?}
 * </pre>
 * <ul>
 *   <li>Header names are lower-cased; values are: {@code from}/{@code to}/{@code cc}/{@code bcc}
 *       arrays of {@code {"display_name", "address"}} ({@code display_name} "" when absent; a
 *       string with a defect when the list cannot be parsed at all); {@code date}
 *       {@code {"unix_secs", "tz_offset"}} (a string with a defect when invalid);
 *       {@code message-id} the id without angle brackets; {@code content-type} and
 *       {@code content-disposition} {@code [value, {param: value}]} (lower-cased value and names,
 *       RFC 2231 decoded); any other field its unfolded value with RFC 2047 encoded-words
 *       decoded. 8-bit header bytes are read as UTF-8, or ISO-8859-1 when they are not UTF-8.
 *   <li>{@code text/rfc822-headers} and {@code message/delivery-status} (and their RFC 6533 /
 *       disposition / feedback-report relatives) get {@code "parts": [{"headers": …}…]}, one
 *       object per header block, instead of content.
 *   <li>Text leaves ({@code text/*}) are decoded (transfer encoding, then charset; no charset,
 *       {@code us-ascii} and unknown charsets are read as UTF-8; invalid bytes become U+FFFD)
 *       and put inline while the total of inlined UTF-8 bytes stays below {@code maxInline}
 *       (strictly); otherwise they become a blob of their UTF-8 bytes. Every other leaf is a blob
 *       of its transfer-decoded bytes. Blob ids are "0", "1", … in document order. Line ends
 *       are kept as they are in the message (CRLF).
 *   <li>Entities nested deeper than {@value #MAX_DEPTH} and parts beyond {@value #MAX_PARTS}
 *       are not parsed further (one leaf holding the rest).
 * </ul>
 *
 * <h2>Flattened view</h2>
 * The reference's rules, generalised so that every common shape (and everything
 * {@link MessageBuilder} writes) flattens back to what built it: {@code multipart/signed} →
 * its first part; {@code multipart/alternative} → each alternative in order;
 * {@code multipart/related} → its first part, the others are related attachments;
 * {@code multipart/mixed} (and any other multipart, e.g. {@code report}) → its first part,
 * the others are file attachments; a {@code text/plain} or {@code text/html} leaf is text; any
 * other leaf found where the body should be is a file attachment. Entities without content
 * (an encapsulated message, a parsed header block) are left out of the flattened lists.
 * {@code filename} comes from Content-Disposition's {@code filename} (else Content-Type's
 * {@code name}); {@code content_id} is the Content-ID without angle brackets.
 *
 * <h2>Memory</h2>
 * One streaming pass finds the structure, a second decodes the leaves in order; blobs are not
 * copied: each {@link BlobSource} in the result re-reads its range of the raw message (and
 * decodes it) when opened. Memory is bounded by the headers and {@code maxInline}.
 */
public final class MessageParser {
  public static final int DEFAULT_MAX_INLINE = 65536;
  public static final int MAX_DEPTH = 10;
  public static final int MAX_PARTS = 1000;
  /** Header-block content larger than this is kept as a blob instead of parsed. */
  static final int MAX_HEADER_BLOCK = 1 << 20;
  /** Defects listed per entity; the rest are counted. */
  static final int MAX_DEFECTS = 20;
  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final Set<String> HEADER_BLOCKS = Set.of("text/rfc822-headers",
      "message/global-headers", "message/delivery-status", "message/global-delivery-status",
      "message/disposition-notification", "message/global-disposition-notification",
      "message/feedback-report");
  private static final Set<String> ONE_BLOCK = Set.of("text/rfc822-headers", "message/global-headers");

  /** The parsed JSON and the blobs its {@code create_id}s name (in id order). */
  public record Result(ObjectNode json, Map<String, BlobSource> blobs) {}

  private final int maxInline;

  public MessageParser(int maxInline) {
    if (maxInline < 0) {
      throw new IllegalArgumentException("maxInline < 0");
    }
    this.maxInline = maxInline;
  }

  public MessageParser() {
    this(DEFAULT_MAX_INLINE);
  }

  /** Parses {@code raw}, which is read twice (structure, then leaf contents). */
  public Result parse(BlobSource raw) throws IOException {
    MimeScanner.Node root;
    try (InputStream in = raw.open()) {
      root = new MimeScanner(in, MAX_DEPTH, MAX_PARTS).parse();
    }
    Run run = new Run(raw);
    ObjectNode tree;
    try {
      tree = run.node(root);
    } finally {
      run.close();
    }
    ObjectNode out = F.objectNode();
    out.set("parts", tree);
    flatten(tree, out);
    return new Result(out, Collections.unmodifiableMap(run.blobs));
  }

  public Result parse(byte[] raw) {
    try {
      return parse(BlobSource.of(raw));
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen with bytes in memory
    }
  }

  /** The second pass: JSON for each entity, reading the leaves in order from one stream. */
  private final class Run {
    final BlobSource raw;
    final Map<String, BlobSource> blobs = new LinkedHashMap<>();
    long inlined;
    InputStream in;
    long pos;

    Run(BlobSource raw) {
      this.raw = raw;
    }

    ObjectNode node(MimeScanner.Node n) throws IOException {
      ObjectNode o = F.objectNode();
      o.set("headers", headers(n.fields, n.defects));
      o.put("content_type", n.contentType);
      switch (n.kind) {
        case MULTIPART, MESSAGE -> {
          ArrayNode parts = o.putArray("parts");
          for (MimeScanner.Node c : n.children) {
            parts.add(node(c));
          }
        }
        case LEAF -> leaf(n, o);
      }
      defects(o, n.defects);
      return o;
    }

    void leaf(MimeScanner.Node n, ObjectNode o) throws IOException {
      long len = n.bodyEnd - n.bodyStart;
      PartContent.DefectMonitor monitor = new PartContent.DefectMonitor(n.defects);
      String type = n.contentType;
      if (HEADER_BLOCKS.contains(type) && len <= MAX_HEADER_BLOCK) {
        byte[] content = PartContent.decode(range(n.bodyStart, len), n.encoding, monitor).readAllBytes();
        o.set("parts", headerBlocks(content, ONE_BLOCK.contains(type)));
        return;
      }
      ObjectNode content = o.putObject("content");
      InputStream decoded = PartContent.decode(range(n.bodyStart, len), n.encoding, monitor);
      if (type.startsWith("text/")) {
        Charset cs = charset(n);
        long budget = maxInline - inlined;
        StringBuilder text = budget > 0 ? new StringBuilder() : null;
        long utf8 = 0;
        Reader r = PartContent.reader(decoded, cs);
        char[] buf = new char[8192];
        int k;
        while ((k = r.read(buf)) > 0) {
          for (int i = 0; i < k; i++) {
            utf8 += PartContent.utf8Length(buf[i]);
          }
          if (text != null) {
            if (utf8 < budget) {
              text.append(buf, 0, k);
            } else {
              text = null;
            }
          }
        }
        if (text != null) {
          content.put("inline", text.toString());
          inlined += utf8;
        } else {
          content.put("create_id", blob(new PartContent.Blob(raw, n.bodyStart, len, n.encoding, cs, utf8)));
        }
        return;
      }
      long count = 0;
      byte[] buf = new byte[16 * 1024];
      int k;
      while ((k = decoded.read(buf)) > 0) {
        count += k;
      }
      content.put("create_id", blob(new PartContent.Blob(raw, n.bodyStart, len, n.encoding, null, count)));
    }

    String blob(BlobSource b) {
      String id = Integer.toString(blobs.size());
      blobs.put(id, b);
      return id;
    }

    /** The raw bytes {@code [start, start+len)}; ranges are asked for in increasing order. */
    InputStream range(long start, long len) throws IOException {
      if (in == null || start < pos) {
        close();
        InputStream opened = raw.open();
        pos = 0;
        in = new java.io.FilterInputStream(opened) { // counts what is consumed
          @Override
          public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
              pos++;
            }
            return b;
          }

          @Override
          public int read(byte[] b, int off, int n) throws IOException {
            int k = super.read(b, off, n);
            if (k > 0) {
              pos += k;
            }
            return k;
          }

          @Override
          public long skip(long n) throws IOException {
            long k = super.skip(n);
            if (k > 0) {
              pos += k;
            }
            return k;
          }
        };
      }
      in.skipNBytes(start - pos);
      return new BoundedInputStream(in, len) {
        @Override
        public void close() {
          // the run's stream stays open for the next range
        }
      };
    }

    void close() throws IOException {
      if (in != null) {
        InputStream i = in;
        in = null;
        i.close();
      }
    }
  }

  private static Charset charset(MimeScanner.Node n) {
    String name = n.params.get("charset");
    if (name == null || name.isBlank()) {
      return StandardCharsets.UTF_8;
    }
    name = name.strip().toLowerCase(Locale.ROOT);
    if (name.equals("us-ascii") || name.equals("ascii") || name.equals("ansi_x3.4-1968")) {
      return StandardCharsets.UTF_8; // a superset: undeclared 8-bit text is mostly UTF-8
    }
    try {
      return Charset.forName(name);
    } catch (RuntimeException e) {
      n.defects.add("unknown charset " + name + " (read as UTF-8)");
      return StandardCharsets.UTF_8;
    }
  }

  private static ArrayNode headers(List<MimeScanner.Field> fields, List<String> defects) {
    ArrayNode a = F.arrayNode();
    for (MimeScanner.Field f : fields) {
      String name = f.name().toLowerCase(Locale.ROOT);
      String text = HeaderValues.text(f.value(), name, defects).strip();
      ArrayNode pair = a.addArray();
      pair.add(name);
      pair.add(HeaderValues.value(name, text, defects));
    }
    return a;
  }

  private static ArrayNode headerBlocks(byte[] content, boolean one) throws IOException {
    ArrayNode parts = F.arrayNode();
    MimeScanner s = new MimeScanner(new ByteArrayInputStream(content), 0, 0);
    MimeScanner.Node block;
    while ((block = s.headerBlock()) != null) {
      ObjectNode o = parts.addObject();
      o.set("headers", headers(block.fields, block.defects));
      defects(o, block.defects);
      if (one) {
        break;
      }
    }
    return parts;
  }

  /** Lists the defects (at most {@value #MAX_DEFECTS}) when there are any. */
  private static void defects(ObjectNode o, List<String> defects) {
    if (defects.isEmpty()) {
      return;
    }
    ArrayNode d = o.putArray("defects");
    defects.stream().limit(MAX_DEFECTS).forEach(d::add);
    if (defects.size() > MAX_DEFECTS) {
      d.add("(" + (defects.size() - MAX_DEFECTS) + " more)");
    }
  }

  // ------------------------------------------------------------------ flattened view

  private static void flatten(ObjectNode root, ObjectNode out) {
    List<ObjectNode> text = new ArrayList<>();
    List<ObjectNode> related = new ArrayList<>();
    List<ObjectNode> files = new ArrayList<>();
    body(root, text, related, files, 0);
    put(out, "text_body", text);
    put(out, "related_attachments", related);
    put(out, "file_attachments", files);
  }

  private static void put(ObjectNode out, String key, List<ObjectNode> parts) {
    if (parts.isEmpty()) {
      return;
    }
    ArrayNode a = out.putArray(key);
    for (ObjectNode p : parts) {
      a.add(flat(p));
    }
  }

  /** Classifies an entity found where the message body is. */
  private static void body(ObjectNode n, List<ObjectNode> text, List<ObjectNode> related,
      List<ObjectNode> files, int depth) {
    if (n == null || depth > MAX_DEPTH + 1) {
      return;
    }
    String type = n.path("content_type").asText();
    JsonNode parts = n.get("parts");
    boolean multipart = type.startsWith("multipart/") && parts != null && parts.isArray();
    if (!multipart) {
      if (!n.has("content")) {
        return;
      }
      if (type.equals("text/plain") || type.equals("text/html")) {
        text.add(n);
      } else {
        files.add(n);
      }
      return;
    }
    if (parts.isEmpty()) {
      return;
    }
    switch (type) {
      case "multipart/alternative" -> {
        for (JsonNode p : parts) {
          body((ObjectNode) p, text, related, files, depth + 1);
        }
      }
      case "multipart/signed" -> body((ObjectNode) parts.get(0), text, related, files, depth + 1);
      case "multipart/related" -> {
        body((ObjectNode) parts.get(0), text, related, files, depth + 1);
        for (int i = 1; i < parts.size(); i++) {
          if (parts.get(i).has("content")) {
            related.add((ObjectNode) parts.get(i));
          }
        }
      }
      default -> { // mixed, report, and (RFC 2046 §5.1.3) any unknown subtype
        body((ObjectNode) parts.get(0), text, related, files, depth + 1);
        for (int i = 1; i < parts.size(); i++) {
          if (parts.get(i).has("content")) {
            files.add((ObjectNode) parts.get(i));
          }
        }
      }
    }
  }

  private static ObjectNode flat(ObjectNode n) {
    ObjectNode f = F.objectNode();
    f.put("content_type", n.path("content_type").asText());
    f.set("content", n.get("content").deepCopy());
    String filename = null;
    String name = null;
    String contentId = null;
    for (JsonNode h : n.path("headers")) {
      String k = h.path(0).asText();
      JsonNode v = h.path(1);
      if (k.equals("content-disposition") && filename == null && v.isArray()) {
        JsonNode fn = v.path(1).get("filename");
        filename = fn == null ? null : fn.asText();
      } else if (k.equals("content-type") && name == null && v.isArray()) {
        JsonNode nm = v.path(1).get("name");
        name = nm == null ? null : nm.asText();
      } else if (k.equals("content-id") && contentId == null && v.isTextual()) {
        contentId = HeaderValues.stripAngles(v.asText());
      }
    }
    if (filename == null) {
      filename = name;
    }
    if (filename != null && !filename.isEmpty()) {
      f.put("filename", filename);
    }
    if (contentId != null && !contentId.isEmpty()) {
      f.put("content_id", contentId);
    }
    return f;
  }
}
