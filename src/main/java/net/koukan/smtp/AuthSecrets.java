package net.koukan.smtp;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The AUTH PLAIN/LOGIN credentials of a listener, as in the reference: a JSON object mapping each
 * user to the SHA-256 (hex) of their secret, {@code {"alice": "9f86d0…"}}. A plain unsalted hash is
 * only safe for high-entropy secrets, so secrets are generated ({@link #newSecret}), never chosen.
 *
 * @param sha256Hex user → lower-case hex SHA-256 of the UTF-8 secret
 */
public record AuthSecrets(Map<String, String> sha256Hex) {
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  /** Compared against when the user is unknown, so both paths cost the same. */
  private static final byte[] DUMMY = new byte[32];

  public AuthSecrets {
    Map<String, String> copy = new LinkedHashMap<>();
    sha256Hex.forEach((user, hash) -> {
      Objects.requireNonNull(user, "user");
      String h = Objects.requireNonNull(hash, "hash of " + user).toLowerCase(java.util.Locale.ROOT);
      if (user.isEmpty()) {
        throw new IllegalArgumentException("empty user name");
      }
      if (!HEX64.matcher(h).matches()) {
        throw new IllegalArgumentException("hash of user '" + user + "' is not 64 hex digits");
      }
      copy.put(user, h);
    });
    sha256Hex = Map.copyOf(copy);
  }

  /** Reads the JSON secrets file. */
  public static AuthSecrets load(Path file) throws IOException {
    Map<String, String> m = read(file);
    try {
      return new AuthSecrets(m);
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  /** True when {@code user} exists and {@code secret} hashes to their entry (constant time). */
  public boolean verify(String user, String secret) {
    String hex = user == null ? null : sha256Hex.get(user);
    byte[] expected = hex == null ? DUMMY : HexFormat.of().parseHex(hex);
    byte[] actual = sha256(secret == null ? "" : secret);
    return MessageDigest.isEqual(expected, actual) && hex != null;
  }

  /** Lower-case hex SHA-256 of the UTF-8 bytes of {@code secret}. */
  public static String sha256Hex(String secret) {
    return HexFormat.of().formatHex(sha256(secret));
  }

  /** A new secret: 256 random bits, base64url without padding (43 characters). */
  public static String newSecret(SecureRandom random) {
    byte[] b = new byte[32];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /**
   * Adds or replaces {@code user} in the JSON secrets file (created if missing, mode 0600 where
   * the file system has POSIX permissions), by writing a new file and renaming it over the old one.
   */
  public static void put(Path file, String user, String hashHex) throws IOException {
    Map<String, String> m = Files.exists(file) ? new LinkedHashMap<>(read(file)) : new LinkedHashMap<>();
    m.put(user, hashHex);
    new AuthSecrets(m); // validate before writing
    Path abs = file.toAbsolutePath();
    Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(tmp);
    } catch (FileAlreadyExistsException e) {
      throw new IOException("concurrent update of " + file, e);
    }
    Files.write(tmp, JSON.writeValueAsBytes(m));
    try {
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static Map<String, String> read(Path file) throws IOException {
    try {
      Map<String, String> m = JSON.readValue(file.toFile(), new TypeReference<LinkedHashMap<String, String>>() {});
      return m == null ? Map.of() : m;
    } catch (com.fasterxml.jackson.core.JacksonException e) {
      throw new IOException(file + ": not a JSON object of user -> sha256 hex: " + e.getOriginalMessage(), e);
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Never prints the hashes. */
  @Override
  public String toString() {
    return "AuthSecrets" + sha256Hex.keySet();
  }
}
