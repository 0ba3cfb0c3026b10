package net.koukan.mime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.dom.address.AddressList;
import org.apache.james.mime4j.dom.address.Mailbox;
import org.apache.james.mime4j.field.address.DefaultAddressParser;
import org.apache.james.mime4j.field.address.LenientAddressParser;

/**
 * Reading header field values for the parsed-message JSON (spec §3.4): addresses, dates,
 * message ids, MIME parameters (RFC 2045 / RFC 2231), RFC 2047 encoded-words. Nothing here
 * throws on bad input: what cannot be parsed is returned as a string and a defect is recorded.
 */
final class HeaderValues {
  private HeaderValues() {}

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** The field's value bytes as text: ASCII or UTF-8, else ISO-8859-1 (a defect). */
  static String text(byte[] raw, String name, List<String> defects) {
    boolean ascii = true;
    for (byte b : raw) {
      if (b < 0) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return new String(raw, StandardCharsets.US_ASCII);
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
    } catch (CharacterCodingException e) {
      defects.add("header " + name + ": 8-bit bytes that are not UTF-8 (read as ISO-8859-1)");
      return new String(raw, StandardCharsets.ISO_8859_1);
    }
  }

  /** A field value (unfolded, trimmed) as JSON by the rules of spec §3.4. */
  static JsonNode value(String lowerName, String v, List<String> defects) {
    return switch (lowerName) {
      case "from", "to", "cc", "bcc" -> addresses(lowerName, v, defects);
      case "date" -> date(lowerName, v, defects);
      case "message-id" -> F.textNode(stripAngles(v));
      case "content-type", "content-disposition" -> {
        Params p = params(v, lowerName, defects);
        ArrayNode a = F.arrayNode();
        a.add(p.value());
        ObjectNode o = a.addObject();
        p.params().forEach(o::put);
        yield a;
      }
      default -> F.textNode(decodeWords(v, "header " + lowerName, defects));
    };
  }

  static String decodeWords(String v) {
    if (!v.contains("=?")) {
      return v;
    }
    try {
      return DecoderUtil.decodeEncodedWords(v, DecodeMonitor.SILENT);
    } catch (RuntimeException e) {
      return v;
    }
  }

  /** {@link #decodeWords(String)}, recording the first encoded-word problem as a defect of {@code where}. */
  static String decodeWords(String v, String where, List<String> defects) {
    if (!v.contains("=?")) {
      return v;
    }
    DecodeMonitor monitor = new DecodeMonitor() {
      private boolean warned;

      @Override
      public boolean warn(String error, String dummy) {
        if (!warned) {
          warned = true;
          defects.add(where + ": encoded-word not decoded as written (" + error + ")");
        }
        return false;
      }

      @Override
      public boolean isListening() {
        return true;
      }
    };
    try {
      return DecoderUtil.decodeEncodedWords(v, monitor);
    } catch (RuntimeException e) {
      defects.add(where + ": encoded-words not decoded");
      return v;
    }
  }

  static String stripAngles(String v) {
    String s = v.strip();
    if (s.startsWith("<")) {
      s = s.substring(1);
    }
    if (s.endsWith(">")) {
      s = s.substring(0, s.length() - 1);
    }
    return s.strip();
  }

  // ------------------------------------------------------------------ addresses

  static JsonNode addresses(String name, String v, List<String> defects) {
    AddressList list;
    try {
      list = DefaultAddressParser.DEFAULT.parseAddressList(v, DecodeMonitor.SILENT);
    } catch (Exception | org.apache.james.mime4j.field.address.TokenMgrError e) {
      defects.add("header " + name + ": invalid address list");
      try {
        list = LenientAddressParser.DEFAULT.parseAddressList(v);
      } catch (RuntimeException e2) {
        return F.textNode(decodeWords(v));
      }
      if (list.flatten().isEmpty()) {
        return F.textNode(decodeWords(v));
      }
    }
    ArrayNode out = F.arrayNode();
    for (Mailbox m : list.flatten()) {
      ObjectNode o = out.addObject();
      o.put("display_name", m.getName() == null ? "" : m.getName());
      String local = m.getLocalPart() == null ? "" : m.getLocalPart();
      String domain = m.getDomain();
      o.put("address", quoteLocal(local) + (domain == null || domain.isEmpty() ? "" : "@" + domain));
    }
    return out;
  }

  /** The local part as it must be written: dot-atom as is, anything else quoted. */
  private static String quoteLocal(String local) {
    boolean dotAtom = !local.isEmpty() && !local.startsWith(".") && !local.endsWith(".")
        && !local.contains("..");
    for (int i = 0; i < local.length() && dotAtom; i++) {
      char c = local.charAt(i);
      dotAtom = c == '.' || c >= 0x80 || HeaderText.isAtext(c);
    }
    if (dotAtom) {
      return local;
    }
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < local.length(); i++) {
      char c = local.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.append('"').toString();
  }

  // ------------------------------------------------------------------ dates

