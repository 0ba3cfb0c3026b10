package net.koukan.mime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.koukan.filter.BlobSource;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue #5: what {@link MessageBuilder} writes parses with a second, independent MIME parser —
 * Python's stdlib {@code email} package with {@code policy=email.policy.default} — into the
 * same parts (same tree, same order, same decoded bytes, same names, charsets and Content-IDs)
 * with no defect, and non-ASCII subjects and display names round-trip.
 *
 * <p>Each case is declared once (headers and parts); the spec handed to the builder and the JSON
 * Python must print are both derived from the declaration. Python missing: the test is skipped,
 * except with {@code CI=true}, where it fails.
 */
class PythonEmailInteropTest {
  static final Path PYTHON = Path.of("/usr/bin/python3");
  static final ObjectMapper JSON = new ObjectMapper();
  static final JsonNodeFactory F = JsonNodeFactory.instance;

  /**
   * The peer: reads one message on stdin, prints what Python's email package makes of it. Payloads
   * are decoded before defects are collected (decoding base64 / quoted-printable records its own
   * defects on the part).
   */
  static final String PEER = """
      import base64, hashlib, json, re, sys
      from email import policy
      from email.header import decode_header, make_header
      from email.parser import BytesParser
      from email.utils import getaddresses

      msg = BytesParser(policy=policy.default).parsebytes(sys.stdin.buffer.read())

      def addresses(name):
          h = msg[name]
          if h is None:
              return None
          return [{"display_name": a.display_name, "address": a.addr_spec} for a in h.addresses]

      def legacy_addresses(name):
          # the package's older API on the unfolded raw field: getaddresses, then RFC 2047
          # decoding of each display name with decode_header / make_header
          raw = [re.sub(r"\\r?\\n(?=[ \\t])", "", v) for k, v in msg.raw_items() if k.lower() == name]
          return [{"display_name": str(make_header(decode_header(n))), "address": a}
                  for n, a in getaddresses(raw)]

      tree, leaves, defects = [], [], []

      def walk(part, depth, where):
          tree.append("  " * depth + part.get_content_type())
          if part.is_multipart():
              for i, sub in enumerate(part.iter_parts()):
                  walk(sub, depth + 1, "%s/%d" % (where, i))
          else:
              raw = part.get_payload(decode=True)
              cid = part["content-id"]
              leaf = {
                  "content_type": part.get_content_type(),
                  "charset": part.get_content_charset(),
                  "disposition": part.get_content_disposition(),
                  "filename": part.get_filename(),
                  "content_id": None if cid is None else str(cid).strip().strip("<>"),
                  "sha256": hashlib.sha256(raw).hexdigest(),
                  "base64": base64.b64encode(raw).decode("ascii"),
              }
              if part.get_content_maintype() == "text":
                  leaf["text"] = part.get_content()
              leaves.append(leaf)
          defects.extend("%s: %s %s" % (where, type(d).__name__, d) for d in part.defects)
          for name, value in part.items():
              defects.extend("%s %s: %s %s" % (where, name, type(d).__name__, d)
                             for d in getattr(value, "defects", ()))

      walk(msg, 0, "message")
      # cpython gh-128110 (fixed in later releases): in a display name, the white space between
      # two adjacent encoded-words is kept although RFC 2047 6.2 says it is to be ignored
      probe = BytesParser(policy=policy.default).parsebytes(
          b"From: =?utf-8?q?a_?= =?utf-8?q?b?= <x@y.example>\\r\\n\\r\\n")
      known_bugs = [] if probe["from"].addresses[0].display_name == "a b" else ["gh-128110"]
      plain = msg.get_body(preferencelist=("plain",))
      html = msg.get_body(preferencelist=("html",))
      json.dump({
          "subject": None if msg["subject"] is None else str(msg["subject"]),
          "from": addresses("from"),
          "to": addresses("to"),
          "legacy_from": legacy_addresses("from"),
          "legacy_to": legacy_addresses("to"),
          "date": None if msg["date"] is None else msg["date"].datetime.isoformat(),
          "message_id": None if msg["message-id"] is None else str(msg["message-id"]),
          "x_headers": [[k, str(v)] for k, v in msg.items() if k.lower().startswith("x-")],
          "tree": tree,
          "leaves": leaves,
          "plain_body": None if plain is None else plain.get_content(),
          "html_body": None if html is None else html.get_content(),
          "attachments": [a.get_filename() for a in msg.iter_attachments()],
          "defects": defects,
          "known_bugs": known_bugs,
      }, sys.stdout, ensure_ascii=True)
      """;

