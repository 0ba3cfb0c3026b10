package net.koukan.policy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import net.koukan.filter.BlobSource;
import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.dom.address.MailboxList;
import org.apache.james.mime4j.dom.datetime.DateTime;
import org.apache.james.mime4j.dom.field.ContentTypeField;
import org.apache.james.mime4j.dom.field.MailboxListField;
import org.apache.james.mime4j.dom.field.ParsedField;
import org.apache.james.mime4j.field.DefaultFieldParser;
import org.apache.james.mime4j.field.datetime.parser.DateTimeParser;
import org.apache.james.mime4j.stream.EntityState;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.stream.MimeTokenStream;
import org.apache.james.mime4j.stream.RecursionMode;
import org.apache.james.mime4j.util.ByteSequence;

/**
 * Classifies a message (spec §5.3, {@link Validity}), checking from the lowest level up and
 * keeping the first problem:
 * <ol>
 * <li>the header section must end (CRLF CRLF) within {@value #MAX_HEADER_BYTES} bytes, and each
 *     of its lines must be a field or a continuation, else NONE;
 * <li>its bytes must be ASCII (valid UTF-8 when MAIL had SMTPUTF8) without control characters
 *     other than TAB and the CRLF line ends, else BASIC;
 * <li>exactly one From (one or more well-formed mailboxes), Date (RFC 5322 date-time) and
 *     Message-ID ({@code <left@right>}), else BASIC;
 * <li>no MIME defect anywhere (mime4j in strict mode, every event recorded): structured fields
 *     of every part that do not parse (addresses, dates, Message-ID, Content-Type,
 *     Content-Disposition, Content-Transfer-Encoding, MIME-Version), bad encoded words, 8-bit
 *     or control characters in part headers, multipart without boundary or without parts or
 *     without its closing boundary, encoded multiparts, bad base64 or quoted-printable, a MIME
 *     tree deeper than {@value #MAX_DEPTH}, else MEDIUM; otherwise HIGH.
 * </ol>
 * Malformed input never throws: it lowers the level. Only reading the blob may fail.
 */
final class MessageValidator {
  static final int MAX_HEADER_BYTES = 1 << 20;
  static final int MAX_DEPTH = 20;
  private static final int MAX_PART_FIELDS = 10_000;

  /** The outcome; {@code receivedCount} is null when the headers could not be read at all. */
  record Result(Validity validity, String error, Integer receivedCount, String headerFrom) {
    ObjectNode toJson() {
      ObjectNode o = JsonNodeFactory.instance.objectNode();
      o.put("validity", validity.name());
      if (error != null) {
        o.put("error", error);
      }
      if (receivedCount != null) {
        o.put("received_count", receivedCount);
      }
      if (headerFrom != null) {
        o.put("header_from", headerFrom);
      }
      return o;
    }
  }

  private final boolean smtputf8;
  private Validity validity = Validity.HIGH;
  private String error;
  private Integer receivedCount;
  private String headerFrom;

  private MessageValidator(boolean smtputf8) {
    this.smtputf8 = smtputf8;
  }

  static Result validate(BlobSource blob, boolean smtputf8) throws IOException {
    MessageValidator v = new MessageValidator(smtputf8);
    v.run(blob);
    return new Result(v.validity, v.error, v.receivedCount, v.headerFrom);
  }

  /** The message does not qualify for {@code level}: it is one below (first problem only). */
  private void fail(Validity level, String why) {
    if (error == null) {
      error = why;
      validity = Validity.values()[level.ordinal() - 1];
    }
  }

  /** A header field of the top-level section: name and raw bytes of the value (folded). */
  private record RawHeader(String name, byte[] bytes, int valueStart, int end) {
    String value() {
      // unfold: drop the CRLFs, keep the white space after them
      String v = new String(bytes, valueStart, end - valueStart, StandardCharsets.UTF_8);
      return v.replace("\r\n", "");
    }
  }

