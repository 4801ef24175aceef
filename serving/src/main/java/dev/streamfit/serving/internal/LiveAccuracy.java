package dev.streamfit.serving.internal;

/**
 * Accuracy from feedback: over everything seen, and over the last {@code window} records (a ring). Not thread-safe:
 * its owner ({@link VersionStats}) guards it.
 */
final class LiveAccuracy {
  private final boolean[] ring;
  private int next;
  private int size;
  private int correctInWindow;
  private long total;
  private long correct;

  LiveAccuracy(int window) {
    this.ring = new boolean[window];
  }

  void add(boolean ok) {
    if (size == ring.length) {
      if (ring[next]) {
        correctInWindow--;
      }
    } else {
      size++;
    }
    ring[next] = ok;
    if (ok) {
      correctInWindow++;
      correct++;
    }
    next = (next + 1) % ring.length;
    total++;
  }

  long total() {
    return total;
  }

  int windowSize() {
    return size;
  }

  /** Over every record; NaN before any. */
  double accuracy() {
    return total == 0 ? Double.NaN : (double) correct / total;
  }

  /** Over the last {@code window} records; NaN before any. */
  double windowAccuracy() {
    return size == 0 ? Double.NaN : (double) correctInWindow / size;
  }
}