  private static final Pattern DATE = Pattern.compile(
      "(?:[A-Za-z]{2,}\\s*,?\\s*)?(\\d{1,2})\\s*-?\\s*([A-Za-z]{3})[A-Za-z]*\\.?\\s*-?\\s*(\\d{2,4})"
      + "\\s+(\\d{1,2})\\s*:\\s*(\\d{1,2})(?:\\s*:\\s*(\\d{1,2}))?(?:\\.\\d+)?"
      + "\\s*([+-]\\d{2}:?\\d{2}|[A-Za-z]{1,5})?\\s*");
  private static final List<String> MONTHS =
      List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec");
  private static final Map<String, Integer> ZONES = Map.ofEntries(Map.entry("ut", 0),
      Map.entry("utc", 0), Map.entry("gmt", 0), Map.entry("z", 0), Map.entry("est", -5),
      Map.entry("edt", -4), Map.entry("cst", -6), Map.entry("cdt", -5), Map.entry("mst", -7),
      Map.entry("mdt", -6), Map.entry("pst", -8), Map.entry("pdt", -7));

  static JsonNode date(String name, String v, List<String> defects) {
    long[] d = parseDate(v);
    if (d == null) {
      defects.add("header " + name + ": invalid date");
      return F.textNode(v);
    }
    ObjectNode o = F.objectNode();
    o.put("unix_secs", d[0]);
    o.put("tz_offset", (int) d[1]);
    return o;
  }

