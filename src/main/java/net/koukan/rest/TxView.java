package net.koukan.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import net.koukan.storage.BlobStatus;
import net.koukan.storage.BodyKind;
import net.koukan.storage.Storage;
import net.koukan.storage.TxRow;
import net.koukan.tx.Envelope;
import net.koukan.tx.TxJson;

/**
 * Renders a stored transaction in the read form of spec §2.2: write-once request fields as
 * placeholders {@code {}}, body as blob status, responses of the latest attempt.
 */
final class TxView {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private TxView() {}

  /**
   * Field order follows the reference serializer; {@code filter_output} is never echoed (the
   * reference's client accepts only an empty placeholder there).
   */
  static ObjectNode render(TxRow row, RestSettings s) {
    ObjectNode o = F.objectNode();
    Envelope env = row.envelope();
    ObjectNode r = row.responses() == null ? F.objectNode() : row.responses();
    if (env.remoteHost() != null) {
      o.set("remote_host", TxJson.toJson(env.remoteHost()));
    }
    if (env.localHost() != null) {
      o.set("local_host", TxJson.toJson(env.localHost()));
    }
    if (env.mailFrom() != null) {
      o.putObject("mail_from");
    }
    copy(r, o, "mail_response");
    if (!env.rcptTo().isEmpty()) {
      ArrayNode a = o.putArray("rcpt_to");
      env.rcptTo().forEach(x -> a.addObject());
    }
    JsonNode rr = r.get("rcpt_response");
    if (rr != null && rr.isArray()) {
      // in order, cut at the first recipient without a response yet; never null entries
      ArrayNode out = F.arrayNode();
      for (JsonNode x : rr) {
        if (x == null || x.isNull()) {
          break;
        }
        out.add(x);
      }
      if (!out.isEmpty()) {
        o.set("rcpt_response", out);
      }
    }
    copy(r, o, "data_response");
    if (row.attemptCount() > 0) {
      o.put("attempt_count", row.attemptCount());
    }
    o.set("body", body(row, s));
    if (row.notification()) {
      o.putObject("notification");
    }
    if (row.retry()) {
      o.putObject("retry");
    }
    if (row.cancelled()) {
      o.put("cancelled", true);
    }
    if (row.visibleFinalReason() != null) {
      o.put("final_attempt_reason", row.visibleFinalReason());
    }
    o.putObject("sender");
    return o;
  }

  private static void copy(ObjectNode from, ObjectNode to, String field) {
    JsonNode v = from.get(field);
    if (v != null && !v.isNull()) {
      to.set(field, v);
    }
  }

  private static ObjectNode body(TxRow row, RestSettings s) {
    ObjectNode body = F.objectNode();
    String base = "/transactions/" + row.restId();
    if (row.bodyKind() == BodyKind.MESSAGE_BUILDER) {
      ObjectNode statuses = body.putObject("message_builder").putObject("blob_status");
      for (BlobStatus b : row.blobs()) {
        statuses.set(b.restId(), status(b, s, base + "/blob/" + b.restId()));
      }
      return body;
    }
    BlobStatus raw = row.blobs().stream()
        .filter(b -> b.restId().equals(Storage.BODY)).findFirst().orElse(null);
    if (raw == null) {
      // incremental, before the first PUT: the reference names the service URI here
      ObjectNode st = body.putObject("blob_status");
      st.put("uri", s.serviceUri() + base + "/body");
      return body;
    }
    body.set("blob_status", status(raw, s, base + "/body"));
    return body;
  }

  private static ObjectNode status(BlobStatus b, RestSettings s, String path) {
    ObjectNode st = F.objectNode();
    if (b.finalized()) {
      st.put("uri", s.serviceUri() + path);
      st.put("finalized", true);
    } else {
      st.put("uri", s.sessionUri() + path);
    }
    return st;
  }
}