  private void run(BlobSource blob) throws IOException {
    byte[] head;
    try (InputStream in = blob.open()) {
      head = in.readNBytes((int) Math.min(blob.length(), MAX_HEADER_BYTES));
    }
    int end = headerEnd(head);
    if (end < 0) {
      fail(Validity.BASIC, "no end of the header section (CRLF CRLF) in the first "
          + MAX_HEADER_BYTES + " bytes");
      return;
    }
    // 1. every line a field or a continuation
    List<RawHeader> fields = new ArrayList<>();
    boolean firstIsContinuation = false;
    int lineNo = 0;
    for (int pos = 0; pos < end; ) {
      int eol = indexOfCrlf(head, pos, end);
      lineNo++;
      byte first = head[pos];
      if (first == ' ' || first == '\t') {
        if (fields.isEmpty()) {
          firstIsContinuation = true;
        } else {
          RawHeader last = fields.removeLast();
          fields.add(new RawHeader(last.name(), head, last.valueStart(), eol));
        }
      } else {
        int colon = fieldNameEnd(head, pos, eol);
        if (colon < 0) {
          fail(Validity.BASIC, "missing header/body separator: line " + lineNo
              + " of the header section is not a header field");
          return;
        }
        fields.add(new RawHeader(new String(head, pos, colon - pos, StandardCharsets.US_ASCII),
            head, colon + 1, eol));
      }
      pos = eol + 2;
    }
    receivedCount = (int) fields.stream().filter(f -> f.name().equalsIgnoreCase("Received")).count();

    // 2. header bytes
    String problem = textProblem(head, 0, end);
    if (problem != null) {
      fail(Validity.MEDIUM, problem + " in the header section");
      return;
    }

    // 3. exactly one well-formed From, Date, Message-ID
    for (String name : List.of("From", "Date", "Message-ID")) {
      List<RawHeader> l = fields.stream().filter(f -> f.name().equalsIgnoreCase(name)).toList();
      if (l.size() != 1) {
        fail(Validity.MEDIUM, (l.isEmpty() ? "missing " : "multiple ") + name + " header");
        return;
      }
      String value = l.get(0).value();
      String why = switch (name) {
        case "From" -> from(value);
        case "Date" -> dateProblem(value);
        default -> messageIdProblem(value);
      };
      if (why != null) {
        fail(Validity.MEDIUM, "invalid " + name + " header: " + why);
        return;
      }
    }

    // 4. MIME
    if (firstIsContinuation) {
      fail(Validity.HIGH, "MIME defect: the first header line is a continuation line");
      return;
    }
    String defect = mimeDefect(blob);
    if (defect != null) {
      fail(Validity.HIGH, "MIME defect: " + defect);
    }
  }

