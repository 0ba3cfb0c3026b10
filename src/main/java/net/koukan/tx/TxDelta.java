package net.koukan.tx;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The fields of a create (POST) or update (PATCH) request. Absent fields are null; lists are
 * empty when absent. {@code senderTag} is the optional {@code sender.tag} of a create.
 */
public record TxDelta(
    HostPort remoteHost,
    HostPort localHost,
    Mailbox mailFrom,
    List<Mailbox> rcptTo,
    Integer rcptToListOffset,
    BodySpec body,
    ObjectNode smtpMeta,
    String senderTag,
    ObjectNode filterOutput) {

  public TxDelta {
    rcptTo = List.copyOf(rcptTo);
  }

  public boolean isEmpty() {
    return remoteHost == null && localHost == null && mailFrom == null && rcptTo.isEmpty()
        && body == null && smtpMeta == null && filterOutput == null;
  }
}
