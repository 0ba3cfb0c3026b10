package net.koukan.mime;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;
import net.koukan.filter.BlobSource;

/**
 * Renders a message-builder spec (spec §3.1) and its blobs into an RFC 5322 / MIME message with
 * CRLF line endings (spec §3.2), or only its header block (spec §3.3). Pure: no I/O but reading
 * the blobs and writing the output; time and randomness (Date, Message-ID, boundaries) come from
 * the {@link Clock} and {@link RandomGenerator} given.
 *
 * <h2>Headers</h2>
 * Each {@code [name, value]} pair is written in the spec's order, the name as given:
 * <ul>
 *   <li>{@code from}, {@code to}, {@code cc}, {@code bcc}, {@code reply-to}: an array of
 *       {@code {"address": …, "display_name": …}}; an empty array omits the field. Non-ASCII
 *       display names become RFC 2047 encoded-words, other display names atoms or a
 *       quoted-string; local parts are quoted when they are not dot-atoms; non-ASCII domains are
 *       written as A-labels (a non-ASCII local part stays UTF-8, RFC 6532).
 *   <li>{@code date}: {@code {"unix_secs": n, "tz_offset": seconds}} (offset default 0).
 *   <li>{@code message-id} (exactly one), {@code in-reply-to}, {@code references}: arrays of ids
 *       without angle brackets, written {@code <id1> <id2>}; an empty array omits the field.
 *   <li>any other name: a string, written as given except that words holding non-ASCII become
 *       RFC 2047 encoded-words.
 * </ul>
 * Every field is folded at whitespace to 78 columns where possible (a line over 998 octets is an
 * error). CR, LF and other control characters in values are errors, as are pairs whose name is
 * not a valid field name, {@code MIME-Version} or {@code Content-*} fields (the builder writes
 * those), and a second instance of a field RFC 5322 allows once. Pairs that are not of length 2
 * are skipped, as in the reference. Date and Message-ID are added when the spec has none (the
 * Message-ID domain is the first From address's, else the fallback domain).
 *
 * <h2>Structure</h2>
 * {@code mixed[alternative[related[text0, related…], text1…], files…]}, leaving out every level
 * that would hold a single entity. Text parts ({@code text_body}, which must be {@code text/*})
 * must be valid UTF-8; they get {@code charset=utf-8}, line ends are converted to CRLF, and they
 * are quoted-printable or base64, whichever is smaller for the content. Related parts are base64
 * with {@code Content-Disposition: inline} and {@code Content-ID: <id>}; file attachments are
 * base64 with {@code Content-Disposition: attachment; filename=…} (RFC 2231 for non-ASCII or
 * long names). A {@code text/*} attachment gets {@code charset=utf-8} when it is valid UTF-8
 * and keeps its bytes exactly. {@code multipart/*} and {@code message/*} are not part types.
 * Part content is {@code {"create_id": id}} naming a blob (the stored form) or
 * {@code {"inline": "text"}}.
 *
 * <h2>Memory</h2>
 * Blobs are streamed: text parts are read twice (validation and encoding choice, then
 * encoding), text attachments twice, other parts once. Nothing is held beyond small buffers;
 * give {@link #render} a {@link SpillBuffer} to bound the output's memory too.
 */
public final class MessageBuilder {

  /**
   * Hard limits on a spec.
   *
   * @param maxParts text, related and file parts together
   * @param maxHeaderFields entries of {@code headers}
   * @param maxHeaderBytes the rendered header block of the message
   */
  public record Limits(int maxParts, int maxHeaderFields, int maxHeaderBytes) {
    public static final Limits DEFAULT = new Limits(100, 100, 64 * 1024);

    public Limits {
      if (maxParts < 1 || maxHeaderFields < 1 || maxHeaderBytes < 1024) {
        throw new IllegalArgumentException("limits too small");
      }
    }
  }

  private static final Set<String> SPEC_KEYS =
      Set.of("headers", "text_body", "related_attachments", "file_attachments");
  private static final Set<String> PART_KEYS = Set.of("content_type", "content", "filename", "content_id");
  private static final Set<String> ADDRESS_FIELDS = Set.of("from", "to", "cc", "bcc", "reply-to");
  private static final Set<String> ID_FIELDS = Set.of("message-id", "in-reply-to", "references");
  /** RFC 5322 §3.6: fields that may appear at most once. */
  private static final Set<String> UNIQUE = Set.of("date", "from", "sender", "reply-to", "to", "cc",
      "bcc", "message-id", "in-reply-to", "references", "subject");
  private static final Pattern MEDIA_TYPE = Pattern.compile(
      "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}");
  private static final long MIN_DATE = -2208988800L; // 1900-01-01
  private static final long MAX_DATE = 253402300799L; // 9999-12-31
  private static final int MAX_FILENAME = 255;
  private static final byte[] CRLF = {'\r', '\n'};
  private static final String ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz";

