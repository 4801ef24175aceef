package dev.streamfit.serving.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What one version did on live traffic since it started answering (or since its canary began): requests, errors,
 * latency, shadow agreement, and its live accuracy from feedback. Thread-safe (counters are atomics; the feedback
 * window is guarded by this).
 */
public final class VersionStats {
  private final long version;
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong latencyMicros = new AtomicLong();
  private final AtomicLong compared = new AtomicLong();
  private final AtomicLong agreed = new AtomicLong();
  private final LiveAccuracy live;

  /** Stats of {@code version} whose live accuracy keeps the last {@code window} feedback records (≥ 1). */
  public VersionStats(long version, int window) {
    this.version = version;
    this.live = new LiveAccuracy(Math.max(1, window));
  }

  /** An immutable copy of the figures. */
  public record Snapshot(long version, long requests, long errors, double meanLatencyMs, long feedback,
      long windowSize, double liveAccuracy, double windowAccuracy, long compared, double agreement) {
    private double latencySum() {
      long ok = requests - errors;
      return ok == 0 ? 0 : meanLatencyMs * ok;
    }

    /** Errors over requests (0 when none). */
    public double errorRate() {
      return requests == 0 ? 0 : (double) errors / requests;
    }

    /**
     * The requests, errors and mean latency since {@code earlier} (a snapshot of the same version), so that two
     * versions are compared over the same period; feedback and agreement figures are kept whole.
     */
    public Snapshot since(Snapshot earlier) {
      long r = requests - earlier.requests;
      long e = errors - earlier.errors;
      double mean = r - e <= 0 ? Double.NaN : (latencySum() - earlier.latencySum()) / (r - e);
      return new Snapshot(version, r, e, mean, feedback, windowSize, liveAccuracy, windowAccuracy, compared, agreement);
    }
  }

  public long version() {
    return version;
  }

  /** One request answered by this version ({@code ok} false: it failed), taking {@code nanos}. */
  public void request(boolean ok, long nanos) {
    requests.incrementAndGet();
    if (ok) {
      latencyMicros.addAndGet(nanos / 1000);
    } else {
      errors.incrementAndGet();
    }
  }

  /** A shadow answer compared with the stable version's top-1. */
  public void compared(boolean agrees) {
    compared.incrementAndGet();
    if (agrees) {
      agreed.incrementAndGet();
    }
  }

  /** A feedback record on one of this version's predictions. */
  public synchronized void feedback(boolean correct) {
    live.add(correct);
  }

  public synchronized Snapshot snapshot() {
    long r = requests.get();
    long e = errors.get();
    long ok = r - e;
    long c = compared.get();
    return new Snapshot(version, r, e, ok == 0 ? Double.NaN : latencyMicros.get() / 1000.0 / ok, live.total(),
        live.windowSize(), live.accuracy(), live.windowAccuracy(), c, c == 0 ? Double.NaN : (double) agreed.get() / c);
  }
}
