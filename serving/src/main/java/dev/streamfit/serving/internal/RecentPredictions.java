package dev.streamfit.serving.internal;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** The last N predictions answered (for the web page). Thread-safe. */
public final class RecentPredictions {
  /** One answered request: where it came from, the version, its top label, total latency. */
  public record Entry(Instant at, String source, String requestId, long modelVersion, String label, double probability,
      double latencyMs) {}

  private final int capacity;
  private final Deque<Entry> entries = new ArrayDeque<>();

  public RecentPredictions(int capacity) {
    this.capacity = capacity;
  }

  public synchronized void add(Entry e) {
    if (capacity == 0) {
      return;
    }
    if (entries.size() == capacity) {
      entries.removeLast();
    }
    entries.addFirst(e);
  }

  /** Newest first. */
  public synchronized List<Entry> list() {
    return new ArrayList<>(entries);
  }
}
