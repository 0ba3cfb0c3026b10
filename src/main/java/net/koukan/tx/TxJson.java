package net.koukan.tx;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses request JSON into {@link TxDelta} with the reference's validity rules (spec §2.2):
 * unknown fields, fields not valid for the operation, nulls and empty arrays are rejected;
 * and renders the value types back to JSON.
 */
public final class TxJson {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** The one ObjectMapper for wire and stored JSON. Thread-safe once configured. */
  public static final ObjectMapper MAPPER = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  /** Which request is being parsed. */
  public enum Op { CREATE, UPDATE }

  private static final Set<String> CREATE_FIELDS = Set.of("remote_host", "local_host", "mail_from",
      "rcpt_to", "body", "smtp_meta", "sender", "filter_output");
  private static final Set<String> UPDATE_FIELDS = Set.of("mail_from", "rcpt_to",
      "rcpt_to_list_offset", "body", "filter_output");
  private static final Set<String> BUILDER_KEYS = Set.of("headers", "text_body",
      "related_attachments", "file_attachments");
  private static final List<String> PART_LISTS = List.of("text_body", "related_attachments",
      "file_attachments");

  private TxJson() {}

  public static TxDelta parse(JsonNode json, Op op) {
    if (json == null || !json.isObject()) {
      throw new TxValidationException("request body must be a JSON object");
    }
    Set<String> allowed = op == Op.CREATE ? CREATE_FIELDS : UPDATE_FIELDS;
    for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String k = e.getKey();
      if (e.getValue().isNull()) {
        throw new TxValidationException("field " + k + " must not be null");
      }
      if (!allowed.contains(k)) {
        if (k.equals("retry") || k.equals("notification")) {
          throw new TxValidationException(
              "field " + k + " is set by the sender configuration, not by the request");
        }
        if (CREATE_FIELDS.contains(k) || UPDATE_FIELDS.contains(k)) {
          throw new TxValidationException("field " + k + " is not valid in "
              + (op == Op.CREATE ? "create" : "update"));
        }
        throw new TxValidationException("unknown field " + k);
      }
    }
    HostPort remote = json.has("remote_host") ? hostPort(json.get("remote_host"), "remote_host") : null;
    HostPort local = json.has("local_host") ? hostPort(json.get("local_host"), "local_host") : null;
    Mailbox mailFrom = json.has("mail_from") ? mailbox(json.get("mail_from"), "mail_from") : null;
    List<Mailbox> rcpts = new ArrayList<>();
    if (json.has("rcpt_to")) {
      JsonNode r = json.get("rcpt_to");
      if (!r.isArray()) {
        throw new TxValidationException("rcpt_to must be an array");
      }
      if (r.isEmpty()) {
        throw new TxValidationException("rcpt_to must not be empty");
      }
      for (int i = 0; i < r.size(); i++) {
        rcpts.add(mailbox(r.get(i), "rcpt_to[" + i + "]"));
      }
    }
    Integer offset = null;
    if (json.has("rcpt_to_list_offset")) {
      JsonNode o = json.get("rcpt_to_list_offset");
      if (!o.isIntegralNumber() || !o.canConvertToInt() || o.intValue() < 0) {
        throw new TxValidationException("rcpt_to_list_offset must be a non-negative integer");
      }
      if (rcpts.isEmpty()) {
        throw new TxValidationException("rcpt_to_list_offset without rcpt_to");
      }
      offset = o.intValue();
    }
    JsonNode bodyJson = json.get("body");
    // {"body": {}} means no body, as in the reference
    BodySpec body = bodyJson != null && !(bodyJson.isObject() && bodyJson.isEmpty())
        ? body(bodyJson) : null;
    ObjectNode smtpMeta = json.has("smtp_meta") ? object(json.get("smtp_meta"), "smtp_meta") : null;
    String tag = null;
    if (json.has("sender")) {
      JsonNode s = object(json.get("sender"), "sender");
      for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
        String k = it.next();
        if (!k.equals("name") && !k.equals("tag")) {
          throw new TxValidationException("sender accepts only name and tag, not " + k);
        }
      }
      if (s.has("name") && !s.get("name").isTextual()) {
        throw new TxValidationException("sender.name must be a string");
      }
      if (s.has("tag")) {
        if (!s.get("tag").isTextual()) {
          throw new TxValidationException("sender.tag must be a string");
        }
        tag = s.get("tag").asText();
      }
    }
    ObjectNode filterOutput = json.has("filter_output")
        ? object(json.get("filter_output"), "filter_output") : null;
    return new TxDelta(remote, local, mailFrom, rcpts, offset, body, smtpMeta, tag, filterOutput);
  }

  public static HostPort hostPort(JsonNode n, String field) {
    if (!n.isArray() || n.size() != 2 || !n.get(0).isTextual() || !n.get(1).isIntegralNumber()
        || !n.get(1).canConvertToInt()) {
      throw new TxValidationException(field + " must be [host, port]");
    }
    int port = n.get(1).intValue();
    if (port < 0 || port > 65535) {
      throw new TxValidationException(field + " port out of range");
    }
    return new HostPort(n.get(0).asText(), port);
  }

  public static Mailbox mailbox(JsonNode n, String field) {
    if (!n.isObject()) {
      throw new TxValidationException(field + " must be an object {\"m\": address}");
    }
    JsonNode m = n.get("m");
    if (m == null || !m.isTextual()) {
      throw new TxValidationException(field + ".m must be a string");
    }
    String addr = m.asText();
    if (addr.length() > 2048 || addr.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw new TxValidationException(field + ".m is not a valid mailbox");
    }
    List<EsmtpParam> params = new ArrayList<>();
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!k.equals("m") && !k.equals("e")) {
        throw new TxValidationException("unknown field " + field + "." + k);
      }
    }
    JsonNode e = n.get("e");
    if (e != null) {
      if (!e.isArray() || e.isEmpty()) {
        throw new TxValidationException(field + ".e must be a non-empty array");
      }
      for (JsonNode p : e) {
        if (!p.isObject() || !p.has("k") || !p.get("k").isTextual()) {
          throw new TxValidationException(field + ".e entries must be {\"k\": keyword, \"p\": value}");
        }
        for (Iterator<String> it = p.fieldNames(); it.hasNext(); ) {
          String k = it.next();
          if (!k.equals("k") && !k.equals("p")) {
            throw new TxValidationException("unknown field " + field + ".e." + k);
          }
        }
        JsonNode v = p.get("p");
        if (v != null && !v.isTextual()) {
          throw new TxValidationException(field + ".e.p must be a string");
        }
        String keyword = p.get("k").asText();
        if (!ESMTP_KEYWORD.matcher(keyword).matches()) {
          throw new TxValidationException(field + ".e.k is not an ESMTP keyword: " + keyword);
        }
        if (v != null && !validEsmtpValue(v.asText())) {
          throw new TxValidationException(field + ".e.p is not a valid ESMTP value");
        }
        params.add(new EsmtpParam(keyword, v == null ? null : v.asText()));
      }
    }
    return new Mailbox(addr, params);
  }

  /** RFC 5321 esmtp-keyword. */
  private static final java.util.regex.Pattern ESMTP_KEYWORD =
      java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,63}");

  /**
   * RFC 5321 esmtp-value (printable US-ASCII except '=' and SP) plus RFC 6531's UTF-8: never a
   * control character, so nothing here can break an SMTP command line.
   */
  static boolean validEsmtpValue(String v) {
    if (v.isEmpty() || v.length() > 1000) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c <= 0x20 || c == '=' || c == 0x7f || (c >= 0x80 && c <= 0x9f)) {
        return false;
      }
    }
    return true;
  }

  private static ObjectNode object(JsonNode n, String field) {
    if (!n.isObject()) {
      throw new TxValidationException(field + " must be an object");
    }
    return (ObjectNode) n;
  }

  private static String onlyKey(JsonNode n, String field) {
    if (!n.isObject() || n.size() != 1) {
      throw new TxValidationException(field + " must be an object with exactly one key");
    }
    return n.fieldNames().next();
  }

  static BodySpec body(JsonNode n) {
    String kind = onlyKey(n, "body");
    JsonNode v = n.get(kind);
    return switch (kind) {
      case "inline" -> {
        if (!v.isTextual()) {
          throw new TxValidationException("body.inline must be a string");
        }
        yield new BodySpec.Inline(v.asText().getBytes(StandardCharsets.UTF_8));
      }
      case "reuse_uri" -> {
        if (!v.isTextual()) {
          throw new TxValidationException("body.reuse_uri must be a string");
        }
        BlobRef ref = BlobRef.parse(v.asText());
        if (!ref.isBody()) {
          throw new TxValidationException("body.reuse_uri must name a transaction body");
        }
        yield new BodySpec.Reuse(ref);
      }
      case "message_builder" -> builder(v);
      default -> throw new TxValidationException("unknown body kind " + kind);
    };
  }

  private static BodySpec.Builder builder(JsonNode spec) {
    ObjectNode in = object(spec, "body.message_builder");
    ObjectNode out = in.deepCopy();
    for (Iterator<String> it = in.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!BUILDER_KEYS.contains(k)) {
        throw new TxValidationException("unknown field body.message_builder." + k);
      }
    }
    if (in.has("headers") && !in.get("headers").isArray()) {
      throw new TxValidationException("body.message_builder.headers must be an array");
    }
    List<BodySpec.BuilderBlob> blobs = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    int position = 0; // the reference names inline blobs by position over all parts
    for (String list : PART_LISTS) {
      JsonNode parts = in.get(list);
      if (parts == null) {
        continue;
      }
      if (!parts.isArray()) {
        throw new TxValidationException("body.message_builder." + list + " must be an array");
      }
      ArrayNode outParts = (ArrayNode) out.get(list);
      for (int i = 0; i < parts.size(); i++) {
        String where = "body.message_builder." + list + "[" + i + "]";
        int partIndex = position++;
        JsonNode part = parts.get(i);
        if (!part.isObject() || !part.has("content_type") || !part.get("content_type").isTextual()) {
          throw new TxValidationException(where + " needs a string content_type");
        }
        JsonNode content = part.get("content");
        if (content == null || !content.isObject()) {
          throw new TxValidationException(where + ".content must be an object");
        }
        String kind = null;
        for (Iterator<String> it = content.fieldNames(); it.hasNext(); ) {
          String k = it.next();
          if (k.equals("filename")) {
            continue; // a convention of the reference's example sender; not part of the content
          }
          if (kind != null) {
            throw new TxValidationException(where + ".content must have exactly one of inline, create_id, reuse_uri");
          }
          kind = k;
        }
        if (kind == null) {
          throw new TxValidationException(where + ".content must have one of inline, create_id, reuse_uri");
        }
        JsonNode v = content.get(kind);
        if (!v.isTextual()) {
          throw new TxValidationException(where + ".content." + kind + " must be a string");
        }
        String id;
        BodySpec.Source source;
        switch (kind) {
          case "inline" -> {
            id = "inline" + partIndex;
            source = new BodySpec.InlineContent(v.asText().getBytes(StandardCharsets.UTF_8));
          }
          case "create_id" -> {
            id = v.asText();
            if (!validBlobId(id)) {
              throw new TxValidationException(where + ".content.create_id is not a valid blob id");
            }
            source = new BodySpec.Upload();
          }
          case "reuse_uri" -> {
            BlobRef ref = BlobRef.parse(v.asText());
            if (ref.isBody()) {
              throw new TxValidationException(where + ".content.reuse_uri must name a blob");
            }
            id = ref.blobId();
            source = new BodySpec.ReuseBlob(ref);
          }
          default -> throw new TxValidationException(where + ".content has unknown kind " + kind);
        }
        if (!ids.add(id)) {
          throw new TxValidationException("duplicate blob id " + id + " in message_builder");
        }
        blobs.add(new BodySpec.BuilderBlob(id, source));
        ObjectNode outContent = F.objectNode();
        outContent.put("create_id", id);
        ((ObjectNode) outParts.get(i)).set("content", outContent);
      }
    }
    return new BodySpec.Builder(out, blobs);
  }

  /** Blob ids appear in URL paths: keep them to a safe alphabet. */
  public static boolean validBlobId(String id) {
    if (id.isEmpty() || id.length() > 128 || id.startsWith("__")) {
      return false;
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!(Character.isLetterOrDigit(c) && c < 128) && c != '-' && c != '_' && c != '.') {
        return false;
      }
    }
    return true;
  }

  public static ArrayNode toJson(HostPort hp) {
    ArrayNode a = F.arrayNode();
    a.add(hp.host());
    a.add(hp.port());
    return a;
  }

  public static ObjectNode toJson(Mailbox m) {
    ObjectNode o = F.objectNode();
    o.put("m", m.address());
    if (!m.params().isEmpty()) {
      ArrayNode e = o.putArray("e");
      for (EsmtpParam p : m.params()) {
        ObjectNode po = e.addObject();
        po.put("k", p.keyword());
        if (p.value() != null) {
          po.put("p", p.value());
        }
      }
    }
    return o;
  }

  public static ObjectNode toJson(Response r) {
    ObjectNode o = F.objectNode();
    o.put("code", r.code());
    o.put("message", r.message());
    return o;
  }

  public static Response response(JsonNode n) {
    return new Response(n.get("code").asInt(), n.has("message") ? n.get("message").asText() : null);
  }
}
