package dev.streamfit.http.internal;

import java.util.concurrent.atomic.AtomicLong;

/** A count of bytes that may be held at once; reservations that would pass the cap fail. Thread-safe. */
public final class ByteBudget {
  private final long cap;
  private final AtomicLong used = new AtomicLong();

  public ByteBudget(long cap) {
    this.cap = cap;
  }

  /** Reserves {@code n} bytes if that stays within the cap. */
  public boolean tryReserve(long n) {
    if (n <= 0) {
      return true;
    }
    while (true) {
      long u = used.get();
      if (u + n > cap) {
        return false;
      }
      if (used.compareAndSet(u, u + n)) {
        return true;
      }
    }
  }

  /** Gives back {@code n} reserved bytes. */
  public void release(long n) {
    if (n > 0) {
      used.addAndGet(-n);
    }
  }

  public long used() {
    return used.get();
  }

  public long cap() {
    return cap;
  }
}