  /** RFC 5322 date-time (with the obsolete forms and comments): {unix secs, offset secs}, or null. */
  static long[] parseDate(String v) {
    String s = stripComments(v).strip();
    Matcher m = DATE.matcher(s);
    if (!m.matches()) {
      return null;
    }
    int month = MONTHS.indexOf(m.group(2).toLowerCase(Locale.ROOT));
    if (month < 0) {
      return null;
    }
    int year = Integer.parseInt(m.group(3));
    if (m.group(3).length() == 2) {
      year += year < 50 ? 2000 : 1900;
    } else if (m.group(3).length() == 3) {
      year += 1900;
    }
    int sec = m.group(6) == null ? 0 : Integer.parseInt(m.group(6));
    int offset = 0;
    String zone = m.group(7);
    if (zone != null) {
      if (zone.startsWith("+") || zone.startsWith("-")) {
        String digits = zone.substring(1).replace(":", "");
        int hh = Integer.parseInt(digits.substring(0, 2));
        int mm = Integer.parseInt(digits.substring(2));
        if (hh > 23 || mm > 59) {
          return null;
        }
        offset = (hh * 3600 + mm * 60) * (zone.startsWith("-") ? -1 : 1);
      } else {
        Integer h = ZONES.get(zone.toLowerCase(Locale.ROOT));
        // military and unknown zones mean "no information" (RFC 5322 §4.3): UTC
        offset = h == null ? 0 : h * 3600;
      }
    }
    try {
      LocalDateTime t = LocalDateTime.of(year, month + 1, Integer.parseInt(m.group(1)),
          Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)), Math.min(sec, 59));
      return new long[] {t.toEpochSecond(ZoneOffset.ofTotalSeconds(offset)), offset};
    } catch (DateTimeException e) {
      return null;
    }
  }

  private static String stripComments(String v) {
    if (v.indexOf('(') < 0) {
      return v;
    }
    StringBuilder b = new StringBuilder(v.length());
    int depth = 0;
    boolean quoted = false;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '\\' && i + 1 < v.length() && (depth > 0 || quoted)) {
        i++;
        continue;
      }
      if (depth == 0 && c == '"') {
        quoted = !quoted;
      } else if (!quoted && c == '(') {
        depth++;
        continue;
      } else if (!quoted && c == ')' && depth > 0) {
        depth--;
        b.append(' ');
        continue;
      }
      if (depth == 0) {
        b.append(c);
      }
    }
    return b.toString();
  }

  // ------------------------------------------------------------------ MIME parameters

  /** A Content-Type / Content-Disposition value: the lower-cased value and its parameters. */
  record Params(String value, Map<String, String> params) {
    String get(String name) {
      return params.get(name);
    }
  }

  /**
   * Parses {@code value; name=token; name="quoted"; …} leniently, names lower-cased, RFC 2231
   * sections and charsets decoded ({@code name*0*=utf-8''%E2%82%AC}), and RFC 2047 encoded-words
   * in a parameter value decoded (a common non-standard form for file names).
   */
  static Params params(String v, String field, List<String> defects) {
    int i = 0;
    int n = v.length();
    StringBuilder value = new StringBuilder();
    while (i < n && v.charAt(i) != ';') {
      char c = v.charAt(i);
      if (c == '(') {
        i = skipComment(v, i);
        continue;
      }
      if (!Character.isWhitespace(c)) {
        value.append(c);
      }
      i++;
    }
    Map<String, String> plain = new LinkedHashMap<>();
    Map<String, TreeMap<Integer, String[]>> sections = new LinkedHashMap<>();
    while (i < n) {
      i++; // ';'
      int eq = -1;
      StringBuilder name = new StringBuilder();
      while (i < n && v.charAt(i) != ';' && v.charAt(i) != '=') {
        char c = v.charAt(i);
        if (c == '(') {
          i = skipComment(v, i);
          continue;
        }
        if (!Character.isWhitespace(c)) {
          name.append(c);
        }
        i++;
      }
      if (i < n && v.charAt(i) == '=') {
        eq = i;
        i++;
      }
      StringBuilder pv = new StringBuilder();
      while (i < n && Character.isWhitespace(v.charAt(i))) {
        i++;
      }
      if (i < n && v.charAt(i) == '"') {
        i++;
        while (i < n && v.charAt(i) != '"') {
          char c = v.charAt(i);
          if (c == '\\' && i + 1 < n) {
            c = v.charAt(++i);
          }
          pv.append(c);
          i++;
        }
        if (i >= n) {
          defects.add(field + ": unterminated quoted parameter value");
        }
        while (i < n && v.charAt(i) != ';') {
          i++;
        }
      } else {
        while (i < n && v.charAt(i) != ';') {
          char c = v.charAt(i);
          if (c == '(') {
            i = skipComment(v, i);
            continue;
          }
          pv.append(c);
          i++;
        }
      }
      String key = name.toString().toLowerCase(Locale.ROOT);
      if (key.isEmpty()) {
        continue; // stray ';'
      }
      if (eq < 0) {
        defects.add(field + ": parameter " + key + " without a value");
        continue;
      }
      String val = pv.toString().strip();
      int star = key.indexOf('*');
      if (star < 0) {
        plain.putIfAbsent(key, val);
        continue;
      }
      String base = key.substring(0, star);
      String rest = key.substring(star + 1);
      boolean encoded = rest.endsWith("*") || rest.isEmpty();
      String num = rest.endsWith("*") ? rest.substring(0, rest.length() - 1) : rest;
      int index;
      try {
        index = num.isEmpty() ? 0 : Integer.parseInt(num);
      } catch (NumberFormatException e) {
        defects.add(field + ": invalid RFC 2231 parameter " + key);
        continue;
      }
      if (index < 0 || index > 999) {
        defects.add(field + ": invalid RFC 2231 parameter " + key);
        continue;
      }
      sections.computeIfAbsent(base, k -> new TreeMap<>())
          .putIfAbsent(index, new String[] {val, encoded ? "*" : ""});
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : plain.entrySet()) {
      String val = e.getValue();
      if (!e.getKey().equals("boundary") && val.startsWith("=?") && val.endsWith("?=")) {
        val = decodeWords(val, field + ": parameter " + e.getKey(), defects);
      }
      out.put(e.getKey(), val);
    }
    for (Map.Entry<String, TreeMap<Integer, String[]>> e : sections.entrySet()) {
      out.put(e.getKey(), rfc2231(e.getValue(), field, defects));
    }
    return new Params(value.toString().toLowerCase(Locale.ROOT), out);
  }

  private static int skipComment(String v, int i) {
    int depth = 0;
    for (; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '(') {
        depth++;
      } else if (c == ')' && --depth == 0) {
        return i + 1;
      }
    }
    return i;
  }

  private static String rfc2231(TreeMap<Integer, String[]> sections, String field, List<String> defects) {
    Charset cs = StandardCharsets.UTF_8;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int expect = 0;
    for (Map.Entry<Integer, String[]> s : sections.entrySet()) {
      if (s.getKey() != expect++) {
        defects.add(field + ": RFC 2231 sections missing");
        break;
      }
      String val = s.getValue()[0];
      boolean encoded = !s.getValue()[1].isEmpty();
      if (encoded && s.getKey() == 0) {
        int q1 = val.indexOf('\'');
        int q2 = q1 < 0 ? -1 : val.indexOf('\'', q1 + 1);
        if (q2 > 0) {
          String name = val.substring(0, q1);
          if (!name.isEmpty()) {
            try {
              cs = Charset.forName(name);
            } catch (RuntimeException e) {
              defects.add(field + ": unknown charset " + name);
            }
          }
          val = val.substring(q2 + 1);
        }
      }
      if (encoded) {
        for (int i = 0; i < val.length(); i++) {
          char c = val.charAt(i);
          if (c == '%' && i + 2 < val.length() && hex(val.charAt(i + 1)) >= 0
              && hex(val.charAt(i + 2)) >= 0) {
            bytes.write(hex(val.charAt(i + 1)) * 16 + hex(val.charAt(i + 2)));
            i += 2;
          } else {
            byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
            bytes.write(b, 0, b.length);
          }
        }
      } else {
        byte[] b = val.getBytes(cs == StandardCharsets.UTF_8 ? StandardCharsets.UTF_8 : cs);
        bytes.write(b, 0, b.length);
      }
    }
    return new String(bytes.toByteArray(), cs);
  }

  private static int hex(char c) {
    return Character.digit(c, 16);
  }
}
