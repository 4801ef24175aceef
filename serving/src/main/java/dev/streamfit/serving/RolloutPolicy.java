package dev.streamfit.serving;

import static dev.streamfit.common.ConfigChecks.range;

import java.util.Locale;
import java.util.Objects;

/**
 * How a newly verified version reaches live traffic, and when live feedback takes it back. Immutable; validated on
 * construction (errors name the key, the bound, the value and the flag).
 *
 * @param mode {@code immediate}: the new version answers everything at once; {@code canary}: it answers
 *     {@code canaryShare} of requests until judged; {@code shadow}: it answers a copy of every request, its answers
 *     are compared with the stable version's and never returned
 * @param canaryShare share of requests (HTTP requests and topic records) the canary answers, in [0, 1]
 * @param promoteAfter canary requests after which it is judged: promoted when not worse, else retired
 * @param errorMargin how much higher (absolute, in [0, 1]) the canary's error rate may be than the stable version's
 * @param latencyRatio how many times the stable version's mean latency the canary's may reach (plus 20 ms), ≥ 1
 * @param accuracyMargin how much lower (absolute) the canary's live accuracy may be, when both have
 *     {@code minFeedback} feedback records
 * @param minFeedback feedback records a version needs before its live accuracy counts, ≥ 1
 * @param rollbackWindow the last N feedback records of the stable version that automatic rollback looks at
 *     (0 = no automatic rollback)
 * @param rollbackThreshold roll back when the stable version's live accuracy over its window falls below the
 *     previous version's by more than this (absolute, in [0, 1])
 */
public record RolloutPolicy(Mode mode, double canaryShare, int promoteAfter, double errorMargin, double latencyRatio,
    double accuracyMargin, int minFeedback, int rollbackWindow, double rollbackThreshold) {
  /** The rollout modes ({@code --rollout}). */
  public enum Mode {
    IMMEDIATE, CANARY, SHADOW;

    /** {@code s} (any case) as a mode; the error names the flag and the choices. */
    public static Mode parse(String s) {
      try {
        return valueOf(s.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("serving.rollout must be immediate, canary or shadow, was '" + s
            + "' (fix --rollout)");
      }
    }

    public String code() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public RolloutPolicy {
    Objects.requireNonNull(mode, "mode");
    unit("serving.canary-share", canaryShare, "--canary-share");
    range("serving.canary-promote-after", promoteAfter, 1, 100_000_000, "--canary-promote-after");
    unit("serving.canary-error-margin", errorMargin, "--canary-error-margin");
    if (!(latencyRatio >= 1 && latencyRatio <= 1000)) {
      throw new IllegalArgumentException("serving.canary-latency-ratio must be in [1, 1000], was " + latencyRatio
          + " (set --canary-latency-ratio)");
    }
    unit("serving.canary-accuracy-margin", accuracyMargin, "--canary-accuracy-margin");
    range("serving.min-feedback", minFeedback, 1, 1_000_000, "--min-feedback");
    range("serving.rollback-window", rollbackWindow, 0, 1_000_000, "--rollback-window");
    unit("serving.rollback-threshold", rollbackThreshold, "--rollback-threshold");
  }

  private static void unit(String key, double v, String flag) {
    if (!(v >= 0 && v <= 1)) {
      throw new IllegalArgumentException(key + " must be in [0, 1], was " + v + " (set " + flag + ")");
    }
  }

  /**
   * Immediate rollout; canary share 0.1 judged after 200 requests, error margin 0.02, latency ratio 2, accuracy
   * margin 0.05; 20 feedback records count; rollback over the last 50 feedback records at a drop of 0.2.
   */
  public static RolloutPolicy defaults() {
    return new RolloutPolicy(Mode.IMMEDIATE, 0.1, 200, 0.02, 2.0, 0.05, 20, 50, 0.2);
  }

  public RolloutPolicy withMode(Mode m) {
    return new RolloutPolicy(m, canaryShare, promoteAfter, errorMargin, latencyRatio, accuracyMargin, minFeedback,
        rollbackWindow, rollbackThreshold);
  }

  public RolloutPolicy withCanary(double share, int after) {
    return new RolloutPolicy(mode, share, after, errorMargin, latencyRatio, accuracyMargin, minFeedback,
        rollbackWindow, rollbackThreshold);
  }

  public RolloutPolicy withRollback(int window, double threshold, int minFeedback) {
    return new RolloutPolicy(mode, canaryShare, promoteAfter, errorMargin, latencyRatio, accuracyMargin, minFeedback,
        window, threshold);
  }
}