  @BeforeAll
  static void requirePython() {
    boolean ci = "true".equals(System.getenv("CI"));
    if (!Files.isExecutable(PYTHON)) {
      if (ci) {
        Assertions.fail(PYTHON + " is required on CI (CI=true)");
      }
      Assumptions.abort(PYTHON + " is not installed; skipping");
    }
    try {
      run(List.of(PYTHON.toString(), "-I", "-c", "import email.policy, email.parser, json, hashlib"), new byte[0]);
    } catch (AssertionError e) {
      if (ci) {
        throw e;
      }
      Assumptions.abort("python3 without its email package: " + e.getMessage());
    }
  }

  // ------------------------------------------------------------------ declarations

  enum Kind { TEXT, RELATED, FILE }

  /** One part of a spec; {@code blob}: given as a create_id blob rather than inline text. */
  record Part(Kind kind, String type, byte[] bytes, String filename, String contentId, boolean blob) {}

  /** A mailbox as the spec gives it, and the address Python must read back (A-labels). */
  record Addr(String displayName, String address, String expectedAddress) {}

  record Case(String name, String subject, List<Addr> from, List<Addr> to, Instant date, int tzOffset,
      String messageId, List<String[]> otherHeaders, List<Part> parts, List<String> tree) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Part text(String type, String content) {
    return new Part(Kind.TEXT, type, content.getBytes(StandardCharsets.UTF_8), null, null, false);
  }

  static Part related(String type, String contentId, byte[] bytes, String filename) {
    return new Part(Kind.RELATED, type, bytes, filename, contentId, true);
  }

  static Part file(String type, String filename, byte[] bytes) {
    return new Part(Kind.FILE, type, bytes, filename, null, true);
  }

  static Addr addr(String displayName, String address) {
    return new Addr(displayName, address, address);
  }

  /** Deterministic "binary" bytes: every byte value, in a scrambled order. */
  static byte[] binary(int length, int seed) {
    byte[] b = new byte[length];
    long x = seed;
    for (int i = 0; i < length; i++) {
      x = x * 6364136223846793005L + 1442695040888963407L;
      b[i] = (byte) (i < 256 ? i : x >>> 56);
    }
    return b;
  }

  static final byte[] PNG = binary(3000, 1);
  static final byte[] GIF = binary(43, 2);
  static final byte[] PDF = binary(20_000, 3);
  static final byte[] ZIP = binary(777, 4);
  static final Instant DATE = Instant.parse("2024-03-06T18:42:31Z");

  /** Text a quoted-printable encoder must be careful with. */
  static final String TRICKY_QP = "Grüße, Zoë!\n"
      + "Trailing spaces   \n"
      + "Trailing tab\t\n"
      + "From the start of a line\n"
      + ".\n"
      + "a=b, 50% off, 100 =?not an encoded word?= here\n"
      + "A long line: " + "lorem ipsum dolor sit amet ".repeat(12) + "end\n"
      + "no final newline";

