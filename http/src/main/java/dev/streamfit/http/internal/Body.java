package dev.streamfit.http.internal;

import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;

/**
 * The body of the request a connection is reading: its bytes so far and its share of the front's byte budget
 * (a declared length is reserved whole before reading; a chunked body reserves as it arrives). Confined to the
 * connection's event loop.
 */
final class Body {
  /** What one piece of a body did. */
  enum Append {
    OK,
    /** more bytes than the Content-Length said */
    LONGER_THAN_DECLARED,
    /** a chunked body grew past the front's body cap */
    TOO_LARGE,
    /** a chunked body's next piece does not fit the byte budget */
    OVER_BUDGET
  }

  /** A whole body and the budget bytes reserved for it, which the taker must release. */
  record Taken(byte[] bytes, long reserved) {}

  private final ByteBudget budget;
  private final int maxBytes;
  private byte[] fixed;
  private ByteArrayOutputStream chunked;
  private int received;
  private long reserved;

  Body(ByteBudget budget, int maxBytes) {
    this.budget = budget;
    this.maxBytes = maxBytes;
  }

  /** Starts a body: {@code declared} bytes (already reserved), or chunked (nothing reserved yet). */
  void start(long declared, boolean isChunked) {
    reserved = isChunked ? 0 : declared;
    received = 0;
    fixed = isChunked ? null : new byte[(int) declared];
    chunked = isChunked ? new ByteArrayOutputStream() : null;
  }

  /** Takes the readable bytes of {@code buf}. */
  Append append(ByteBuf buf) {
    int n = buf.readableBytes();
    if (fixed != null) {
      if (received + n > fixed.length) {
        return Append.LONGER_THAN_DECLARED;
      }
      buf.readBytes(fixed, received, n);
    } else if (n > 0) {
      if ((long) received + n > maxBytes) {
        return Append.TOO_LARGE;
      }
      if (!budget.tryReserve(n)) {
        return Append.OVER_BUDGET;
      }
      reserved += n;
      byte[] part = new byte[n];
      buf.readBytes(part);
      chunked.write(part, 0, n);
    }
    received += n;
    return Append.OK;
  }

  /** Bytes received so far. */
  /** Whether the body being read is chunked. */
  boolean isChunked() {
    return chunked != null;
  }

  /** The Content-Length of the body being read; -1 when it is chunked or none is being read. */
  long declared() {
    return fixed == null ? -1 : fixed.length;
  }

  int received() {
    return received;
  }

  /** False while a declared length has not all arrived. */
  boolean whole() {
    return fixed == null || received == fixed.length;
  }

  /** The body read, with its reservation; this body is empty afterwards. */
  Taken take() {
    Taken t = new Taken(fixed != null ? fixed : chunked.toByteArray(), reserved);
    reserved = 0;
    fixed = null;
    chunked = null;
    return t;
  }

  /** Drops what was read and releases its reservation. */
  void drop() {
    budget.release(reserved);
    reserved = 0;
    fixed = null;
    chunked = null;
  }
}
