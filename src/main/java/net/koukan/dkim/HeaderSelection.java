package net.koukan.dkim;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** RFC 6376 §5.4.2 header selection and the signed header data, shared by signer and verifier. */
final class HeaderSelection {
  private HeaderSelection() {}

  /**
   * The instances {@code names} (lower case, in {@code h=} order) pick: for each name the lowest
   * instance not yet picked, going up; a name with no instance left picks nothing (that is what
   * makes over-signing work). {@code exclude} (the signature being verified) is never picked.
   */
  static List<HeaderField> select(List<HeaderField> fields, List<String> names, HeaderField exclude) {
    Map<String, Integer> next = new HashMap<>(); // per name: index to search below
    List<HeaderField> out = new ArrayList<>(names.size());
    for (String name : names) {
      int i = next.getOrDefault(name, fields.size()) - 1;
      while (i >= 0 && !(fields.get(i).is(name) && fields.get(i) != exclude)) {
        i--;
      }
      next.put(name, Math.max(i, 0));
      if (i >= 0) {
        out.add(fields.get(i));
      }
    }
    return out;
  }

  /** The data that is signed: selected fields (with CRLF), then the signature field without CRLF. */
  static byte[] signedData(List<HeaderField> selected, Canon canon, byte[] signatureFieldWithoutB) {
    ByteArrayOutputStream data = new ByteArrayOutputStream(1024);
    for (HeaderField f : selected) {
      canon.header(f.raw(), true, data);
    }
    canon.header(signatureFieldWithoutB, false, data);
    return data.toByteArray();
  }

  /**
   * A DKIM-Signature field with its {@code b=} value (and the white space around it) removed, as
   * it is hashed (RFC 6376 §3.7). Only the tag named exactly {@code b} is emptied, not {@code bh}.
   */
  static byte[] withoutBValue(byte[] raw) {
    int colon = HeaderField.indexOf(raw, (byte) ':');
    int i = colon + 1;
    while (i < raw.length) {
      int specEnd = i;
      while (specEnd < raw.length && raw[specEnd] != ';') {
        specEnd++;
      }
      int j = i;
      while (j < specEnd && isFws(raw[j])) {
        j++;
      }
      if (j < specEnd && raw[j] == 'b') {
        int k = j + 1;
        while (k < specEnd && isFws(raw[k])) {
          k++;
        }
        if (k < specEnd && raw[k] == '=') {
          ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length);
          out.write(raw, 0, k + 1);
          out.write(raw, specEnd, raw.length - specEnd);
          return out.toByteArray();
        }
      }
      i = specEnd + 1;
    }
    return raw;
  }

  private static boolean isFws(byte b) {
    return b == ' ' || b == '\t' || b == '\r' || b == '\n';
  }
}
