package net.koukan.dkim;

import java.util.List;

/**
 * DNS TXT lookups for DKIM key records. Implementations must bound the time a lookup takes and
 * report timeouts and server failures as {@link Status#TEMP}.
 */
@FunctionalInterface
public interface TxtResolver {

  /** OK (with records), NX (no such name, or no TXT records there), TEMP (try later). */
  enum Status { OK, NX, TEMP }

  /**
   * An outcome. Each element of {@code records} is one TXT record, its character-strings
   * concatenated (RFC 6376 §3.6.2.2), bytes as ISO-8859-1 chars.
   */
  record Result(Status status, List<String> records, String detail) {
    public Result {
      records = List.copyOf(records);
    }

    public static Result ok(List<String> records) {
      return new Result(Status.OK, records, null);
    }

    public static Result nx(String detail) {
      return new Result(Status.NX, List.of(), detail);
    }

    public static Result temp(String detail) {
      return new Result(Status.TEMP, List.of(), detail);
    }
  }

  /** Looks up the TXT records of {@code name} (absolute; a trailing dot is optional). */
  Result txt(String name);
}
