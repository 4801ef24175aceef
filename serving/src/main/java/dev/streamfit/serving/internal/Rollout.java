package dev.streamfit.serving.internal;

import dev.streamfit.serving.RolloutPolicy;

/**
 * The rollout's decisions as pure functions of counts (no Kafka, no HTTP, no clock): which arm answers request n,
 * whether a canary is promoted or retired, whether live feedback rolls the stable version back. Stateless.
 */
public final class Rollout {
  private Rollout() {}

  /** A decision and why. */
  public record Verdict(Kind kind, String reason) {}

  /** What happens to the version judged. */
  public enum Kind { WAIT, PROMOTE, RETIRE, ROLL_BACK }

  /**
   * Whether request number {@code n} (0, 1, …) goes to the canary: exactly {@code floor(n · share)} of the first n
   * requests do, spread evenly, so the share holds over any run of requests, not only on average.
   */
  public static boolean toCanary(long n, double share) {
    return Math.floor((n + 1) * share) > Math.floor(n * share);
  }

  /**
   * Judges a canary against the stable version over the same period: WAIT before {@code promoteAfter} canary
   * requests; then RETIRE if its error rate, mean latency or (when both have {@code minFeedback} records) live
   * accuracy is worse by more than the policy's margin, else PROMOTE.
   */
  public static Verdict judgeCanary(VersionStats.Snapshot canary, VersionStats.Snapshot stable, RolloutPolicy p) {
    if (canary.requests() < p.promoteAfter()) {
      return new Verdict(Kind.WAIT, canary.requests() + " of " + p.promoteAfter() + " requests");
    }
    if (canary.errorRate() > stable.errorRate() + p.errorMargin()) {
      return new Verdict(Kind.RETIRE, String.format("error rate %.4f over %d requests, stable %.4f over %d (margin %.4f)",
          canary.errorRate(), canary.requests(), stable.errorRate(), stable.requests(), p.errorMargin()));
    }
    if (Double.isFinite(canary.meanLatencyMs()) && Double.isFinite(stable.meanLatencyMs())
        && canary.meanLatencyMs() > stable.meanLatencyMs() * p.latencyRatio() + 20) {
      return new Verdict(Kind.RETIRE, String.format("mean latency %.1f ms, stable %.1f ms (at most %.2fx + 20 ms)",
          canary.meanLatencyMs(), stable.meanLatencyMs(), p.latencyRatio()));
    }
    if (canary.feedback() >= p.minFeedback() && stable.feedback() >= p.minFeedback()
        && canary.liveAccuracy() < stable.liveAccuracy() - p.accuracyMargin()) {
      return new Verdict(Kind.RETIRE, String.format("live accuracy %.4f over %d feedback records, stable %.4f over %d"
          + " (margin %.4f)", canary.liveAccuracy(), canary.feedback(), stable.liveAccuracy(), stable.feedback(),
          p.accuracyMargin()));
    }
    return new Verdict(Kind.PROMOTE, String.format("after %d requests: error rate %.4f (stable %.4f), mean latency"
        + " %.1f ms (stable %.1f ms)%s", canary.requests(), canary.errorRate(), stable.errorRate(),
        canary.meanLatencyMs(), stable.meanLatencyMs(), canary.feedback() >= p.minFeedback()
            ? String.format(", live accuracy %.4f (stable %.4f)", canary.liveAccuracy(), stable.liveAccuracy()) : ""));
  }

  /**
   * The baseline live accuracy the stable version is held to: the previous version's live accuracy when it has
   * {@code minFeedback} records, else its offline {@code val.accuracy} (NaN when it has neither).
   */
  public static double baseline(VersionStats.Snapshot previous, double previousValAccuracy, RolloutPolicy p) {
    if (previous != null && previous.feedback() >= p.minFeedback()) {
      return previous.liveAccuracy();
    }
    return previousValAccuracy;
  }

  /**
   * ROLL_BACK when the stable version's last {@code rollbackWindow} feedback records are in and their accuracy is
   * below {@code baseline} by more than the threshold; else WAIT.
   */
  public static Verdict judgeLive(VersionStats.Snapshot stable, double baseline, RolloutPolicy p) {
    if (p.rollbackWindow() == 0 || !Double.isFinite(baseline) || stable.windowSize() < p.rollbackWindow()) {
      return new Verdict(Kind.WAIT, stable.windowSize() + " of " + p.rollbackWindow() + " feedback records");
    }
    if (stable.windowAccuracy() < baseline - p.rollbackThreshold()) {
      return new Verdict(Kind.ROLL_BACK, String.format("live accuracy %.4f over the last %d feedback records, below the"
          + " previous version's %.4f by more than %.4f", stable.windowAccuracy(), stable.windowSize(), baseline,
          p.rollbackThreshold()));
    }
    return new Verdict(Kind.WAIT, String.format("live accuracy %.4f, baseline %.4f", stable.windowAccuracy(), baseline));
  }
}