  static List<Case> cases() {
    String longSubject = "Re: Fwd: " + "Zoë Ångström und 山田太郎 besprechen das Projekt 🚀 — two  spaces, "
        .repeat(4) + "see https://example.com/" + "a".repeat(120) + " ok";
    List<Addr> manyTo = new ArrayList<>();
    manyTo.add(addr("山田太郎", "taro@example.jp"));
    manyTo.add(addr("O'Brien, Bob \"the builder\"", "bob@example.com"));
    manyTo.add(addr("=?not an encoded word?=", "literal@example.com"));
    manyTo.add(new Addr("Bücherei", "info@bücher.example", "info@xn--bcher-kva.example"));
    manyTo.add(addr(null, "plain@example.org"));
    for (int i = 0; i < 8; i++) {
      manyTo.add(addr("Recipient Number " + i + " with a Rather Long Name ✉", "rcpt" + i + "@example.net"));
    }
    return List.of(
        new Case("text only, non-ASCII subject and names, quoted-printable",
            "Grüße aus Zürich — Zoë Ångström sagt hallo",
            List.of(addr("Zoë Ångström", "zoe@example.com")),
            List.of(addr("山田太郎", "taro@example.jp")),
            DATE, -8 * 3600, "text-only.1@example.com", List.of(),
            List.of(text("text/plain", TRICKY_QP)),
            List.of("text/plain")),
        new Case("text only, Japanese text (base64), emoji subject",
            "パーティー 🎉 tonight 🥳🥳",
            List.of(addr("Émile 😀 Zola", "emile@example.fr")),
            List.of(addr("山田太郎", "taro@example.jp"), addr("Zoë Ångström", "zoe@example.com")),
            DATE, 9 * 3600, "japanese.2@example.jp", List.of(),
            List.of(text("text/plain", "こんにちは、山田です。\n来週の会議についてご連絡します。\n".repeat(5))),
            List.of("text/plain")),
        new Case("text and html alternatives",
            "Alternatives: plain and <html>",
            List.of(addr("Zoë Ångström", "zoe@example.com")),
            List.of(addr("O'Brien, Bob \"the builder\"", "bob@example.com")),
            DATE, 3600, "alt.3@example.com", List.of(),
            List.of(text("text/plain", "Hello Bob,\n\nsee the *html* version.\n"),
                text("text/html", "<html><body><p>Hello <b>Bob</b>, grüß dich 👋</p></body></html>\n")),
            List.of("multipart/alternative", "  text/plain", "  text/html")),
        new Case("related inline images with Content-ID",
            "Logo inline",
            List.of(addr("Zoë Ångström", "zoe@example.com")),
            List.of(addr(null, "bob@example.com")),
            DATE, 0, "related.4@example.com", List.of(),
            List.of(text("text/html", "<p><img src=\"cid:logo.123@koukan.example\"> und "
                    + "<img src=\"cid:spacer\"></p>"),
                related("image/png", "logo.123@koukan.example", PNG, "logo.png"),
                related("image/gif", "spacer", GIF, null)),
            List.of("multipart/related", "  text/html", "  image/png", "  image/gif")),
        new Case("mixed with attachments: binary, non-ASCII and long file names, text files",
            "Anhänge / 添付ファイル",
            List.of(addr("山田太郎", "taro@example.jp")),
            List.of(addr("Zoë Ångström", "zoe@example.com")),
            DATE, -5 * 3600 - 30 * 60, "mixed.5@example.jp", List.of(),
            List.of(text("text/plain", "See the attachments.\n"),
                file("application/pdf", "Ångström résumé 2024.pdf", PDF),
                file("application/zip", "山田太郎の非常に長い報告書ファイル名_2024年度_第3四半期_最終版_確認済み.zip", ZIP),
                file("text/csv", "daten.csv", "Name;Ort\nZoë;Zürich\n山田;東京\n".getBytes(StandardCharsets.UTF_8)),
                file("text/plain", "latin1.txt", "caf\u00e9 na\u00efve\n".getBytes(StandardCharsets.ISO_8859_1)),
                file("application/octet-stream", "empty.bin", new byte[0]),
                file("application/octet-stream", null, binary(100, 5))),
            List.of("multipart/mixed", "  text/plain", "  application/pdf", "  application/zip",
                "  text/csv", "  text/plain", "  application/octet-stream", "  application/octet-stream")),
        new Case("long headers that need folding",
            longSubject,
            List.of(new Addr("Ünïcödé Sénder with a very long display name that goes on and on 🚀",
                "sender@bücher.example", "sender@xn--bcher-kva.example")),
            manyTo,
            DATE, 12 * 3600 + 45 * 60, "long-headers.6@example.com",
            List.<String[]>of(new String[] {"X-Long-Ascii", ("folding is needed for this value; ").repeat(10).strip()},
                new String[] {"X-Long-Mixed", "Ärger mit Umlauten ".repeat(8).strip()}),
            List.of(text("text/plain", "short\n")),
            List.of("text/plain")),
        new Case("everything at once",
            "Zoë, 山田太郎 and 🎉 in one message",
            List.of(addr("Zoë Ångström", "zoe@example.com")),
            List.of(addr("山田太郎", "taro@example.jp"), addr("Émile 😀 Zola", "emile@example.fr")),
            DATE, 2 * 3600, "kitchen-sink.7@example.com", List.of(),
            List.of(text("text/html", "<p>Hallo <img src=\"cid:logo@koukan.example\"> 山田さん</p>\n"),
                text("text/plain", TRICKY_QP),
                related("image/png", "logo@koukan.example", PNG, "logo.png"),
                related("image/gif", "spacer.1@x", GIF, "spacer.gif"),
                file("application/pdf", "Ångström résumé.pdf", PDF),
                file("text/csv", "山田.csv", "a,b\n1,2\n".getBytes(StandardCharsets.UTF_8))),
            List.of("multipart/mixed", "  multipart/alternative", "    multipart/related", "      text/html",
                "      image/png", "      image/gif", "    text/plain", "  application/pdf", "  text/csv")));
  }

