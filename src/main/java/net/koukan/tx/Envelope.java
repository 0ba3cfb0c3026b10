package net.koukan.tx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The stored envelope of a transaction: who sent it, the SMTP peers, MAIL FROM, the recipients
 * and the accumulated filter output. Fields are write-once; {@link #apply} adds a delta.
 */
public record Envelope(
    String sender,
    String tag,
    HostPort remoteHost,
    HostPort localHost,
    Mailbox mailFrom,
    List<Mailbox> rcptTo,
    ObjectNode smtpMeta,
    ObjectNode filterOutput) {

  public Envelope {
    rcptTo = List.copyOf(rcptTo);
  }

  public static Envelope create(String sender, String tag, TxDelta d) {
    if (d.rcptToListOffset() != null && d.rcptToListOffset() != 0) {
      throw new TxValidationException("rcpt_to_list_offset must be 0 on create");
    }
    return new Envelope(sender, tag, d.remoteHost(), d.localHost(), d.mailFrom(), d.rcptTo(),
        d.smtpMeta(), d.filterOutput());
  }

  /** Applies an update delta; setting a write-once field twice or a wrong list offset is a 400. */
  public Envelope apply(TxDelta d) {
    Mailbox mf = mailFrom;
    if (d.mailFrom() != null) {
      if (mailFrom != null) {
        throw new TxValidationException("mail_from is already set");
      }
      mf = d.mailFrom();
    }
    List<Mailbox> rcpts = rcptTo;
    if (!d.rcptTo().isEmpty()) {
      int offset = d.rcptToListOffset() == null ? 0 : d.rcptToListOffset();
      if (offset != rcptTo.size()) {
        throw new TxValidationException("rcpt_to_list_offset " + offset
            + " does not match the " + rcptTo.size() + " recipients present");
      }
      List<Mailbox> all = new ArrayList<>(rcptTo);
      all.addAll(d.rcptTo());
      rcpts = all;
    }
    ObjectNode fo = filterOutput;
    if (d.filterOutput() != null) {
      fo = filterOutput == null ? d.filterOutput().deepCopy() : filterOutput.deepCopy();
      if (filterOutput != null) {
        fo.setAll(d.filterOutput());
      }
    }
    return new Envelope(sender, tag, remoteHost, localHost, mf, rcpts, smtpMeta, fo);
  }

  public ObjectNode toStoredJson() {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    ObjectNode s = o.putObject("sender");
    s.put("name", sender);
    if (tag != null) {
      s.put("tag", tag);
    }
    if (remoteHost != null) {
      o.set("remote_host", TxJson.toJson(remoteHost));
    }
    if (localHost != null) {
      o.set("local_host", TxJson.toJson(localHost));
    }
    if (mailFrom != null) {
      o.set("mail_from", TxJson.toJson(mailFrom));
    }
    if (!rcptTo.isEmpty()) {
      ArrayNode a = o.putArray("rcpt_to");
      rcptTo.forEach(r -> a.add(TxJson.toJson(r)));
    }
    if (smtpMeta != null) {
      o.set("smtp_meta", smtpMeta);
    }
    if (filterOutput != null) {
      o.set("filter_output", filterOutput);
    }
    return o;
  }

  public static Envelope fromStoredJson(JsonNode o) {
    JsonNode s = o.get("sender");
    List<Mailbox> rcpts = new ArrayList<>();
    if (o.has("rcpt_to")) {
      for (JsonNode r : o.get("rcpt_to")) {
        rcpts.add(TxJson.mailbox(r, "rcpt_to"));
      }
    }
    return new Envelope(
        s.get("name").asText(),
        s.has("tag") ? s.get("tag").asText() : null,
        o.has("remote_host") ? TxJson.hostPort(o.get("remote_host"), "remote_host") : null,
        o.has("local_host") ? TxJson.hostPort(o.get("local_host"), "local_host") : null,
        o.has("mail_from") ? TxJson.mailbox(o.get("mail_from"), "mail_from") : null,
        rcpts,
        o.has("smtp_meta") ? (ObjectNode) o.get("smtp_meta") : null,
        o.has("filter_output") ? (ObjectNode) o.get("filter_output") : null);
  }

}