  private final Clock clock;
  private final RandomGenerator random;
  private final String fallbackDomain;
  private final Limits limits;

  /**
   * @param fallbackDomain Message-ID domain when the spec has no From with a domain name
   */
  public MessageBuilder(Clock clock, RandomGenerator random, String fallbackDomain, Limits limits) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
    this.limits = Objects.requireNonNull(limits, "limits");
    try {
      this.fallbackDomain = HeaderText.domainOf("x@" + fallbackDomain);
    } catch (InvalidSpecException e) {
      throw new IllegalArgumentException("invalid fallback domain " + fallbackDomain);
    }
    if (this.fallbackDomain == null) {
      throw new IllegalArgumentException("fallback domain must be a domain name");
    }
  }

  public MessageBuilder(Clock clock, String fallbackDomain) {
    this(clock, new SecureRandom(), fallbackDomain, Limits.DEFAULT);
  }

  // ------------------------------------------------------------------ public API

  /**
   * Renders the whole message into {@code out} (not closed). Everything about the spec is
   * checked before the first byte is written, so an {@link InvalidSpecException} leaves
   * {@code out} untouched.
   *
   * @param blobs the bytes of every {@code create_id} the spec names
   * @throws InvalidSpecException the spec cannot be rendered (the message says why)
   * @throws IOException reading a blob or writing failed
   */
  public void render(JsonNode spec, Map<String, BlobSource> blobs, OutputStream out)
      throws InvalidSpecException, IOException {
    Objects.requireNonNull(blobs, "blobs");
    Spec s = parse(spec, blobs::containsKey, false);
    Entity root = structure(s, blobs);
    StringBuilder head = new StringBuilder();
    for (String f : s.fields) {
      head.append(f);
    }
    if (!s.hasDate) {
      head.append(HeaderText.fold("Date", HeaderText.date(clock.instant().getEpochSecond(), 0)));
    }
    if (!s.hasMessageId) {
      head.append(HeaderText.fold("Message-ID", "<" + randomToken(26) + "@"
          + (s.fromDomain != null ? s.fromDomain : fallbackDomain) + ">"));
    }
    if (root != null) {
      head.append("MIME-Version: 1.0\r\n");
    }
    OutputStream o = new BufferedOutputStream(new NonClosing(out), 64 * 1024);
    o.write(head.toString().getBytes(StandardCharsets.UTF_8));
    if (root == null) {
      o.write(CRLF);
    } else {
      writeEntity(root, o, true);
    }
    o.flush();
  }

  /** {@link #render} into memory: for small messages and tests. */
  public byte[] render(JsonNode spec, Map<String, BlobSource> blobs) throws InvalidSpecException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try {
      render(spec, blobs, b);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return b.toByteArray();
  }

  /**
   * Only the header block of the spec (spec §3.3, e.g. the {@code text/rfc822-headers} of a
   * bounce): the spec's own fields by the same rules, each ended by CRLF, without the blank line
   * that would end the block. Nothing is added (no Date, Message-ID or MIME fields: they would
   * not be the ones of the message that was sent) and the parts are not looked at.
   */
  public byte[] renderHeaders(JsonNode spec) throws InvalidSpecException {
    Spec s = parse(spec, id -> true, true);
    return String.join("", s.fields).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Checks the spec without reading any blob (a dry run): everything but the UTF-8 validity of
   * text blobs. {@code blobIds}: the ids of the blobs that will be there.
   */
  public void validate(JsonNode spec, Set<String> blobIds) throws InvalidSpecException {
    parse(spec, blobIds::contains, false);
  }

  // ------------------------------------------------------------------ the spec

  private enum Kind { TEXT, RELATED, FILE }

  /** Where a part's bytes come from. */
  private sealed interface Content {}

  private record InlineContent(byte[] bytes) implements Content {}

  private record BlobContent(String id) implements Content {}

  private record Part(Kind kind, String where, String contentType, Content content,
      String filename, String contentId) {}

  private record Spec(List<String> fields, boolean hasDate, boolean hasMessageId,
      String fromDomain, List<Part> text, List<Part> related, List<Part> files) {}

  private Spec parse(JsonNode spec, Predicate<String> blobExists, boolean headersOnly)
      throws InvalidSpecException {
    if (spec == null || !spec.isObject()) {
      throw new InvalidSpecException("the spec must be a JSON object");
    }
    for (Iterator<String> it = spec.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!SPEC_KEYS.contains(k)) {
        throw new InvalidSpecException("unknown field " + k);
      }
    }
    List<String> fields = new ArrayList<>();
    boolean hasDate = false;
    boolean hasMessageId = false;
    String fromDomain = null;
    JsonNode hs = spec.get("headers");
    if (hs != null && !hs.isNull()) {
      if (!hs.isArray()) {
        throw new InvalidSpecException("headers must be an array");
      }
      if (hs.size() > limits.maxHeaderFields()) {
        throw new InvalidSpecException("more than " + limits.maxHeaderFields() + " headers");
      }
      Set<String> seen = new HashSet<>();
      int size = 0;
      for (int i = 0; i < hs.size(); i++) {
        JsonNode h = hs.get(i);
        if (!h.isArray() || h.size() != 2) {
          continue; // as the reference: pairs not of length 2 are skipped
        }
        String where = "headers[" + i + "]";
        if (!h.get(0).isTextual()) {
          throw new InvalidSpecException(where + ": the name must be a string");
        }
        String name = h.get(0).asText();
        HeaderText.checkName(name);
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.equals("mime-version") || lower.startsWith("content-")) {
          throw new InvalidSpecException(where + ": " + name + " is written by the message builder");
        }
        JsonNode v = h.get(1);
        String body;
        if (ADDRESS_FIELDS.contains(lower)) {
          body = addressList(v, where + " (" + name + ")");
          if (body != null && lower.equals("from")) {
            fromDomain = HeaderText.domainOf(v.get(0).get("address").asText());
          }
        } else if (lower.equals("date")) {
          body = date(v, where);
          hasDate = true;
        } else if (ID_FIELDS.contains(lower)) {
          body = ids(v, where + " (" + name + ")", lower.equals("message-id"));
          hasMessageId |= body != null && lower.equals("message-id");
        } else {
          if (!v.isTextual()) {
            throw new InvalidSpecException(where + " (" + name + "): the value must be a string");
          }
          HeaderText.checkText(where + " (" + name + ")", v.asText());
          body = HeaderText.unstructured(v.asText());
        }
        if (body == null) {
          continue; // an empty list omits the field
        }
        if (UNIQUE.contains(lower) && !seen.add(lower)) {
          throw new InvalidSpecException(where + ": more than one " + lower + " header");
        }
        String field = HeaderText.fold(name, body);
        size += field.getBytes(StandardCharsets.UTF_8).length;
        if (size > limits.maxHeaderBytes()) {
          throw new InvalidSpecException("headers longer than " + limits.maxHeaderBytes() + " octets");
        }
        fields.add(field);
      }
    }
    if (headersOnly) {
      return new Spec(fields, hasDate, hasMessageId, fromDomain, List.of(), List.of(), List.of());
    }
    List<Part> text = parts(spec, "text_body", Kind.TEXT, blobExists);
    List<Part> related = parts(spec, "related_attachments", Kind.RELATED, blobExists);
    List<Part> files = parts(spec, "file_attachments", Kind.FILE, blobExists);
    if (text.size() + related.size() + files.size() > limits.maxParts()) {
      throw new InvalidSpecException("more than " + limits.maxParts() + " parts");
    }
    if (!related.isEmpty() && text.isEmpty()) {
      throw new InvalidSpecException("related_attachments need a text_body to relate to");
    }
    return new Spec(fields, hasDate, hasMessageId, fromDomain, text, related, files);
  }

  private static String addressList(JsonNode v, String where) throws InvalidSpecException {
    if (!v.isArray()) {
      throw new InvalidSpecException(where + ": must be an array of {address, display_name}");
    }
    if (v.isEmpty()) {
      return null;
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < v.size(); i++) {
      JsonNode a = v.get(i);
      if (!a.isObject() || !a.path("address").isTextual()) {
        throw new InvalidSpecException(where + "[" + i + "]: needs a string address");
      }
      JsonNode dn = a.get("display_name");
      if (dn != null && !dn.isNull() && !dn.isTextual()) {
        throw new InvalidSpecException(where + "[" + i + "]: display_name must be a string");
      }
      out.add(HeaderText.mailbox(dn == null || dn.isNull() ? null : dn.asText(),
          a.get("address").asText()));
    }
    return String.join(", ", out);
  }

  private static String date(JsonNode v, String where) throws InvalidSpecException {
    if (!v.isObject() || !v.path("unix_secs").canConvertToLong() || !v.path("unix_secs").isIntegralNumber()) {
      throw new InvalidSpecException(where + " (date): must be {unix_secs, tz_offset}");
    }
    long secs = v.get("unix_secs").asLong();
    if (secs < MIN_DATE || secs > MAX_DATE) {
      throw new InvalidSpecException(where + " (date): unix_secs out of range");
    }
    int offset = 0;
    JsonNode tz = v.get("tz_offset");
    if (tz != null && !tz.isNull()) {
      if (!tz.isIntegralNumber() || !tz.canConvertToInt()) {
        throw new InvalidSpecException(where + " (date): tz_offset must be an integer");
      }
      offset = tz.asInt();
      if (Math.abs(offset) > 18 * 3600 || offset % 60 != 0) {
        throw new InvalidSpecException(where + " (date): tz_offset must be whole minutes within 18 hours");
      }
    }
    return HeaderText.date(secs, offset);
  }

  private static String ids(JsonNode v, String where, boolean single) throws InvalidSpecException {
    if (!v.isArray()) {
      throw new InvalidSpecException(where + ": must be an array of ids");
    }
    if (v.isEmpty()) {
      return null;
    }
    if (single && v.size() > 1) {
      throw new InvalidSpecException(where + ": takes exactly one id");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode id : v) {
      if (!id.isTextual()) {
        throw new InvalidSpecException(where + ": ids must be strings");
      }
      out.add("<" + HeaderText.msgId(id.asText()) + ">");
    }
    return String.join(" ", out);
  }

  private static List<Part> parts(JsonNode spec, String list, Kind kind, Predicate<String> blobExists)
      throws InvalidSpecException {
    JsonNode ps = spec.get(list);
    if (ps == null || ps.isNull()) {
      return List.of();
    }
    if (!ps.isArray()) {
      throw new InvalidSpecException(list + " must be an array");
    }
    List<Part> out = new ArrayList<>();
    for (int i = 0; i < ps.size(); i++) {
      String where = list + "[" + i + "]";
      JsonNode p = ps.get(i);
      if (!p.isObject()) {
        throw new InvalidSpecException(where + " must be an object");
      }
      for (Iterator<String> it = p.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!PART_KEYS.contains(k)) {
          throw new InvalidSpecException(where + ": unknown field " + k);
        }
      }
      JsonNode ct = p.get("content_type");
      if (ct == null || !ct.isTextual() || !MEDIA_TYPE.matcher(ct.asText()).matches()) {
        throw new InvalidSpecException(where + ": content_type must be type/subtype");
      }
      String type = ct.asText().toLowerCase(Locale.ROOT);
      if (type.startsWith("multipart/") || type.startsWith("message/")) {
        throw new InvalidSpecException(where + ": " + type + " cannot be a part's content_type");
      }
      if (kind == Kind.TEXT && !type.startsWith("text/")) {
        throw new InvalidSpecException(where + ": text_body parts must be text/*, not " + type);
      }
      Content content = content(p.get("content"), where, blobExists);
      String filename = null;
      JsonNode fn = p.get("filename");
      if (fn != null && !fn.isNull()) {
        if (!fn.isTextual() || fn.asText().isEmpty() || fn.asText().length() > MAX_FILENAME) {
          throw new InvalidSpecException(where + ": filename must be a string of 1 to "
              + MAX_FILENAME + " characters");
        }
        HeaderText.checkText(where + ": filename", fn.asText());
        filename = fn.asText();
      }
      String contentId = null;
      JsonNode cid = p.get("content_id");
      if (cid != null && !cid.isNull()) {
        if (!cid.isTextual()) {
          throw new InvalidSpecException(where + ": content_id must be a string");
        }
        contentId = HeaderText.msgId(cid.asText());
      }
      out.add(new Part(kind, where, type, content, filename, contentId));
    }
    return out;
  }

  private static Content content(JsonNode c, String where, Predicate<String> blobExists)
      throws InvalidSpecException {
    if (c == null || !c.isObject()) {
      throw new InvalidSpecException(where + ": content must be an object");
    }
    Content out = null;
    for (Map.Entry<String, JsonNode> e : c.properties()) {
      String k = e.getKey();
      if (k.equals("filename")) {
        continue; // a convention of the reference's example sender, not part of the content
      }
      if (out != null) {
        throw new InvalidSpecException(where + ": content must have exactly one of inline, create_id");
      }
      if (!e.getValue().isTextual()) {
        throw new InvalidSpecException(where + ": content." + k + " must be a string");
      }
      String v = e.getValue().asText();
      switch (k) {
        case "inline" -> out = new InlineContent(v.getBytes(StandardCharsets.UTF_8));
        case "create_id" -> {
          if (!blobExists.test(v)) {
            throw new InvalidSpecException(where + ": blob " + v + " is missing");
          }
          out = new BlobContent(v);
        }
        case "reuse_uri" -> throw new InvalidSpecException(
            where + ": reuse_uri must be resolved to a blob (create_id) before rendering");
        default -> throw new InvalidSpecException(where + ": unknown content kind " + k);
      }
    }
    if (out == null) {
      throw new InvalidSpecException(where + ": content must have one of inline, create_id");
    }
    return out;
  }

  // ------------------------------------------------------------------ structure

  private sealed interface Entity {}

  /** A leaf and how it is written. */
  private record Leaf(Part part, BlobSource source, boolean qp, boolean utf8) implements Entity {}

  private record Multi(String subtype, List<Entity> children) implements Entity {}

  /** Reads the parts that need checking and nests them; null when there is no part at all. */
  private Entity structure(Spec s, Map<String, BlobSource> blobs) throws InvalidSpecException, IOException {
    List<Entity> text = new ArrayList<>();
    for (Part p : s.text) {
      text.add(textLeaf(p, source(p, blobs)));
    }
    Entity root = text.isEmpty() ? null : text.get(0);
    if (!s.related.isEmpty()) {
      List<Entity> children = new ArrayList<>();
      children.add(root);
      for (Part p : s.related) {
        children.add(binaryLeaf(p, source(p, blobs)));
      }
      root = new Multi("related", children);
    }
    if (text.size() > 1) {
      List<Entity> children = new ArrayList<>();
      children.add(root);
      children.addAll(text.subList(1, text.size()));
      root = new Multi("alternative", children);
    }
    if (!s.files.isEmpty()) {
      List<Entity> children = new ArrayList<>();
      if (root != null) {
        children.add(root);
      }
      for (Part p : s.files) {
        children.add(binaryLeaf(p, source(p, blobs)));
      }
      root = children.size() == 1 ? children.get(0) : new Multi("mixed", children);
    }
    return root;
  }

  private static BlobSource source(Part p, Map<String, BlobSource> blobs) {
    return switch (p.content()) {
      case InlineContent c -> BlobSource.of(c.bytes());
      case BlobContent c -> blobs.get(c.id());
    };
  }

  /** Checks UTF-8 and picks quoted-printable or base64 by the size each would have. */
  private static Leaf textLeaf(Part p, BlobSource src) throws InvalidSpecException, IOException {
    TextCodecs.Utf8Validator utf8 = new TextCodecs.Utf8Validator();
    long[] stats = new long[2]; // canonical length, bytes QP must escape
    OutputStream counter = new OutputStream() {
      @Override
      public void write(int b) {
        stats[0]++;
        if (TextCodecs.QpOutputStream.escaped(b)) {
          stats[1]++;
        }
      }

      @Override
      public void write(byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
          write(b[i]);
        }
      }
    };
    try (InputStream in = src.open(); OutputStream crlf = new TextCodecs.CrlfOutputStream(counter)) {
      byte[] buf = new byte[16 * 1024];
      int n;
      while ((n = in.read(buf)) > 0) {
        utf8.update(buf, 0, n);
        crlf.write(buf, 0, n);
      }
    }
    if (!utf8.valid()) {
      throw new InvalidSpecException(p.where() + " is not valid UTF-8");
    }
    long qp = TextCodecs.QpOutputStream.estimate(stats[0], stats[1]);
    long b64 = (stats[0] + 2) / 3 * 4 * 78 / 76;
    return new Leaf(p, src, qp <= b64, true);
  }

  private static Leaf binaryLeaf(Part p, BlobSource src) throws IOException {
    boolean utf8 = false;
    if (p.contentType().startsWith("text/")) {
      TextCodecs.Utf8Validator v = new TextCodecs.Utf8Validator();
      try (InputStream in = src.open()) {
        byte[] buf = new byte[16 * 1024];
        int n;
        while ((n = in.read(buf)) > 0 && v.valid()) {
          v.update(buf, 0, n);
        }
      }
      utf8 = v.valid();
    }
    return new Leaf(p, src, false, utf8);
  }

  // ------------------------------------------------------------------ writing

  /** Writes the entity's Content-* fields, the blank line and its body. */
  private void writeEntity(Entity e, OutputStream out, boolean top) throws IOException {
    try {
      switch (e) {
        case Leaf l -> writeLeaf(l, out, top);
        case Multi m -> writeMulti(m, out, top);
      }
    } catch (InvalidSpecException x) {
      // every value was checked when the spec was parsed
      throw new IllegalStateException(x);
    }
  }

  private void writeLeaf(Leaf l, OutputStream out, boolean top) throws IOException, InvalidSpecException {
    Part p = l.part();
    StringBuilder h = new StringBuilder();
    h.append(HeaderText.fold("Content-Type", p.contentType() + (l.utf8() ? "; charset=utf-8" : "")));
    h.append("Content-Transfer-Encoding: ").append(l.qp() ? "quoted-printable" : "base64").append("\r\n");
    if (p.kind() != Kind.TEXT) {
      StringBuilder d = new StringBuilder(p.kind() == Kind.RELATED ? "inline" : "attachment");
      if (p.filename() != null) {
        for (String seg : HeaderText.parameter("filename", p.filename())) {
          d.append("; ").append(seg);
        }
      }
      h.append(HeaderText.fold("Content-Disposition", d.toString()));
    }
    if (p.contentId() != null && p.kind() != Kind.TEXT) {
      h.append(HeaderText.fold("Content-ID", "<" + p.contentId() + ">"));
    }
    h.append("\r\n");
    out.write(h.toString().getBytes(StandardCharsets.UTF_8));
    try (InputStream in = l.source().open()) {
      if (l.qp()) {
        TextCodecs.QpOutputStream qp = new TextCodecs.QpOutputStream(new NonClosing(out));
        try (OutputStream crlf = new TextCodecs.CrlfOutputStream(qp)) {
          in.transferTo(crlf);
        }
        qp.close();
        if (top && !qp.endedWithBreak()) {
          out.write(new byte[] {'=', '\r', '\n'}); // soft break: the message ends with CRLF
        }
        return;
      }
      long[] count = new long[1];
      OutputStream counted = new FilterOutputStream(new NonClosing(out)) {
        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          count[0] += len;
          out.write(b, off, len);
        }

        @Override
        public void write(int b) throws IOException {
          count[0]++;
          out.write(b);
        }
      };
      try (OutputStream b64 = Base64.getMimeEncoder(76, CRLF).wrap(counted)) {
        if (p.kind() == Kind.TEXT) {
          try (OutputStream crlf = new TextCodecs.CrlfOutputStream(b64)) {
            in.transferTo(crlf);
          }
        } else {
          in.transferTo(b64);
        }
      }
      if (top && count[0] > 0) {
        out.write(CRLF);
      }
    }
  }

  private void writeMulti(Multi m, OutputStream out, boolean top) throws IOException {
    String boundary = "=_koukan_" + randomToken(24);
    out.write(("Content-Type: multipart/" + m.subtype() + ";\r\n boundary=\"" + boundary + "\"\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII));
    byte[] open = ("--" + boundary + "\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] next = ("\r\n--" + boundary + "\r\n").getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < m.children().size(); i++) {
      out.write(i == 0 ? open : next);
      writeEntity(m.children().get(i), out, false);
    }
    out.write(("\r\n--" + boundary + "--").getBytes(StandardCharsets.US_ASCII));
    if (top) {
      out.write(CRLF);
    }
  }

  private String randomToken(int n) {
    StringBuilder b = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      b.append(ALNUM.charAt(random.nextInt(ALNUM.length())));
    }
    return b.toString();
  }

  /** Passes writes through; close only flushes (the caller owns the stream). */
  private static final class NonClosing extends FilterOutputStream {
    NonClosing(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      out.flush();
    }
  }
}