  /** Offset of the CRLF that ends the last header line (so the section is [0, end+2)), or -1. */
  private static int headerEnd(byte[] b) {
    if (b.length >= 2 && b[0] == '\r' && b[1] == '\n') {
      return 0; // no header fields at all
    }
    for (int i = 0; i + 3 < b.length; i++) {
      if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static int indexOfCrlf(byte[] b, int from, int end) {
    for (int i = from; i < end; i++) {
      if (b[i] == '\r' && b[i + 1] == '\n') {
        return i;
      }
    }
    return end;
  }

  /** Index of the colon after an RFC 5322 field name (printable ASCII but ':') at {@code pos}, or -1. */
  private static int fieldNameEnd(byte[] b, int pos, int eol) {
    for (int i = pos; i < eol; i++) {
      int c = b[i] & 0xff;
      if (c == ':') {
        return i > pos ? i : -1;
      }
      if (c < 33 || c > 126) {
        return -1;
      }
    }
    return -1;
  }

  /** Why these header bytes are not acceptable text, or null. CRLF line ends are fine. */
  private String textProblem(byte[] b, int from, int to) {
    String text;
    try {
      text = (smtputf8 ? StandardCharsets.UTF_8 : StandardCharsets.US_ASCII).newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b, from, to - from)).toString();
    } catch (CharacterCodingException e) {
      return smtputf8 ? "invalid UTF-8" : "8-bit data without SMTPUTF8";
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
        i++;
        continue;
      }
      if ((c < 0x20 && c != '\t') || c == 0x7f || (c >= 0x80 && c <= 0x9f)) {
        return String.format("control character U+%04X", (int) c);
      }
    }
    return null;
  }

  /** Checks the From header; records its address when there is exactly one. */
  private String from(String value) {
    MailboxList list;
    try {
      ParsedField f = DefaultFieldParser.parse("From:" + value, DecodeMonitor.SILENT);
      if (!(f instanceof MailboxListField m) || !f.isValidField()) {
        return firstLine(f.getParseException());
      }
      list = m.getMailboxList();
    } catch (MimeException | RuntimeException | StackOverflowError e) {
      return firstLine(e);
    } catch (Error e) {
      return javaccError(e);
    }
    if (list == null || list.isEmpty()) {
      return "no mailbox";
    }
    if (list.size() == 1) {
      headerFrom = list.get(0).getAddress();
    }
    return null;
  }

  /** Why this is not an RFC 5322 date-time (obsolete forms accepted), or null. */
  static String dateProblem(String value) {
    DateTime d;
    try {
      d = new DateTimeParser(new StringReader(value)).parseAll();
    } catch (RuntimeException | StackOverflowError e) {
      return firstLine(e);
    } catch (org.apache.james.mime4j.field.datetime.parser.ParseException e) {
      return firstLine(e);
    } catch (Error e) {
      return javaccError(e);
    }
    try {
      LocalDate.of(d.getYear(), d.getMonth(), d.getDay());
    } catch (DateTimeException e) {
      return "no such day";
    }
    int zone = Math.abs(d.getTimeZone());
    if (d.getYear() < 1900 || d.getHour() > 23 || d.getMinute() > 59 || d.getSecond() > 60
        || zone % 100 > 59) {
      return "time out of range";
    }
    return null;
  }

  /** Why this is not one {@code <id-left@id-right>} (comments and white space around), or null. */
  String messageIdProblem(String value) {
    String v = stripCfws(value);
    if (v == null) {
      return "unbalanced comment";
    }
    if (v.length() < 5 || v.charAt(0) != '<' || v.charAt(v.length() - 1) != '>') {
      return "not <id@domain>";
    }
    String id = v.substring(1, v.length() - 1);
    int at;
    if (id.startsWith("\"")) {
      at = quotedEnd(id);
      if (at < 0 || at >= id.length() || id.charAt(at) != '@') {
        return "bad quoted id";
      }
    } else {
      at = id.lastIndexOf('@');
      if (at <= 0 || !dotAtom(id.substring(0, at))) {
        return "bad id-left";
      }
    }
    String right = id.substring(at + 1);
    if (right.startsWith("[") && right.endsWith("]")) {
      for (int i = 1; i < right.length() - 1; i++) {
        char c = right.charAt(i);
        if (c < 33 || c == '[' || c == ']' || c == '\\' || c == 0x7f || (c >= 0x80 && !smtputf8)) {
          return "bad id-right";
        }
      }
      return null;
    }
    return dotAtom(right) ? null : "bad id-right";
  }

  private boolean dotAtom(String s) {
    if (s.isEmpty() || s.startsWith(".") || s.endsWith(".") || s.contains("..")) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '.' && !(Addresses.atext(c) && (c < 0x80 || smtputf8))) {
        return false;
      }
    }
    return true;
  }

  /** Index just after the quoted string that starts {@code s}, or -1. */
  private static int quotedEnd(String s) {
    for (int i = 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '"') {
        return i + 1;
      }
    }
    return -1;
  }

  /** Removes white space and (nested) comments at both ends; null if a comment is unbalanced. */
  private static String stripCfws(String s) {
    int i = 0;
    int j = s.length();
    while (true) {
      while (i < j && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
        i++;
      }
      if (i < j && s.charAt(i) == '(') {
        int depth = 0;
        int k = i;
        for (; k < j; k++) {
          char c = s.charAt(k);
          if (c == '\\') {
            k++;
          } else if (c == '(') {
            depth++;
          } else if (c == ')' && --depth == 0) {
            break;
          }
        }
        if (k >= j) {
          return null;
        }
        i = k + 1;
        continue;
      }
      break;
    }
    while (j > i && (s.charAt(j - 1) == ' ' || s.charAt(j - 1) == '\t')) {
      j--;
    }
    if (j > i && s.charAt(j - 1) == ')') {
      int depth = 0;
      int k = j - 1;
      for (; k >= i; k--) {
        char c = s.charAt(k);
        if (c == ')') {
          depth++;
        } else if (c == '(' && --depth == 0) {
          break;
        }
      }
      if (k < i) {
        return null;
      }
      return stripCfws(s.substring(i, k));
    }
    return s.substring(i, j);
  }

  private static String firstLine(Throwable e) {
    if (e == null) {
      return "does not parse";
    }
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int nl = m.indexOf('\n');
    return (nl < 0 ? m : m.substring(0, nl)).trim();
  }

  /** JavaCC's lexer errors are Errors; anything else is rethrown. */
  private static String javaccError(Error e) {
    if (e.getClass().getSimpleName().equals("TokenMgrError")) {
      return firstLine(e);
    }
    throw e;
  }

  // ------------------------------------------------------------------------------------ MIME

  /** Records the first warning of mime4j's parser and decoders, and never stops them. */
  private static final class Recorder extends DecodeMonitor {
    String first;

    @Override
    public boolean warn(String message, String dummy) {
      if (first == null) {
        first = message;
      }
      return false;
    }

    @Override
    public boolean isListening() {
      return true;
    }
  }

  /** Marks failures to read the blob itself (not problems of the message). */
  private static final class SourceException extends IOException {
    private static final long serialVersionUID = 1L;

    SourceException(IOException cause) {
      super(cause);
    }
  }

  private static final Set<String> ADDRESS_FIELDS = Set.of("from", "sender", "reply-to", "to", "cc",
      "bcc", "resent-from", "resent-sender", "resent-to", "resent-cc", "resent-bcc");
  private static final Set<String> DATE_FIELDS = Set.of("date", "resent-date");
  private static final Set<String> MESSAGE_ID_FIELDS = Set.of("message-id", "resent-message-id");
  private static final Set<String> MULTIPART_ENCODINGS = Set.of("7bit", "8bit", "binary");

  /** The first MIME defect of the whole message, or null. */
  private String mimeDefect(BlobSource blob) throws IOException {
    Recorder monitor = new Recorder();
    MimeConfig config = MimeConfig.custom()
        .setStrictParsing(true)
        .setMaxLineLen(MAX_HEADER_BYTES)
        .setMaxHeaderLen(MAX_HEADER_BYTES)
        .setMaxHeaderCount(MAX_PART_FIELDS)
        .setMaxContentLen(-1)
        .build();
    MimeTokenStream stream = new MimeTokenStream(config, monitor, null); // null: mime4j's fallback descriptor builder
    stream.setRecursionMode(RecursionMode.M_RECURSE);
    try (InputStream in = source(blob)) {
      stream.parse(in);
      int depth = -1;
      Deque<int[]> partCounts = new ArrayDeque<>();
      for (EntityState state = stream.getState(); state != EntityState.T_END_OF_STREAM;
          state = stream.next()) {
        String defect = switch (state) {
          case T_START_MESSAGE, T_START_BODYPART -> {
            depth++;
            if (state == EntityState.T_START_BODYPART && !partCounts.isEmpty()) {
              partCounts.peek()[0]++;
            }
            yield depth > MAX_DEPTH ? "MIME tree deeper than " + MAX_DEPTH : null;
          }
          case T_END_MESSAGE, T_END_BODYPART -> {
            depth--;
            yield null;
          }
          case T_FIELD -> fieldDefect(stream.getField(), monitor);
          case T_START_MULTIPART -> {
            partCounts.push(new int[1]);
            String cte = stream.getBodyDescriptor().getTransferEncoding();
            if (depth >= MAX_DEPTH) {
              yield "MIME tree deeper than " + MAX_DEPTH;
            }
            yield cte != null && !MULTIPART_ENCODINGS.contains(cte.toLowerCase(Locale.ROOT))
                ? "multipart with Content-Transfer-Encoding " + cte : null;
          }
          case T_END_MULTIPART -> {
            int[] count = partCounts.pop();
            yield count[0] == 0 ? "multipart without any part (no opening boundary)" : null;
          }
          case T_BODY -> {
            try (InputStream body = stream.getDecodedInputStream()) {
              body.transferTo(OutputStream.nullOutputStream());
            }
            yield null;
          }
          default -> null;
        };
        if (defect == null) {
          defect = monitor.first;
        }
        if (defect != null) {
          stream.stop();
          return defect;
        }
      }
      return monitor.first;
    } catch (SourceException e) {
      throw (IOException) e.getCause();
    } catch (MimeException | IOException | RuntimeException | StackOverflowError e) {
      if (e.getCause() instanceof SourceException s) {
        throw (IOException) s.getCause();
      }
      return "cannot parse: " + firstLine(e);
    }
  }

  private static InputStream source(BlobSource blob) throws IOException {
    return new FilterInputStream(blob.open()) {
      @Override
      public int read() throws IOException {
        try {
          return super.read();
        } catch (IOException e) {
          throw new SourceException(e);
        }
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        try {
          return super.read(b, off, len);
        } catch (IOException e) {
          throw new SourceException(e);
        }
      }
    };
  }

  /** The defect of one header field of any part, or null. */
  private String fieldDefect(Field field, Recorder monitor) {
    ByteSequence raw = field.getRaw();
    byte[] bytes = raw == null ? null : raw.toByteArray();
    String name = field.getName();
    String value;
    if (bytes != null) {
      String text = textProblem(bytes, 0, bytes.length);
      if (text != null) {
        return text + " in header " + name;
      }
      String s = new String(bytes, StandardCharsets.UTF_8);
      int colon = s.indexOf(':');
      value = (colon < 0 ? "" : s.substring(colon + 1)).replace("\r\n", "").replace("\n", "");
    } else {
      value = field.getBody();
    }
    String lower = name.toLowerCase(Locale.ROOT);
    try {
      if (ADDRESS_FIELDS.contains(lower) || lower.startsWith("content-type")
          || lower.equals("content-disposition")) {
        ParsedField f = DefaultFieldParser.parse(name + ":" + value, monitor);
        if (!f.isValidField()) {
          return "invalid " + name + " header: " + firstLine(f.getParseException());
        }
        if (f instanceof ContentTypeField ct && ct.isMultipart() && ct.getBoundary() == null) {
          return "multipart without boundary";
        }
        return null;
      }
      if (DATE_FIELDS.contains(lower)) {
        String why = dateProblem(value);
        return why == null ? null : "invalid " + name + " header: " + why;
      }
      if (MESSAGE_ID_FIELDS.contains(lower)) {
        String why = messageIdProblem(value);
        return why == null ? null : "invalid " + name + " header: " + why;
      }
      if (lower.equals("content-transfer-encoding")) {
        String v = stripCfws(value);
        return v != null && v.matches("[!#$%&'*+.^_`{|}~0-9A-Za-z-]+") ? null
            : "invalid Content-Transfer-Encoding header";
      }
      if (lower.equals("mime-version")) {
        String v = stripCfws(value);
        return v != null && v.matches("[0-9]+\\s*\\.\\s*[0-9]+") ? null : "invalid MIME-Version header";
      }
      DecoderUtil.decodeEncodedWords(value, monitor); // unstructured: encoded words must decode
      return null;
    } catch (MimeException | RuntimeException | StackOverflowError e) {
      return "invalid " + name + " header: " + firstLine(e);
    } catch (Error e) {
      return "invalid " + name + " header: " + javaccError(e);
    }
  }
}
