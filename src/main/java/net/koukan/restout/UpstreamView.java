package net.koukan.restout;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import net.koukan.tx.Response;

/**
 * What the upstream transaction's read JSON (spec §2.2) tells the client, validated: the
 * responses so far, where to upload the body, and whether the upstream gave up. Unknown fields
 * are ignored; known fields of the wrong shape are an error. Response texts are cleaned of
 * control characters because they end up in SMTP replies.
 *
 * @param rcpts responses in upstream recipient order, stopping at the first without one
 * @param bodyUri {@code body.blob_status.uri}: where the raw body is PUT
 * @param builderUri {@code body.message_builder.uri}: a receiver that takes parsed JSON (§2.12)
 */
record UpstreamView(Response mail, List<Response> rcpts, Response data, String bodyUri,
    String builderUri, String finalReason, boolean cancelled) {

  static final UpstreamView EMPTY = new UpstreamView(null, List.of(), null, null, null, null, false);
  private static final int MAX_TEXT = 500;

  UpstreamView {
    rcpts = List.copyOf(rcpts);
  }

  /** The upstream will not answer anything more. */
  boolean ended() {
    return cancelled || finalReason != null;
  }

  static UpstreamView parse(JsonNode json, int rcptsSent) throws UpstreamException {
    if (json == null || !json.isObject()) {
      throw UpstreamException.protocol("upstream JSON is not an object");
    }
    Response mail = optionalResponse(json, "mail_response");
    Response data = optionalResponse(json, "data_response");
    List<Response> rcpts = new ArrayList<>();
    JsonNode rr = json.get("rcpt_response");
    if (rr != null) {
      if (!rr.isArray()) {
        throw UpstreamException.protocol("upstream rcpt_response is not an array");
      }
      if (rr.size() > rcptsSent) {
        throw UpstreamException.protocol("upstream has " + rr.size() + " rcpt responses for "
            + rcptsSent + " recipients");
      }
      for (JsonNode r : rr) {
        rcpts.add(response(r, "rcpt_response"));
      }
    }
    String bodyUri = null;
    String builderUri = null;
    JsonNode body = json.get("body");
    if (body != null) {
      if (!body.isObject()) {
        throw UpstreamException.protocol("upstream body is not an object");
      }
      bodyUri = optionalText(body.path("blob_status"), "uri", "body.blob_status.uri");
      builderUri = optionalText(body.path("message_builder"), "uri", "body.message_builder.uri");
    }
    String finalReason = optionalText(json, "final_attempt_reason", "final_attempt_reason");
    JsonNode c = json.get("cancelled");
    if (c != null && !c.isBoolean()) {
      throw UpstreamException.protocol("upstream cancelled is not a boolean");
    }
    return new UpstreamView(mail, rcpts, data, bodyUri, builderUri, finalReason,
        c != null && c.booleanValue());
  }

  /**
   * This view updated by a newer one. A response once seen is kept (a later attempt upstream may
   * show different ones; the client already acted on the first), and nothing seen is lost when a
   * newer answer leaves a field out.
   */
  UpstreamView merge(UpstreamView newer) {
    List<Response> r = new ArrayList<>(rcpts);
    for (int i = r.size(); i < newer.rcpts.size(); i++) {
      r.add(newer.rcpts.get(i));
    }
    return new UpstreamView(
        mail != null ? mail : newer.mail,
        r,
        data != null ? data : newer.data,
        newer.bodyUri != null ? newer.bodyUri : bodyUri,
        newer.builderUri != null ? newer.builderUri : builderUri,
        newer.finalReason != null ? newer.finalReason : finalReason,
        cancelled || newer.cancelled);
  }

  private static Response optionalResponse(JsonNode json, String field) throws UpstreamException {
    JsonNode n = json.get(field);
    return n == null ? null : response(n, field);
  }

  private static Response response(JsonNode n, String field) throws UpstreamException {
    if (!n.isObject() || !n.path("code").isIntegralNumber()) {
      throw UpstreamException.protocol("upstream " + field + " is not {code, message}");
    }
    int code = n.get("code").asInt();
    if (code < 200 || code > 599) {
      throw UpstreamException.protocol("upstream " + field + " has code " + code);
    }
    JsonNode m = n.get("message");
    if (m != null && !m.isTextual()) {
      throw UpstreamException.protocol("upstream " + field + ".message is not a string");
    }
    return new Response(code, m == null ? null : clean(m.asText()));
  }

  private static String optionalText(JsonNode parent, String key, String field) throws UpstreamException {
    JsonNode n = parent.get(key);
    if (n == null) {
      return null;
    }
    if (!n.isTextual()) {
      throw UpstreamException.protocol("upstream " + field + " is not a string");
    }
    return n.asText();
  }

  /** One line of at most 500 characters: control characters become spaces. */
  static String clean(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_TEXT));
    for (int i = 0; i < s.length() && b.length() < MAX_TEXT; i++) {
      char c = s.charAt(i);
      b.append(c < 0x20 || c == 0x7f ? ' ' : c);
    }
    return b.toString();
  }
}
