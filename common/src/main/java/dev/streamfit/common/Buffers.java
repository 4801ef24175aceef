package dev.streamfit.common;

import java.nio.ByteBuffer;

/** Byte-buffer helpers for Avro {@code bytes} fields. Stateless and thread-safe. */
public final class Buffers {
  private Buffers() {}

  /** A copy of the remaining bytes of {@code buffer} (its position unchanged); never null for a non-null buffer. */
  public static byte[] copyOf(ByteBuffer buffer) {
    ByteBuffer d = buffer.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }
}