  // ------------------------------------------------------------------ the test

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void pythonReadsWhatTheSpecSays(Case c) throws Exception {
    Map<String, BlobSource> blobs = new LinkedHashMap<>();
    ObjectNode spec = spec(c, blobs);
    byte[] message = MimeTesting.builder().render(spec, blobs);
    ObjectNode python = (ObjectNode) JSON.readTree(run(List.of(PYTHON.toString(), "-I", "-c", PEER), message));
    ObjectNode expected = expected(c);
    JsonNode bugs = python.remove("known_bugs");
    if (bugs.toString().contains("gh-128110")) {
      // this Python keeps the white space between adjacent encoded-words of a display name
      // (cpython gh-128110; RFC 2047 6.2 says to ignore it), so a name the builder had to split
      // into several words reads with a doubled space: here the modern API's names are compared
      // with runs of white space made one; legacy_from / legacy_to stay exact
      for (ObjectNode o : List.of(python, expected)) {
        for (String list : List.of("from", "to")) {
          for (JsonNode a : o.get(list)) {
            ((ObjectNode) a).put("display_name", a.get("display_name").asText().replaceAll("\\s+", " "));
          }
        }
      }
    }
    assertThat(python).as("Python's view of\n%s", MimeTesting.head(message)).isEqualTo(expected);
  }

  // ------------------------------------------------------------------ spec and expectation

  static ObjectNode spec(Case c, Map<String, BlobSource> blobs) {
    ObjectNode spec = F.objectNode();
    ArrayNode headers = spec.putArray("headers");
    headers.addArray().add("from").add(addresses(c.from()));
    headers.addArray().add("to").add(addresses(c.to()));
    headers.addArray().add("subject").add(c.subject());
    headers.addArray().add("date").addObject().put("unix_secs", c.date().getEpochSecond())
        .put("tz_offset", c.tzOffset());
    headers.addArray().add("message-id").addArray().add(c.messageId());
    for (String[] h : c.otherHeaders()) {
      headers.addArray().add(h[0]).add(h[1]);
    }
    for (Part p : c.parts()) {
      String list = switch (p.kind()) {
        case TEXT -> "text_body";
        case RELATED -> "related_attachments";
        case FILE -> "file_attachments";
      };
      ArrayNode a = spec.has(list) ? (ArrayNode) spec.get(list) : spec.putArray(list);
      ObjectNode o = a.addObject();
      o.put("content_type", p.type());
      if (p.blob()) {
        String id = "blob" + blobs.size();
        blobs.put(id, BlobSource.of(p.bytes()));
        o.putObject("content").put("create_id", id);
      } else {
        o.putObject("content").put("inline", new String(p.bytes(), StandardCharsets.UTF_8));
      }
      if (p.filename() != null) {
        o.put("filename", p.filename());
      }
      if (p.contentId() != null) {
        o.put("content_id", p.contentId());
      }
    }
    return spec;
  }

  static ArrayNode addresses(List<Addr> list) {
    ArrayNode a = F.arrayNode();
    for (Addr x : list) {
      ObjectNode o = a.addObject().put("address", x.address());
      if (x.displayName() != null) {
        o.put("display_name", x.displayName());
      }
    }
    return a;
  }

