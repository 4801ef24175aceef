package dev.streamfit.common;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of content ids and model checksums. Stateless and thread-safe. */
public final class Hashes {
  private Hashes() {}

  /** Lower-case hex SHA-256 of {@code bytes}. */
  public static String sha256Hex(byte[] bytes) {
    return HexFormat.of().formatHex(sha256(bytes));
  }

  /** Lower-case hex SHA-256 of the remaining bytes of {@code buffer} (position unchanged). */
  public static String sha256Hex(ByteBuffer buffer) {
    MessageDigest md = digest();
    md.update(buffer.duplicate());
    return HexFormat.of().formatHex(md.digest());
  }

  /** Raw SHA-256 digest. */
  public static byte[] sha256(byte[] bytes) {
    return digest().digest(bytes);
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("JVM without SHA-256", e);
    }
  }
}
