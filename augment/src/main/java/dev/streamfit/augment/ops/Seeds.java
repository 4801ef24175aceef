package dev.streamfit.augment.ops;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Per-record seeds: a pure function of (run seed, image id, epoch, variant), so replays are identical. */
public final class Seeds {
  private Seeds() {}

  /** First 8 bytes of SHA-256(runSeed ‖ imageId ‖ epoch ‖ variant) as a long. */
  public static long derive(long runSeed, String imageId, int epoch, int variant) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] id = imageId.getBytes(StandardCharsets.UTF_8);
      ByteBuffer buf = ByteBuffer.allocate(8 + 4 + id.length + 8);
      buf.putLong(runSeed).putInt(id.length).put(id).putInt(epoch).putInt(variant);
      return ByteBuffer.wrap(md.digest(buf.array())).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("JVM without SHA-256", e);
    }
  }
}