  /** What Python must print: derived from the declaration and the rules of spec §3.1. */
  static ObjectNode expected(Case c) {
    ObjectNode e = F.objectNode();
    e.put("subject", c.subject());
    e.set("from", expectedAddresses(c.from()));
    e.set("to", expectedAddresses(c.to()));
    e.set("legacy_from", expectedAddresses(c.from()));
    e.set("legacy_to", expectedAddresses(c.to()));
    e.put("date", DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ssxxx")
        .format(c.date().atOffset(ZoneOffset.ofTotalSeconds(c.tzOffset()))));
    e.put("message_id", "<" + c.messageId() + ">");
    ArrayNode x = e.putArray("x_headers");
    c.otherHeaders().forEach(h -> x.addArray().add(h[0]).add(h[1]));
    ArrayNode tree = e.putArray("tree");
    c.tree().forEach(tree::add);
    List<Part> text = c.parts().stream().filter(p -> p.kind() == Kind.TEXT).toList();
    List<Part> related = c.parts().stream().filter(p -> p.kind() == Kind.RELATED).toList();
    List<Part> files = c.parts().stream().filter(p -> p.kind() == Kind.FILE).toList();
    // document order: mixed[alternative[related[text0, related…], text1…], files…]
    List<Part> order = new ArrayList<>();
    order.add(text.get(0));
    order.addAll(related);
    order.addAll(text.subList(1, text.size()));
    order.addAll(files);
    ArrayNode leaves = e.putArray("leaves");
    for (Part p : order) {
      leaves.add(leaf(p));
    }
    e.set("plain_body", body(text, "text/plain"));
    e.set("html_body", body(text, "text/html"));
    ArrayNode attachments = e.putArray("attachments");
    String root = c.tree().get(0);
    List<Part> attached = root.equals("multipart/mixed") ? files
        : root.equals("multipart/related") ? related : List.of();
    attached.forEach(p -> attachments.add(p.filename()));
    e.putArray("defects");
    return e;
  }

  static ArrayNode expectedAddresses(List<Addr> list) {
    ArrayNode a = F.arrayNode();
    for (Addr x : list) {
      a.addObject().put("display_name", x.displayName() == null ? "" : x.displayName())
          .put("address", x.expectedAddress());
    }
    return a;
  }

  /** A text_body part's content as it must decode: UTF-8, every line end CRLF. */
  static byte[] canonical(byte[] text) {
    String s = new String(text, StandardCharsets.UTF_8);
    return s.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
  }

  static JsonNode body(List<Part> text, String type) {
    return text.stream().filter(p -> p.type().equals(type)).findFirst()
        .<JsonNode>map(p -> F.textNode(new String(canonical(p.bytes()), StandardCharsets.UTF_8)))
        .orElse(F.nullNode());
  }

  static ObjectNode leaf(Part p) {
    byte[] bytes = p.kind() == Kind.TEXT ? canonical(p.bytes()) : p.bytes();
    boolean isText = p.type().startsWith("text/");
    boolean utf8 = isText && validUtf8(bytes);
    ObjectNode o = F.objectNode();
    o.put("content_type", p.type());
    o.put("charset", utf8 ? "utf-8" : null);
    o.put("disposition", switch (p.kind()) {
      case TEXT -> null;
      case RELATED -> "inline";
      case FILE -> "attachment";
    });
    o.put("filename", p.filename());
    o.put("content_id", p.contentId());
    o.put("sha256", sha256(bytes));
    o.put("base64", Base64.getEncoder().encodeToString(bytes));
    if (isText) {
      // Python's get_content(): the declared charset, else ASCII with one U+FFFD per bad byte
      o.put("text", new String(bytes, utf8 ? StandardCharsets.UTF_8 : StandardCharsets.US_ASCII));
    }
    return o;
  }

  static boolean validUtf8(byte[] b) {
    try {
      StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(b));
      return true;
    } catch (java.nio.charset.CharacterCodingException e) {
      return false;
    }
  }

  static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------ the peer process

  /** Runs a command to completion (60 s at most) and returns its stdout; fails on a non-zero exit. */
  static byte[] run(List<String> cmd, byte[] stdin) {
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.environment().put("PYTHONIOENCODING", "utf-8");
      Process p = pb.start();
      CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
      CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
      try (var in = p.getOutputStream()) {
        in.write(stdin);
      }
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        Assertions.fail("timed out: " + cmd.get(0));
      }
      if (p.exitValue() != 0) {
        Assertions.fail(cmd.get(0) + " exited " + p.exitValue() + ": "
            + new String(err.join(), StandardCharsets.UTF_8));
      }
      return out.join();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      return new byte[0];
    }
  }
}
