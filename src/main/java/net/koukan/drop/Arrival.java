package net.koukan.drop;

import java.time.Instant;
import java.util.List;

/**
 * One accepted transaction as the drop sees it: the envelope (recipients normalised) and the
 * facts of its receipt.
 */
public record Arrival(String mailFrom, List<String> rcptTo, String clientIp, String helo, boolean tls,
    String authUser, Instant receivedAt) {
  public Arrival {
    rcptTo = List.copyOf(rcptTo);
  }
}
